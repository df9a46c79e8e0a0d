"""`sync-orders`: pull one client's Ecwid orders into the warehouse, once each.

plan (watermarks: orders, deletions) -> fetch (orders as dataframes, deleted-orders history)
-> find already handed off -> prepare (filter, validate) -> quarantine the bad orders as Ecwid
sent them -> hand off (orders, cancellations of deleted orders, quarantine, watermarks in one
transaction) -> artifact.
Killed or failed at any point, nothing is half-committed and the watermark has not moved,
so the next run pulls the same window again. Contracts: npf_ecwid/orders/pull.py.
While the client's token breaker is refused, the run sends nothing and ends "Skipped".
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.utilities.annotations import quote

from npf_ecwid.config import ClientConfig, get_client
from npf_ecwid.orders.pull import PullSummary, parse_since, summarise
from npf_ecwid.runs import RunStatus
from npf_ecwid.settings import get_settings
from runtime.alerts import alert_on_failure
from runtime.artifacts import artifact_key
from runtime.lanes import client_lane
from runtime.skip import skipped
from tasks.breaker import token_gate
from tasks.orders import (
    fetch,
    find_known,
    hand_off,
    plan_deletions_read,
    plan_pull,
    prepare_orders,
    quarantine_as_sent,
)


@flow(name="sync-orders", flow_run_name="sync-orders-{client}", on_failure=[alert_on_failure])
def sync_orders(client: str, since: str | None = None) -> PullSummary:
    """Pull `client`'s new and changed orders (`since`: re-pull orders updated since that
    date/ISO time; the watermark never moves back). Runs inside the client's lane
    (`runtime.lanes`): never beside another flow of the same client, re-entered as a subflow.
    Skipped, without a request, while Ecwid's refusal of the token stands (`npf_ecwid.breaker`)."""
    with client_lane(client):
        config = get_client(get_settings().clients_file, client)
        reason = token_gate(config)
        if reason is not None:
            summary = PullSummary(config.code, RunStatus.SKIPPED, reason=reason)
            return skipped(reason, summary)  # type: ignore[return-value]
        return _pull(config, since)


def _pull(config: ClientConfig, since: str | None) -> PullSummary:
    run_at = datetime.now(UTC)
    start = parse_since(since, config.timezone) if since else None
    query = plan_pull(config, start)
    deletions = plan_deletions_read(config)
    fetched = fetch(config, query, deletions)
    # quote(): Prefect would otherwise walk every id of a big batch's sets and dicts looking
    # for futures (measured: 1 s per 40,000 ids); the tasks get the values.
    known = find_known(config, quote(fetched))
    prepared = prepare_orders(config, quote(fetched), quote(known))
    quarantined = quarantine_as_sent(config, quote(prepared))
    result = hand_off(config, quote(fetched), quote(prepared), quarantined, run_at)
    summary = summarise(config, fetched, prepared, result)
    create_table_artifact(
        key=artifact_key("sync-orders", config.code),
        table=summary.table(),
        description=f"Order pull for client {config.code}",
    )
    get_run_logger().info("client %s: %s", config.code, summary)
    return summary
