"""Tracking push throughput against the 600 requests/min per-token ceiling.

Run: python bench/tracking_push.py [--orders 2000] [--latency-ms 250] [--baseline 40]

Serves the sandbox over real HTTP on loopback with 250 ms per request (Ecwid's typical answer
time from Australia) and Ecwid's rate limit (600 per rolling 60 s per token), hands off and
ships `--orders` orders (one parcel each) in a SQLite warehouse, then pushes them with the real
code path (plan -> batched read -> concurrent PUTs -> ledger), and prints:
- concurrent push: requests per minute as a ratio of 600/min, shipments per minute, 429s seen,
  the busiest rolling 60 s in the sandbox's log, and that every order got exactly one PUT;
- sequential baseline, measured in the same run: `--baseline` other orders pushed one at a
  time (concurrency 1) with their own token; its time is extrapolated to `--orders` (it is
  linear: one PUT per order plus one batched read per 100).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session

from npf_ecwid.config import parse_client
from npf_ecwid.connect import open_ecwid
from npf_ecwid.db import get_engine
from npf_ecwid.ecwid.ratelimit import SlidingWindowLimiter
from npf_ecwid.migrations import upgrade
from npf_ecwid.sandbox.app import Faults, Sandbox, create_app
from npf_ecwid.sandbox.server import serve_in_thread
from npf_ecwid.sandbox.store import generate_store
from npf_ecwid.settings import Settings
from npf_ecwid.tables import NpfOrder, NpfShipment
from npf_ecwid.tracking.ledger import recorder
from npf_ecwid.tracking.prepare import prepare_plan
from npf_ecwid.tracking.push import apply_plan
from npf_ecwid.warehouse.sql_orders import SqlOrderIntake
from npf_ecwid.warehouse.sql_shipments import SqlShipmentSource

CEILING = 600  # requests per minute per token


def hand_off_and_ship(engine, client: str, ids: list[str]) -> None:
    now = datetime.now(UTC)
    with Session(engine) as session:
        for n, order_id in enumerate(ids):
            session.add(
                NpfOrder(client=client, ecwid_order_id=order_id, order_ref=order_id,
                         received_at=now, updated_at=now, changed_at=now, content_hash="bench")
            )  # fmt: skip
            session.add(
                NpfShipment(client=client, ecwid_order_id=order_id, tracking_number=f"33BN{n:06d}",
                            carrier="AusPost", shipped_at=now)
            )  # fmt: skip
        session.commit()


async def push(engine, code: str, token_var: str, api_url: str, concurrency: int) -> tuple:
    client = parse_client(
        code,
        {"store_id": 1003, "token": f"env:{token_var}", "api_url": api_url,
         "push_tracking_url": True},
    )  # fmt: skip
    settings = Settings(DATABASE_URL=str(engine.url))
    plan = prepare_plan(engine, client, SqlShipmentSource(engine), SqlOrderIntake(engine))
    limiter = SlidingWindowLimiter(limit=CEILING, window=60.0)
    async with open_ecwid(client, settings, limiter=limiter) as ecwid:
        started = time.perf_counter()
        run = await apply_plan(ecwid, plan.pushes, record=recorder(engine), concurrency=concurrency)
        elapsed = time.perf_counter() - started
        return elapsed, run, ecwid.stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=250.0)
    parser.add_argument("--baseline", type=int, default=40)
    args = parser.parse_args()

    store = generate_store(1003, orders=0, products=10)
    ids = [store.add_order()["id"] for _ in range(args.orders + args.baseline)]
    main_ids, base_ids = ids[: args.orders], ids[args.orders :]
    sandbox = Sandbox([store], faults=Faults(latency_ms=args.latency_ms))
    sandbox.add_token("bench-concurrent", 1003)
    sandbox.add_token("bench-sequential", 1003)
    os.environ["BENCH_CONCURRENT"] = "bench-concurrent"
    os.environ["BENCH_SEQUENTIAL"] = "bench-sequential"
    engine = get_engine(f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}")
    upgrade(engine)
    hand_off_and_ship(engine, "BENCH", main_ids)
    hand_off_and_ship(engine, "BASE", base_ids)

    with serve_in_thread(create_app(sandbox)) as api_url:
        seq_s, _, seq_stats = asyncio.run(push(engine, "BASE", "BENCH_SEQUENTIAL", api_url, 1))
        con_s, con_run, con_stats = asyncio.run(
            push(engine, "BENCH", "BENCH_CONCURRENT", api_url, 32)
        )

    puts = Counter(w.path for w in store.write_log if w.method == "PUT")
    once = all(puts[f"/orders/{i}"] == 1 for i in ids) and len(puts) == len(ids)
    outcomes = Counter(o.status for o in con_run.outcomes)
    con_rpm = con_stats.requests / con_s * 60
    seq_rpm = seq_stats.requests / seq_s * 60
    seq_extrapolated = seq_s / args.baseline * args.orders
    print(f"latency {args.latency_ms:.0f} ms, ceiling {CEILING} requests/min per token")
    print(
        f"concurrent: {args.orders} shipments in {con_s:.1f} s, {con_stats.requests} requests "
        f"({con_rpm:.0f}/min = {con_rpm / CEILING:.2f} of the ceiling), "
        f"{args.orders / con_s * 60:.0f} shipments/min, outcomes {dict(outcomes)}, "
        f"429s {con_stats.rate_limited}, busiest 60 s window "
        f"{sandbox.max_in_window(60.0, 'bench-concurrent')} requests"
    )
    print(
        f"sequential: {args.baseline} shipments in {seq_s:.1f} s, {seq_stats.requests} requests "
        f"({seq_rpm:.0f}/min = {seq_rpm / CEILING:.2f} of the ceiling); extrapolated to "
        f"{args.orders}: {seq_extrapolated:.0f} s"
    )
    print(
        f"speed-up {seq_extrapolated / con_s:.1f}x; every order PUT exactly once: {once} "
        f"({sum(puts.values())} PUTs for {len(ids)} orders)"
    )


if __name__ == "__main__":
    main()
