"""A faithful Ecwid v3 emulator for tests, the demo and benchmarks. Never used in production.

store = generate_store(1003, orders=500)
sandbox = Sandbox([store]); sandbox.add_token("sandbox-token", 1003)
app = create_app(sandbox)  # httpx.ASGITransport(app), or serve_in_thread(app)
"""

from npf_ecwid.sandbox.app import ALL_SCOPES, ConnectionDropped, Faults, Sandbox, create_app
from npf_ecwid.sandbox.control import RequestLogEntry
from npf_ecwid.sandbox.server import serve_in_thread
from npf_ecwid.sandbox.store import SandboxStore, WriteLogEntry, generate_store

__all__ = [
    "ALL_SCOPES",
    "ConnectionDropped",
    "Faults",
    "RequestLogEntry",
    "Sandbox",
    "SandboxStore",
    "WriteLogEntry",
    "create_app",
    "generate_store",
    "serve_in_thread",
]
