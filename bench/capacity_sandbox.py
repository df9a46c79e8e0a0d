"""Sandbox process for bench/capacity.py: N stores (ids 1001..), token `cap-token-<i>` each.

    python bench/capacity_sandbox.py N PORT ORDERS [NEW_ORDERS_PER_MINUTE]
Runs in its own process so its CPU is not counted as the integration's. New customer orders
keep arriving (spread over the stores at random), so steady-state pulls have work to do.
"""

from __future__ import annotations

import random
import sys
import threading
import time

import uvicorn

from npf_ecwid.sandbox import Sandbox, create_app, generate_store


def new_orders(sandbox: Sandbox, clients: int, per_minute: float) -> None:
    rng = random.Random(1)
    while per_minute > 0:
        time.sleep(60 / per_minute)
        sandbox.store(1000 + rng.randint(1, clients)).add_order()


def main(clients: int, port: int, orders: int, per_minute: float = 0) -> None:
    sandbox = Sandbox()
    for i in range(1, clients + 1):
        sandbox.add_store(generate_store(1000 + i, orders=orders, seed=i, order_prefix=""))
        sandbox.add_token(f"cap-token-{i}", 1000 + i)
    threading.Thread(target=new_orders, args=(sandbox, clients, per_minute), daemon=True).start()
    uvicorn.run(create_app(sandbox), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float((sys.argv[4:] or [0])[0]))
