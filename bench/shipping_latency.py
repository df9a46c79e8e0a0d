"""Shipping rates endpoint under load, beside a bare FastAPI endpoint measured in the same run.

Run (from the repo root): python bench/shipping_latency.py [--rate 100] [--seconds 10]
Each server is uvicorn in its own subprocess on a loopback port; the load generator is this
process. Two phases per server:
  1. fixed rate (open loop): requests are scheduled at exactly `--rate` per second over
     `--connections` keep-alive connections; latency counts from the *scheduled* send time, so
     a stall shows up as latency instead of silently lowering the rate (no coordinated omission);
  2. throughput (closed loop): `--connections` connections send back to back for `--seconds`.
Both servers get the same body: Ecwid's documented example request (4.8 KB, a US address,
priced from the demo rate card); the bare endpoint reads the body and answers a constant.
Targets: rates p99 < 20 ms at the fixed rate, rates throughput >= 0.5 x bare.

The load generator speaks HTTP/1.1 over asyncio streams directly rather than through httpx:
httpx costs several times more CPU per request than these servers, so with it the generator,
not the server, would be what the throughput phase measures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PATHS = {"bare": "/bare", "rates": "/shipping/rates"}


def bare_app() -> FastAPI:
    app = FastAPI()

    @app.post("/bare")
    async def bare(request: Request) -> Response:
        await request.body()
        return Response(content=b'{"ok":true}', media_type="application/json")

    return app


def rates_app() -> FastAPI:
    from npf_ecwid.shipping.app import create_app
    from npf_ecwid.shipping.ratecard import DEMO_RATES
    from npf_ecwid.shipping.rates_keys import static_keys
    from npf_ecwid.shipping.server import SAMPLE_KEY
    from npf_ecwid.shipping.service import file_cards

    return create_app(file_cards(DEMO_RATES), rate_keys=static_keys({1003: SAMPLE_KEY}))


def serve(kind: str, port: int) -> None:
    import uvicorn

    app = bare_app() if kind == "bare" else rates_app()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Connection:
    """One keep-alive HTTP/1.1 connection; `post` returns the status code."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def post(self, request: bytes) -> int:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(head[9:12])

    def close(self) -> None:
        self.writer.close()


def build_request(path: str, body: bytes) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def wait_ready(port: int, request: bytes, deadline: float = 30.0) -> None:
    started = time.monotonic()
    while True:
        try:
            conn = await Connection.open(port)
            status = await conn.post(request)
            conn.close()
            if status != 200:
                raise SystemExit(f"server answered {status} to the warm-up request")
            return
        except OSError:
            if time.monotonic() - started > deadline:
                raise
            await asyncio.sleep(0.1)


async def fixed_rate(port: int, request: bytes, rate: float, seconds: float, conns: int) -> dict:
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(conns):
        pool.put_nowait(await Connection.open(port))
    latencies: list[float] = []
    errors = 0

    async def one(conn: Connection, scheduled: float) -> None:
        nonlocal errors
        if await conn.post(request) != 200:
            errors += 1
        latencies.append(time.perf_counter() - scheduled)
        pool.put_nowait(conn)

    total = int(rate * seconds)
    tasks = []
    start = time.perf_counter() + 0.05
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        conn = await pool.get()
        tasks.append(asyncio.create_task(one(conn, scheduled)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    while not pool.empty():
        pool.get_nowait().close()
    quantiles = statistics.quantiles(latencies, n=100, method="inclusive")
    return {
        "sent": total,
        "achieved_rps": total / elapsed,
        "p50_ms": quantiles[49] * 1000,
        "p99_ms": quantiles[98] * 1000,
        "max_ms": max(latencies) * 1000,
        "errors": errors,
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), robust to other load on the machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def throughput(port: int, request: bytes, seconds: float, conns: int) -> tuple[float, int]:
    stop = time.perf_counter() + seconds
    done = 0

    async def worker() -> None:
        nonlocal done
        conn = await Connection.open(port)
        while time.perf_counter() < stop:
            if await conn.post(request) != 200:
                raise SystemExit("non-200 answer during the throughput phase")
            done += 1
        conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conns)))
    return done / (time.perf_counter() - started), done


def measure(kind: str, body: bytes, args: argparse.Namespace) -> dict:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, "--port", str(port)], env=env, cwd=ROOT
    )
    try:
        request = build_request(PATHS[kind], body)
        asyncio.run(wait_ready(port, request))
        # warm up (imports, first-call caches) before measuring
        asyncio.run(fixed_rate(port, request, args.rate, 1.0, args.connections))
        result = asyncio.run(fixed_rate(port, request, args.rate, args.seconds, args.connections))
        cpu_before = cpu_seconds(server.pid)
        result["throughput_rps"], done = asyncio.run(
            throughput(port, request, args.seconds, args.connections)
        )
        result["cpu_us"] = (cpu_seconds(server.pid) - cpu_before) / done * 1e6
        return result
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=100.0, help="fixed request rate (req/s)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--serve", choices=sorted(PATHS), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return

    from npf_ecwid.shipping.server import SAMPLE_KEY, sample_request

    body = sample_request(SAMPLE_KEY)
    print(
        f"load: {args.rate:.0f} req/s for {args.seconds:.0f} s, {args.connections} connections;"
        f" throughput: {args.connections} connections back to back for {args.seconds:.0f} s;"
        f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    results = {kind: measure(kind, body, args) for kind in ("bare", "rates")}
    print(
        f"{'endpoint':<16}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'rate/s':>8}"
        f"{'errors':>8}{'max req/s':>11}{'server CPU us/req':>19}"
    )
    for kind, r in results.items():
        print(
            f"{PATHS[kind]:<16}{r['p50_ms']:>8.2f}{r['p99_ms']:>8.2f}{r['max_ms']:>8.1f}"
            f"{r['achieved_rps']:>8.0f}{r['errors']:>8}{r['throughput_rps']:>11.0f}"
            f"{r['cpu_us']:>19.0f}"
        )
    ratio = results["rates"]["throughput_rps"] / results["bare"]["throughput_rps"]
    cpu_ratio = results["bare"]["cpu_us"] / results["rates"]["cpu_us"]
    p99 = results["rates"]["p99_ms"]
    print(
        f"rates p99 {p99:.2f} ms (target < 20: {'met' if p99 < 20 else 'MISSED'}); "
        f"throughput {ratio:.2f} x bare (target >= 0.5: {'met' if ratio >= 0.5 else 'MISSED'}); "
        f"by server CPU per request {cpu_ratio:.2f} x bare"
    )


if __name__ == "__main__":
    main()
