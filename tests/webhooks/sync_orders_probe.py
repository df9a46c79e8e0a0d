"""A stand-in with the agreed name and parameters of the `sync-orders` flow."""

from __future__ import annotations

from prefect import flow


@flow(name="sync-orders")
def sync_orders_probe(client: str, since: str | None = None) -> None:
    """Never run by these tests: they only check that a run is created for the deployment."""
