"""Prefect tasks of the order pull: each wraps one I/O step or one pure step of
`npf_ecwid.orders.pull`.

Retries: the Ecwid fetch has NO task retries on purpose. The client already retries 429/5xx/
timeouts with jittered backoff under the token's rate limit; stacking Prefect retries on top
would multiply requests during an outage (6 x N attempts) and turn a bad token (403, never
retried by the client) into a retry storm. A storm that outlasts the client's retries fails
the run; the next scheduled run starts again from the unchanged watermark. The database
steps do retry (twice, with backoff): they are idempotent (reads, and an all-or-nothing upsert
keyed on the order id) and a database restart or lock timeout is worth a second try.

`cache_policy=NO_CACHE`: the inputs are whole batches (dataframes, thousands of ids); hashing
them for a cache key would cost more than the step.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from npf_ecwid.breaker.guard import open_breaker
from npf_ecwid.config import ClientConfig
from npf_ecwid.connect import open_ecwid
from npf_ecwid.ecwid.client import OrderQuery
from npf_ecwid.orders.deletions import DeletionQuery, next_deleted_watermark, plan_deletions
from npf_ecwid.orders.filters import plan_query
from npf_ecwid.orders.ports import IntakeBatch, IntakeResult, Quarantined
from npf_ecwid.orders.pull import Fetched, Prepared, fetch_orders, next_watermark, prepare
from npf_ecwid.orders.quarantine import read_as_sent
from npf_ecwid.wiring import open_order_intake
from runtime.secrets import load_secret

DB_RETRIES = {"retries": 2, "retry_delay_seconds": [2, 10], "cache_policy": NO_CACHE}


@task(name="plan-pull", **DB_RETRIES)
def plan_pull(client: ClientConfig, since: datetime | None) -> OrderQuery:
    """The Ecwid query for this run, from the stored watermark."""
    query = plan_query(client, open_order_intake().watermark(client.code), since)
    get_run_logger().info("client %s: asking Ecwid for %s", client.code, query)
    return query


@task(name="plan-deletions", **DB_RETRIES)
def plan_deletions_read(client: ClientConfig) -> DeletionQuery:
    """Where this run reads Ecwid's deleted-orders history from (its own watermark)."""
    deletions = plan_deletions(client, open_order_intake().deleted_watermark(client.code))
    get_run_logger().info("client %s: asking Ecwid for %s", client.code, deletions)
    return deletions


async def _fetch(
    client: ClientConfig, query: OrderQuery, deletions: DeletionQuery | None
) -> Fetched:
    async with open_ecwid(client, load_secret=load_secret, breaker=open_breaker()) as ecwid:
        return await fetch_orders(client, ecwid, query, deletions)


@task(name="fetch-orders", cache_policy=NO_CACHE)
def fetch(
    client: ClientConfig, query: OrderQuery, deletions: DeletionQuery | None = None
) -> Fetched:
    """Every order Ecwid has for `query`, normalised into dataframes (the parsed models end
    here), and its deleted-orders history for `deletions` (no task retries: see the module
    docstring).

    A sync task owning its event loop, so `sync_orders` stays a sync flow that other sync
    flows (the stock sync's final pull) can call as a subflow."""
    fetched = asyncio.run(_fetch(client, query, deletions))
    get_run_logger().info(
        "client %s: pulled %d orders (+%d unreadable) and %d deletions in %d requests "
        "(%d retries, %d x 429)",
        client.code,
        len(fetched.frames),
        len(fetched.unreadable),
        len(fetched.deleted),
        fetched.requests,
        fetched.retries,
        fetched.rate_limited,
    )
    return fetched


@task(name="find-handed-off", **DB_RETRIES)
def find_known(client: ClientConfig, fetched: Fetched) -> set[str]:
    """The pulled orders the warehouse already has (handed off by an earlier run)."""
    ids = fetched.frames.orders["ecwid_order_id"].tolist()
    return open_order_intake().known_ids(client.code, ids)


@task(name="prepare-orders", cache_policy=NO_CACHE)
def prepare_orders(client: ClientConfig, fetched: Fetched, known: set[str]) -> Prepared:
    """Filter and validate (pure)."""
    return prepare(client, fetched, known)


async def _read_as_sent(client: ClientConfig, prepared: Prepared) -> list[Quarantined]:
    async with open_ecwid(client, load_secret=load_secret, breaker=open_breaker()) as ecwid:
        return await read_as_sent(ecwid, prepared.invalid)


@task(name="quarantine-as-sent", cache_policy=NO_CACHE)
def quarantine_as_sent(client: ClientConfig, prepared: Prepared) -> list[Quarantined]:
    """The run's quarantine entries, each order's JSON as Ecwid sent it: the invalid ones read
    back from Ecwid (one request each; none when every order is valid), the unreadable ones
    as their page carried them. No task retries, as for the fetch."""
    held = asyncio.run(_read_as_sent(client, prepared)) if prepared.invalid else []
    held.extend(prepared.unreadable)
    logger = get_run_logger()
    for entry in held:
        logger.warning(
            "client %s: quarantined %s: %s", client.code, entry.ecwid_order_id, entry.reason
        )
    return held


@task(name="hand-off-orders", **DB_RETRIES)
def hand_off(
    client: ClientConfig,
    fetched: Fetched,
    prepared: Prepared,
    quarantined: list[Quarantined],
    run_at: datetime,
) -> IntakeResult:
    """Commit new/changed orders, cancellations of deleted ones, quarantine and the watermark
    advances in one transaction; one log line per order."""
    batch = IntakeBatch(
        client.code,
        prepared.frames,
        quarantined,
        next_watermark(fetched.latest_update, run_at),
        run_at,
        fetched.deleted,
        next_deleted_watermark(fetched.deleted, run_at),
        flow_run=flow_run.name,
    )
    result = open_order_intake().commit(batch)
    logger = get_run_logger()
    for marked in result.deleted:
        logger.info(
            "client %s: %s deleted in Ecwid (%s): marked cancelled, revision %d",
            client.code,
            marked.ecwid_order_id,
            marked.deleted_at.isoformat(),
            marked.revision,
        )
    for label in result.deleted_ignored:
        logger.info(
            "client %s: %s deleted in Ecwid: never handed to the warehouse, ignored",
            client.code,
            label,
        )
    for order in result.handed_off:
        logger.info(
            "client %s: handed off %s (%s): %d lines, payment %s, fulfilment %s%s",
            client.code,
            order.order_ref,
            order.change,
            order.lines,
            order.payment_status,
            order.fulfillment_status,
            ", CANCELLED" if order.cancelled else "",
        )
    return result
