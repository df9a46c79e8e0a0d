"""The order pull's steps as plain functions (the Prefect flow only sequences them).

    plan (watermark -> Ecwid query) -> fetch (and normalise) -> prepare (filter, validate)
        -> read the invalid orders back as Ecwid sends them (`quarantine.read_as_sent`)
        -> OrderIntake.commit (orders + quarantine + watermark, one transaction)

The `Order` models live only inside the fetch step, one page at a time (each page becomes row
tuples as it is parsed, `normalise.order_rows`): it hands on dataframes (`Fetched`), and
the watermark is taken from their `ecwid_updated_at` column, so no step after it holds (or
makes Prefect walk) a list of models.

Each run also reads Ecwid's deleted-orders history from its own watermark and marks the
handed-off orders Ecwid deleted cancelled, in the same commit (`npf_ecwid.orders.deletions`).

Incremental pull: the watermark is the latest Ecwid `updateDate` seen by a committed run,
capped at that run's start (`latest_update`, `next_watermark`); the next run asks for `updatedFrom =
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
from functools import partial
from zoneinfo import ZoneInfo

import pandas as pd

from npf_ecwid.config import ClientConfig, StatusMeaning
from npf_ecwid.ecwid.api import EcwidAPI
from npf_ecwid.ecwid.client import OrderQuery
from npf_ecwid.ecwid.errors import EcwidAuthError, EcwidError
from npf_ecwid.ecwid.models import DeletedOrder
from npf_ecwid.ecwid.stats import UnreadableItem
from npf_ecwid.local_day import local_midnight
from npf_ecwid.newest import newest_by_id
from npf_ecwid.normalise import OrderFrames, OrderRows, frames_from_rows, order_rows
from npf_ecwid.orders.deletions import DELETED_REASON, DeletionQuery
from npf_ecwid.orders.filters import apply_filters
from npf_ecwid.orders.ports import IntakeResult, Quarantined
from npf_ecwid.orders.quarantine import Invalid
from npf_ecwid.orders.validate import find_problems
from npf_ecwid.runs import RunStatus


class OrderPullError(RuntimeError):
    """A run that cannot go on; the message is one line naming the client."""


@dataclass(frozen=True)
class Fetched:
    """What the fetch step hands on: every readable order pulled, as dataframes (each once,
    the newest copy; Ecwid's deletions not yet applied), plus what later steps need."""

    frames: OrderFrames
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    unreadable: tuple[Quarantined, ...] = ()  # orders Ecwid sent that failed to parse
    deleted: tuple[DeletedOrder, ...] = ()  # Ecwid's deleted-orders history for this run
    latest_update: datetime | None = None  # the watermark candidate (`latest_update`)

    @property
    def pulled(self) -> int:
        """Orders Ecwid sent, readable or not."""
        return len(self.frames) + len(self.unreadable)


@dataclass(frozen=True)
class Prepared:
    frames: OrderFrames  # valid orders to hand off
    invalid: list[Invalid]  # parsed but not valid: quarantined once read back as sent
    unreadable: tuple[Quarantined, ...]  # did not parse: quarantined as the page carried them
    skipped: dict[str, str]  # ecwid_order_id -> filter reason
    pulled: int


@dataclass(frozen=True)
class PullSummary:
    """What `sync-orders` returns (`status` done, or skipped with the `reason`)."""

    client: str
    status: RunStatus = RunStatus.DONE
    pulled: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    skipped_by_filter: int = 0
    requests: int = 0
    skip_reasons: dict[str, int] = field(default_factory=dict)
    deleted_in_ecwid: int = 0  # handed-off orders marked cancelled because Ecwid deleted them
    reason: str | None = None  # why the run did not call Ecwid (the token breaker)

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
    already_unreadable = len(stats.unreadable)
    cancelled = client.statuses_meaning(StatusMeaning.CANCELLED)
    as_rows = partial(order_rows, cancelled_custom=cancelled)
    try:
        async with asyncio.TaskGroup() as group:  # the profile's round trip overlaps page 0
            profile_call = group.create_task(ecwid.get_profile())
            search = group.create_task(ecwid.search_orders_as(query, as_rows))
        # only orders are quarantined; a history entry the client cannot read is logged by it
        items = stats.unreadable[already_unreadable:]
        deleted = await ecwid.search_deleted_orders(deletions.deleted_from) if deletions else []
    except (EcwidError, ExceptionGroup) as raised:
        raise _pull_error(client, raised) from None
    profile, orders = profile_call.result(), search.result()
    units = profile.formats_and_units
    frames = frames_from_rows(orders, units.currency if units else None)
    unreadable = unreadable_orders(items, orders)
    return Fetched(
        frames,
        stats.requests,
        stats.retries,
        stats.rate_limited,
        unreadable,
        tuple(deleted),
        latest_update(frames, unreadable),
    )


def unreadable_orders(
    items: Sequence[UnreadableItem], orders: Sequence[OrderRows]
) -> tuple[Quarantined, ...]:
    """Quarantine entries for the orders the client could not parse (one per order; a copy
    listed twice while paging keeps the newer). An order that was also read fine (it changed
    while we paged and its other copy parses) is not held back.

    Keyed by the order's `id` when it can be read, so the entry is resolved when a fixed
    version is handed off; otherwise by a digest of the raw JSON, marked "(no id)" (such an
    entry stays listed until an operator clears it: nothing links it to the fixed order)."""
    parsed = {order.id for order in orders}
    unparsed = (item for item in items if _quarantine_key(item) not in parsed)
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


def _quarantine_key(item: UnreadableItem) -> str:
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


def prepare(client: ClientConfig, fetched: Fetched, known: set[str]) -> Prepared:
    """Filter (`known`: orders the warehouse already has, handed off before, always pass)
    and validate; invalid orders are listed for quarantine with their reasons, the rest of
    the batch proceeds. Unreadable orders
    (`Fetched.unreadable`: they did not even parse) are quarantined as they are: no filter
    can be applied to them, and an operator should see them. Orders in Ecwid's deleted-orders
    history (deleted after we read them) are skipped, never handed off new."""
    frames = fetched.frames
    names = {d.order_id for d in fetched.deleted}
    internals = {d.id for d in fetched.deleted}
    orders = frames.orders
    is_gone = orders["ecwid_order_id"].isin(list(names)) | orders["internal_id"].isin(
        list(internals)
    )
    gone = orders.loc[is_gone, "ecwid_order_id"].tolist()
    filtered = apply_filters(client, frames.without(gone) if gone else frames, known)
    filtered.skipped.update(dict.fromkeys(gone, DELETED_REASON))
    problems = find_problems(filtered.kept)
    updated = _updated_by_id(filtered.kept.only(problems)) if problems else {}
    invalid = [Invalid(oid, reason, updated.get(oid)) for oid, reason in problems.items()]
    return Prepared(
        filtered.kept.without(problems) if problems else filtered.kept,
        invalid,
        fetched.unreadable,
        filtered.skipped,
        fetched.pulled,
    )


def _updated_by_id(frames: OrderFrames) -> dict[str, datetime | None]:
    stamps = frames.orders.set_index("ecwid_order_id")["ecwid_updated_at"]
    return {oid: None if pd.isna(ts) else ts.to_pydatetime() for oid, ts in stamps.items()}


def latest_update(frames: OrderFrames, unreadable: Sequence[Quarantined] = ()) -> datetime | None:
    """The latest `updateDate` pulled (from the frames' `ecwid_updated_at`), None when none.

    Unreadable orders count too: they are committed to quarantine in the same transaction,
    so passing them loses nothing, and a fixed version has a newer `updateDate` anyway."""
    column = frames.orders["ecwid_updated_at"].dropna()
    stamps = [column.max().to_pydatetime()] if len(column) else []
    stamps += [q.ecwid_updated_at for q in unreadable if q.ecwid_updated_at is not None]
    return max(stamps) if stamps else None


def next_watermark(latest: datetime | None, run_at: datetime) -> datetime | None:
    """min(run start, latest `updateDate` pulled); None when nothing was pulled (keep)."""
    return min(latest, run_at) if latest is not None else None


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
