"""The real order-sync trigger for webhooks: start the client's `sync-orders` deployment now.

Lives outside `npf_ecwid` because it imports Prefect (the library never does). `timeout=0`
creates the flow run and returns at once; the client's worker/serve process runs it. A missing
deployment or an unreachable Prefect API raises, and the webhook debouncer logs it; the
interval schedule remains the safety net.
"""

from __future__ import annotations

from prefect.deployments import run_deployment


def deployment_name(client_code: str) -> str:
    """`sync-orders/<client code lowercased>`, the agreed deployment naming."""
    return f"sync-orders/{client_code.lower()}"


class PrefectOrderSyncTrigger:
    """`OrderSyncTrigger` backed by `prefect.deployments.run_deployment` (call off the loop)."""

    def trigger(self, client_code: str) -> None:
        run_deployment(name=deployment_name(client_code), timeout=0)
