"""Sandbox process for bench/capacity.py: N stores (ids 1001..), token `cap-token-<i>` each.

    python bench/capacity_sandbox.py N PORT ORDERS
Runs in its own process so its CPU is not counted as the integration's.
"""

from __future__ import annotations

import sys

import uvicorn

from npf_ecwid.sandbox import Sandbox, create_app, generate_store


def main(clients: int, port: int, orders: int) -> None:
    sandbox = Sandbox()
    for i in range(1, clients + 1):
        sandbox.add_store(generate_store(1000 + i, orders=orders, seed=i, order_prefix=""))
        sandbox.add_token(f"cap-token-{i}", 1000 + i)
    uvicorn.run(create_app(sandbox), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
