"""The sandbox store and its generator (the public import path for both)."""

from npf_ecwid.sandbox.core import SandboxStore, WriteLogEntry
from npf_ecwid.sandbox.generate import generate_store

__all__ = ["SandboxStore", "WriteLogEntry", "generate_store"]
