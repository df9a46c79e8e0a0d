"""The public app under abuse, as `npf-ecwid shipping serve` runs it (a real uvicorn process).

Each test is a reproduction from issue #18: huge bodies (declared and chunked), idle and slow
connections, more idle sockets than the process has file descriptors. Memory is the server
process's own peak RSS (`VmHWM` in /proc/PID/status); connections are raw sockets, so nothing
on the client side hides what the server does.
"""

from __future__ import annotations

import os
import resource
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

MB = 1024 * 1024
CLOSE_WITHIN_S = 10.0


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def kib(self, field: str) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise AssertionError(f"{field} not in /proc/{self.process.pid}/status")

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=CLOSE_WITHIN_S + 5)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(folder: Path, nofile: int | None = None) -> Iterator[Served]:
    """`npf-ecwid shipping serve` in a subprocess (optionally with a lower RLIMIT_NOFILE)."""
    port = _free_port()
    log = folder / "server.log"
    env = {
        **os.environ,
        "NPF_CLIENTS": str(folder / "clients.toml"),
        "NPF_DATA_DIR": str(folder / "data"),
        "DATABASE_URL": f"sqlite:///{folder / 'npf.db'}",
        "ECWID_APP_CLIENT_SECRET": "",
    }

    def limit() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", "shipping", "serve", "--port", str(port)],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=limit,
        )
    served = Served(process, port, log)
    try:
        deadline = time.monotonic() + 180  # the CLI imports Prefect: slow on a busy machine
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, served.log_text()
            assert time.monotonic() < deadline, "server did not start\n" + served.log_text()
            time.sleep(0.1)  # polling a starting process; nothing to wait on
        yield served
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from _serve(tmp_path_factory.mktemp("abuse"))


def read_answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (or resets) the connection."""
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return data


def closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed the connection, or None if it stayed open."""
    start = time.monotonic()
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    except TimeoutError:
        return None
    return time.monotonic() - start


def test_declared_300_mb_body_is_refused_before_reading(server: Served) -> None:
    with server.connect() as sock:
        sock.sendall(
            b"POST /shipping/rates HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 314572800\r\n\r\n"
        )
        answer = read_answer(sock)  # no body byte was sent: only an early answer can come
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"error":"too_large"' in answer


def test_chunked_300_mb_body_is_413_with_under_20_mb_growth(server: Served) -> None:
    before = server.kib("VmHWM")
    chunk = b"x" * (64 * 1024)
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    answer = b""
    with server.connect() as sock:
        sock.sendall(
            b"POST /shipping/rates HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        try:
            while sent < 300 * MB:  # generated lazily: never more than one chunk in memory
                sock.sendall(frame)
                sent += len(chunk)
                if select.select([sock], [], [], 0)[0]:
                    break
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = read_answer(sock)
    growth_mb = (server.kib("VmHWM") - before) / 1024
    print(f"sent {sent / MB:.1f} MB before the answer; server peak RSS growth {growth_mb:.1f} MB")
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert growth_mb < 20
    assert sent < 300 * MB  # the server stopped the upload; it did not drain it


@pytest.mark.parametrize(
    ("name", "opening", "trickle"),
    [
        ("idle", b"", b""),
        ("slow head", b"POST /shipping/rates HTTP/1.1\r\nHost: x\r\n", b"X"),
        (
            "slow body",
            b"POST /shipping/rates HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n",
            b" ",
        ),
        ("idle after a response", b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", b""),
    ],
)
def test_idle_and_slow_connections_are_closed_within_10_s(
    server: Served, name: str, opening: bytes, trickle: bytes
) -> None:
    with server.connect() as sock:
        sock.sendall(opening)
        start = time.monotonic()
        answer = b""
        while time.monotonic() - start < CLOSE_WITHIN_S + 2:
            readable = select.select([sock], [], [], 1.0)[0]  # one byte a second, like an attacker
            if readable:
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    chunk = b""
                if not chunk:
                    break
                answer += chunk
            elif trickle:
                try:
                    sock.sendall(trickle)
                except (BrokenPipeError, ConnectionResetError):
                    break
        elapsed = time.monotonic() - start
    print(f"{name}: closed after {elapsed:.1f} s; answered {answer[:12]!r}")
    assert elapsed < CLOSE_WITHIN_S, f"{name}: still open after {elapsed:.1f} s"
    if name == "slow body":
        assert answer.startswith(b"HTTP/1.1 408")


def test_healthz_answers_with_300_idle_sockets_and_256_descriptors(tmp_path: Path) -> None:
    for served in _serve(tmp_path, nofile=256):
        idle = [served.connect() for _ in range(300)]
        try:
            start = time.monotonic()
            response = httpx.get(f"http://127.0.0.1:{served.port}/healthz", timeout=5)
            latency = time.monotonic() - start
            time.sleep(1.5)  # let asyncio's accept-retry timer (1 s) fire at least once
        finally:
            for sock in idle:
                sock.close()
        text = served.log_text()
        lines = len(text.splitlines())
        print(f"/healthz with 300 idle sockets: {latency * 1000:.0f} ms; server log {lines} lines")
        assert response.status_code == 200 and latency < 2
        assert text.count("Too many open files") <= 2
        assert len(text.splitlines()) < 50
