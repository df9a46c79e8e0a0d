"""`npf-ecwid sandbox serve` as a user runs it: a real process on a free loopback port."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served() -> Iterator[str]:
    port = free_port()
    args = ["sandbox", "serve", "--port", str(port), "--orders", "30", "--stores", "2"]
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}/api/v3"
    deadline = time.monotonic() + 60
    try:
        while True:  # poll until the server accepts connections (or the process died)
            try:
                httpx.get(f"{base}/1003/profile", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(process.stdout.read() if process.stdout else "") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_serve_answers_like_ecwid(served: str) -> None:
    good = {"Authorization": "Bearer sandbox-token"}
    page = httpx.get(f"{served}/1003/orders", params={"limit": 5}, headers=good).json()
    assert (page["count"], page["limit"], page["offset"]) == (5, 5, 0)
    assert {"id", "internalId", "items", "paymentStatus"} <= set(page["items"][0])
    wrong = httpx.get(f"{served}/1003/orders", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403 and wrong.json()["errorMessage"]
    second = {"Authorization": "Bearer sandbox-token-1004"}
    profile = httpx.get(f"{served}/1004/profile", headers=second).json()
    assert profile["generalInfo"]["storeId"] == 1004
