"""Ecwid client: concurrent page fetching vs sequential paging, and page parsing speed.

Run: python bench/ecwid_client.py [--orders 20000] [--latency-ms 20]
Serves the sandbox over real HTTP on loopback with per-request latency (Ecwid is ~100+ ms
away, loopback ~0), lifts the rate limit out of the way, and prints ratios against the
sequential baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httpx
from pydantic import SecretStr

from npf_ecwid.ecwid.client import EcwidClient, OrderQuery
from npf_ecwid.ecwid.models import Order, Page
from npf_ecwid.ecwid.ratelimit import SlidingWindowLimiter
from npf_ecwid.sandbox.app import Faults, Sandbox, create_app
from npf_ecwid.sandbox.server import serve_in_thread
from npf_ecwid.sandbox.store import generate_store

TOKEN = "bench-token"


async def pull(api_url: str, concurrent: bool) -> tuple[float, int, int]:
    client = EcwidClient(
        base_url=api_url,
        store_id=1003,
        token=SecretStr(TOKEN),
        limiter=SlidingWindowLimiter(limit=1_000_000, window=1.0),
    )
    async with client:
        started = time.perf_counter()
        if concurrent:
            orders = await client.search_orders(OrderQuery())
        else:  # one page after another
            orders, page = [], None
            while page is None or (page.count and len(orders) < page.total):
                page = await client.get_orders_page(OrderQuery(), offset=len(orders))
                orders += page.items
        return time.perf_counter() - started, len(orders), client.stats.requests


def parse_speed(api_url: str) -> tuple[float, float]:
    body = httpx.get(
        f"{api_url}/1003/orders",
        params={"limit": 100},
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).content
    rounds = 50
    started = time.perf_counter()
    for _ in range(rounds):
        Page[Order].model_validate_json(body)
    direct = (time.perf_counter() - started) / rounds
    started = time.perf_counter()
    for _ in range(rounds):
        Page[Order].model_validate(json.loads(body))
    via_dict = (time.perf_counter() - started) / rounds
    return direct, via_dict


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    store = generate_store(1003, orders=args.orders, seed=1)
    sandbox = Sandbox([store], faults=Faults(latency_ms=args.latency_ms, rate_limit=10**9))
    sandbox.add_token(TOKEN, 1003)
    with serve_in_thread(create_app(sandbox)) as api_url:
        sequential = asyncio.run(pull(api_url, concurrent=False))
        concurrent = asyncio.run(pull(api_url, concurrent=True))
        direct, via_dict = parse_speed(api_url)
    print(f"orders {args.orders}, latency {args.latency_ms:.0f} ms per request")
    for name, (seconds, count, requests) in (
        ("sequential", sequential),
        ("concurrent", concurrent),
    ):
        print(
            f"{name:>10}: {seconds:6.2f} s, {count} orders, {requests} requests, "
            f"{count / seconds:8.0f} orders/s, x{sequential[0] / seconds:.1f} vs sequential"
        )
    print(
        f"parse one page of 100: model_validate_json {direct * 1000:.2f} ms, "
        f"json.loads+model_validate {via_dict * 1000:.2f} ms (x{via_dict / direct:.2f})"
    )


if __name__ == "__main__":
    main()
