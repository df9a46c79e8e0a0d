"""The order pull's steps as plain functions (the Prefect flow only sequences them).

    plan (watermark -> Ecwid query) -> fetch -> prepare (normalise, filter, validate)
        -> OrderIntake.commit (orders + quarantine + watermark, one transaction)

Each run also reads Ecwid's deleted-orders history from its own watermark and marks the
handed-off orders Ecwid deleted cancelled, in the same commit (`npf_ecwid.orders.deletions`).

Incremental pull: the watermark is the latest Ecwid `updateDate` seen by a committed run,
capped at that run's start (`next_watermark`); the next run asks for `updatedFrom =
watermark - OVERLAP` (filters.py) because Ecwid documents no sort order and an edit can
become visible after a later one. Re-pulled orders cost nothing: the hand-off compares
content hashes. The watermark is only written by `OrderIntake.commit`, together with the
orders, so a failed or killed run leaves it where it was and the next run pulls the same
window again.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from npf_ecwid.config import ClientConfig, StatusMeaning
from npf_ecwid.ecwid.api import EcwidAPI
from npf_ecwid.ecwid.client import OrderQuery
from npf_ecwid.ecwid.errors import EcwidAuthError, EcwidError
from npf_ecwid.ecwid.models import DeletedOrder, Order
from npf_ecwid.ecwid.stats import RejectedItem
from npf_ecwid.local_day import local_midnight
from npf_ecwid.newest import newest_by_id
from npf_ecwid.normalise import OrderFrames, normalise_orders
from npf_ecwid.orders.deletions import DELETED_REASON, DeletionQuery
from npf_ecwid.orders.filters import apply_filters
from npf_ecwid.orders.ports import IntakeResult, Quarantined
from npf_ecwid.orders.validate import find_problems


class OrderPullError(RuntimeError):
    """A run that cannot go on; the message is one line naming the client."""


@dataclass(frozen=True)
class Fetched:
    orders: list[Order]
    currency: str | None
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    unreadable: tuple[Quarantined, ...] = ()  # orders Ecwid sent that failed to parse
    deleted: tuple[DeletedOrder, ...] = ()  # Ecwid's deleted-orders history for this run


@dataclass
class Prepared:
    frames: OrderFrames  # valid orders to hand off
    quarantined: list[Quarantined]
    skipped: dict[str, str]  # ecwid_order_id -> filter reason
    pulled: int


@dataclass
class PullSummary:
    client: str
    pulled: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    skipped_by_filter: int = 0
    requests: int = 0
    skip_reasons: dict[str, int] = field(default_factory=dict)
    deleted_in_ecwid: int = 0  # handed-off orders marked cancelled because Ecwid deleted them
    skipped: str | None = None  # why the run did not call Ecwid (the token breaker)

    def table(self) -> list[dict[str, object]]:
        """Rows for the run's table artifact."""
        counts = (
            "pulled",
            "new",
            "updated",
            "unchanged",
            "quarantined",
            "skipped_by_filter",
            "deleted_in_ecwid",
        )
        label = {"deleted_in_ecwid": "deleted in Ecwid"}
        return [
            {"count": label.get(name, name.replace("_", " ")), "orders": getattr(self, name)}
            for name in counts
        ]

    def __str__(self) -> str:
        """The run log's closing line: "pulled 169, new 103, ..., skipped by filter 66"."""
        return ", ".join(f"{row['count']} {row['orders']}" for row in self.table())


