"""Sandbox: store generation speed and `GET /orders` paging cost over a large store.

Run: python bench/sandbox_store.py [--orders 100000]
Prints: generation time (wall and CPU; compare the CPU figure on a shared machine); the
first filtered query (one pass over the store) against pages served from the cache,
in-process (ASGI) and over real HTTP on loopback; and the first page after a write (which
invalidates the cache).
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx

from npf_ecwid.sandbox import Faults, Sandbox, create_app, generate_store, serve_in_thread

TOKEN = "bench-token"
QUERY = {"paymentStatus": "PAID", "fulfillmentStatus": "AWAITING_PROCESSING", "limit": 100}


async def timed_pages(client: httpx.AsyncClient, pages: int) -> tuple[float, float]:
    """(first page s, mean later page s) for a fresh query signature."""
    started = time.perf_counter()
    first = (await client.get("/orders", params={**QUERY, "offset": 0})).json()
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    for n in range(1, pages + 1):
        await client.get("/orders", params={**QUERY, "offset": n * 100 % first["total"]})
    return first_s, (time.perf_counter() - started) / pages


async def main(orders: int, pages: int) -> None:
    started, cpu_started = time.perf_counter(), time.process_time()
    store = generate_store(orders=orders, seed=1)
    generated, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(
        f"generate_store(orders={orders}): {generated:.2f} s "
        f"wall, {cpu:.2f} s CPU ({cpu / max(orders, 1) * 1e6:.1f} us CPU/order)"
    )
    sandbox = Sandbox([store], Faults(rate_limit=10**9))
    sandbox.add_token(TOKEN, 1003)
    app = create_app(sandbox)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), headers=headers, base_url="http://sandbox/api/v3/1003"
    ) as client:
        first, later = await timed_pages(client, pages)
        print(
            f"ASGI: first filtered page {first * 1000:.0f} ms, cached pages "
            f"{later * 1000:.1f} ms each ({first / later:.0f}x)"
        )
        order_id = (await client.get("/orders", params={"limit": 1})).json()["items"][0]["id"]
        await client.put(f"/orders/{order_id}", json={"trackingNumber": "B1"})
        after_write, _ = await timed_pages(client, 1)
        print(f"ASGI: first page after a write (cache rebuilt) {after_write * 1000:.0f} ms")
    with serve_in_thread(app) as base_url:
        async with httpx.AsyncClient(base_url=f"{base_url}/1003", headers=headers) as client:
            QUERY["fulfillmentStatus"] = "PROCESSING"  # a new signature: not cached yet
            first, later = await timed_pages(client, pages)
            print(
                f"HTTP: first filtered page {first * 1000:.0f} ms, cached pages "
                f"{later * 1000:.1f} ms each ({first / later:.0f}x)"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.orders, args.pages))
