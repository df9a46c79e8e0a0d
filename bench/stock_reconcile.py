"""Stock reconciliation of a 20,000-SKU catalogue where 5% changed: requests used vs the minimum
possible, and wall time at Ecwid's rate-limit ceiling (600 requests/min per token).

Run: python bench/stock_reconcile.py [--skus 20000] [--changed 0.05] [--modes batch,single]
       [--latency-ms 0]

What is counted (every HTTP request the sandbox received for the run, polls included):
- minimum, single PUTs: catalogue pages (ceil(products/100)) + one PUT per changed SKU;
- minimum, batched: catalogue pages + per 500 changes one POST /batch and one GET /batch poll;
- the run also reads the open orders (1 page here) for in-flight accounting: it is counted in
  "used", not in the minimum, so the ratio shows that overhead honestly.
Each mode gets a fresh sandbox (600/60 s per token, like Ecwid), a fresh client limiter at the
same ceiling and a fresh SQLite database, so modes do not share rate-limit budget.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session

from npf_ecwid.config import ClientConfig
from npf_ecwid.connect import open_ecwid
from npf_ecwid.db import get_engine
from npf_ecwid.ecwid.ratelimit import SlidingWindowLimiter
from npf_ecwid.migrations import upgrade
from npf_ecwid.sandbox import Faults, Sandbox, create_app, generate_store
from npf_ecwid.sandbox.server import serve_in_thread
from npf_ecwid.settings import Settings
from npf_ecwid.stock.apply import BATCH_MIN, BATCH_SIZE
from npf_ecwid.stock.reconcile import reconcile
from npf_ecwid.tables import NpfStock
from npf_ecwid.warehouse.sql_stock import SqlStockSource

TOKEN = "bench-token"
PAGE = 100


def build(skus: int, changed_share: float, seed: int):
    store = generate_store(1003, orders=0, products=max(3, skus - 5), seed=seed)
    tracked = {k: v for k, v in store.stock_by_sku().items() if v is not None}
    rng = random.Random(seed)
    changed = set(rng.sample(sorted(tracked), round(len(tracked) * changed_share)))
    figures = {
        sku: (qty + rng.randint(1, 20) if sku in changed else max(qty, 0))
        for sku, qty in tracked.items()
    }
    # A SKU at a negative Ecwid quantity is "changed" too (target clamps to >= 0).
    changed |= {sku for sku, qty in tracked.items() if figures[sku] != qty}
    return store, figures, changed


async def run_mode(mode: str, args: argparse.Namespace) -> dict[str, object]:
    store, figures, changed = build(args.skus, args.changed, args.seed)
    products = len(store.products())
    sandbox = Sandbox([store], Faults(latency_ms=args.latency_ms))
    sandbox.add_token(TOKEN, 1003)
    os.environ["BENCH_ECWID_TOKEN"] = TOKEN
    with tempfile.TemporaryDirectory() as tmp, serve_in_thread(create_app(sandbox)) as url:
        engine = get_engine(f"sqlite:///{Path(tmp) / 'npf.db'}")
        upgrade(engine)
        now = datetime.now(UTC)
        with Session(engine) as session:
            session.add_all(
                NpfStock(client="BENCH", sku=s, on_hand=n, available=n, updated_at=now)
                for s, n in figures.items()
            )
            session.commit()
        config = ClientConfig(
            code="BENCH", store_id=1003, token="env:BENCH_ECWID_TOKEN", stock="available"
        )
        settings = Settings(ECWID_API_URL=url, NPF_DATA_DIR=tmp)
        limiter = SlidingWindowLimiter(limit=600, window=60.0)
        started = time.perf_counter()
        async with open_ecwid(config, settings, limiter=limiter) as ecwid:
            result = await reconcile(
                config,
                ecwid,
                SqlStockSource(engine),
                engine,
                reports_dir=None,
                batch_min=BATCH_MIN if mode == "batch" else None,
            )
            stats = ecwid.stats.as_dict()
        wall = time.perf_counter() - started
    pages = math.ceil(products / PAGE)
    chunks = math.ceil(len(changed) / BATCH_SIZE)
    minimum = pages + (2 * chunks if mode == "batch" else len(changed))
    used = len(sandbox.request_log)
    after = store.stock_by_sku()
    ok = all(after[s] == n for s, n in figures.items())
    return {
        "mode": mode,
        "skus": len(figures),
        "products": products,
        "changed": len(changed),
        "pushed": result.totals.get("pushed_items", 0),
        "all_equal_after": ok,
        "requests_used": used,
        "requests_min": minimum,
        "ratio_used_to_min": round(used / minimum, 3),
        "catalogue_pages": pages,
        "by_path": _by_path(sandbox),
        "wall_s": round(wall, 1),
        "ceiling_s": round(used / 10, 1),  # the same requests spread at 600/min (10/s)
        "limiter_wait_s": stats["limiter_wait_s"],
        "status_429": stats["rate_limited"],
    }


def _by_path(sandbox: Sandbox) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in sandbox.request_log:
        kind = f"{entry.method} " + (
            "inventory" if entry.path.endswith("/inventory") else entry.path.split("/")[-1]
        )
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=20_000)
    parser.add_argument("--changed", type=float, default=0.05)
    parser.add_argument("--modes", default="batch,single")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for mode in args.modes.split(","):
        print(json.dumps(asyncio.run(run_mode(mode, args))), flush=True)


if __name__ == "__main__":
    main()