def parse_since(value: str, zone: str) -> datetime:
    """`--since`: a date (local midnight in the client's zone) or an ISO datetime (naive =
    the client's zone)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise OrderPullError(
            f"--since {value!r} is not a date (YYYY-MM-DD) or ISO datetime"
        ) from None
    if len(value) <= 10:
        return local_midnight(date.fromisoformat(value), zone)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(zone))
    return parsed.astimezone(UTC)


async def fetch_orders(
    client: ClientConfig,
    ecwid: EcwidAPI,
    query: OrderQuery,
    deletions: DeletionQuery | None = None,
) -> Fetched:
    """The store's currency, every order matching `query` and, with `deletions`, Ecwid's
    deleted-orders history from there (pages fetched concurrently within the token's rate
    limit by the client). Ecwid errors become one-line `OrderPullError`s naming the client; a
    rejected token fails at the first answer (the profile and page 0 are sent together), with
    no retries. The history is read after the orders, so an order deleted while they were
    paged is in it, and the deletion wins over the copy pulled before it."""
    stats = ecwid.stats
    already_rejected = len(stats.rejected)
    try:
        async with asyncio.TaskGroup() as group:  # the profile's round trip overlaps page 0
            profile_call = group.create_task(ecwid.get_profile())
            search = group.create_task(ecwid.search_orders(query))
        # only orders are quarantined; a history entry the client cannot read is logged by it
        rejected = stats.rejected[already_rejected:]
        deleted = await ecwid.search_deleted_orders(deletions.deleted_from) if deletions else []
    except (EcwidError, ExceptionGroup) as raised:
        raise _pull_error(client, raised) from None
    profile, orders = profile_call.result(), search.result()
    units = profile.formats_and_units
    return Fetched(
        orders,
        units.currency if units else None,
        stats.requests,
        stats.retries,
        stats.rate_limited,
        unreadable_orders(rejected, orders),
        tuple(deleted),
    )


def unreadable_orders(
    rejected: Sequence[RejectedItem], orders: Sequence[Order]
) -> tuple[Quarantined, ...]:
    """Quarantine entries for the orders the client could not parse (one per order; a copy
    listed twice while paging keeps the newer). An order that was also read fine (it changed
    while we paged and its other copy parses) is not held back.

    Keyed by the order's `id` when it can be read, so the entry is resolved when a fixed
    version is handed off; otherwise by a digest of the raw JSON, marked "(no id)" (such an
    entry stays listed until an operator clears it: nothing links it to the fixed order)."""
    parsed = {order.id for order in orders}
    unparsed = (item for item in rejected if _quarantine_key(item) not in parsed)
    return tuple(
        Quarantined(
            _quarantine_key(item),
            f"unreadable order: {item.reason}",
            item.raw_json,
            _updated_at(item.update_timestamp),
        )
        for item in newest_by_id(unparsed, key=_quarantine_key)
    )


def _updated_at(stamp: int | None) -> datetime | None:
    return datetime.fromtimestamp(stamp, tz=UTC) if stamp is not None else None


def _quarantine_key(item: RejectedItem) -> str:
    if item.item_id is not None and len(item.item_id) <= 64:
        return item.item_id
    digest = hashlib.sha256(item.raw_json.encode()).hexdigest()[:16]
    return f"(no id) sha256 {digest}"


def _pull_error(client: ClientConfig, raised: Exception) -> OrderPullError:
    """One line naming the client. Concurrent page fetches may raise an `ExceptionGroup`;
    the first Ecwid error in it is the reason."""
    error: BaseException = raised
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    if isinstance(error, EcwidAuthError):
        return OrderPullError(f"client {client.code}: Ecwid rejected the token ({error.status})")
    if not isinstance(error, EcwidError):
        raise raised
    return OrderPullError(f"client {client.code}: {error}")


def prepare(
    client: ClientConfig,
    orders: Sequence[Order],
    handed_off: set[str],
    currency: str | None = None,
    unreadable: Sequence[Quarantined] = (),
    deleted: Sequence[DeletedOrder] = (),
) -> Prepared:
    """Normalise, filter (already handed-off orders always pass) and validate; invalid
    orders become quarantine entries carrying their JSON, the rest of the batch proceeds.
    `unreadable` (`Fetched.unreadable`: orders that did not even parse) are quarantined as
    they are: no filter can be applied to them, and an operator should see them. Orders in
    `deleted` (Ecwid deleted them after we read them) are skipped, never handed off new."""
    names, internals = {d.order_id for d in deleted}, {d.id for d in deleted}
    gone = {o.id for o in orders if o.id in names or o.internal_id in internals}
    cancelled = client.statuses_meaning(StatusMeaning.CANCELLED)
    frames = normalise_orders([o for o in orders if o.id not in gone], currency, cancelled)
    filtered = apply_filters(client, frames, handed_off)
    filtered.skipped.update(dict.fromkeys(gone, DELETED_REASON))
    problems = find_problems(filtered.kept)
    by_id = {order.id: order for order in newest_by_id(orders)}  # the copy normalised
    quarantined = [
        Quarantined(
            order_id,
            reason,
            by_id[order_id].model_dump_json(by_alias=True, exclude_none=True),
            by_id[order_id].updated_at,
        )
        for order_id, reason in problems.items()
    ]
    quarantined.extend(unreadable)
    pulled = len(orders) + len(unreadable)
    return Prepared(filtered.kept.without(problems), quarantined, filtered.skipped, pulled)


def next_watermark(
    orders: Sequence[Order], run_at: datetime, unreadable: Sequence[Quarantined] = ()
) -> datetime | None:
    """min(run start, latest `updateDate` pulled); None when nothing was pulled (keep).

    Unreadable orders count too: they are committed to quarantine in the same transaction,
    so passing them loses nothing, and a fixed version has a newer `updateDate` anyway."""
    stamps = [order.updated_at for order in orders if order.updated_at is not None]
    stamps += [q.ecwid_updated_at for q in unreadable if q.ecwid_updated_at is not None]
    return min(max(stamps), run_at) if stamps else None


def summarise(
    client: ClientConfig, fetched: Fetched, prepared: Prepared, result: IntakeResult
) -> PullSummary:
    reasons: dict[str, int] = {}
    for reason in prepared.skipped.values():
        reasons[reason] = reasons.get(reason, 0) + 1
    return PullSummary(
        client=client.code,
        pulled=prepared.pulled,
        new=result.new,
        updated=result.updated,
        unchanged=result.unchanged,
        quarantined=result.quarantined,
        skipped_by_filter=len(prepared.skipped),
        requests=fetched.requests,
        skip_reasons=reasons,
        deleted_in_ecwid=len(result.deleted),
    )
