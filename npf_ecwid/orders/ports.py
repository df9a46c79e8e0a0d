"""The order hand-off port: what the order pull needs from a warehouse, whatever its medium.

The port and its records live here, in the domain; the adapters in `npf_ecwid.warehouse`
import them and `npf_ecwid.wiring.open_order_intake` chooses one (`NPF_WAREHOUSE`).
Adapters: `warehouse.sql_orders.SqlOrderIntake` (the `npf_order`/`npf_order_line` tables)
and `warehouse.files_orders.FileOrderIntake` (one file per batch in an outbox folder). Both
keep the pull's state (watermark, quarantine) in the integration's database and commit a
batch's orders, quarantine entries and the watermark advance together, so a crash at any
point leaves either all of a batch or none of it, and the watermark never passes orders that
were not handed off.

What counts as a change: `npf_ecwid.orders.classify`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from npf_ecwid.ecwid.models import DeletedOrder
from npf_ecwid.normalise import OrderFrames


@dataclass(frozen=True)
class Quarantined:
    """An order held back by validation; `raw_json` is the order as Ecwid sent it (parsed)."""

    ecwid_order_id: str
    reason: str
    raw_json: str
    ecwid_updated_at: datetime | None = None


@dataclass(frozen=True)
class IntakeBatch:
    """One run's hand-off for one client: validated orders, quarantined ones, and the
    watermark to store if (and only if) the batch commits (None = leave it as it is).
    `flow_run` names the Prefect flow run in the order events (None outside a run)."""

    client: str
    frames: OrderFrames
    quarantined: Sequence[Quarantined]
    watermark: datetime | None
    run_at: datetime
    # Ecwid's deleted-orders history read this run, and where its next read starts.
    deleted: Sequence[DeletedOrder] = ()
    deleted_watermark: datetime | None = None
    flow_run: str | None = None


@dataclass(frozen=True)
class HandedOff:
    order_ref: str
    lines: int
    payment_status: str | None
    fulfillment_status: str | None
    change: str  # "new" | "updated"
    cancelled: bool


@dataclass(frozen=True)
class MarkedDeleted:
    """A handed-off order this commit marked cancelled because Ecwid deleted it."""

    ecwid_order_id: str
    revision: int
    deleted_at: datetime


@dataclass
class IntakeResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    handed_off: list[HandedOff] = field(default_factory=list)
    deleted: list[MarkedDeleted] = field(default_factory=list)
    deleted_ignored: list[str] = field(default_factory=list)  # never handed off


class OrderIntake(Protocol):
    """Hand orders to the warehouse exactly once per relevant version."""

    def known_ids(self, client: str, ecwid_order_ids: Sequence[str]) -> set[str]:
        """Which of these orders the warehouse already has (they bypass the filters)."""
        ...

    def watermark(self, client: str) -> datetime | None:
        """Where the next incremental pull starts (None before the first committed run)."""
        ...

    def deleted_watermark(self, client: str) -> datetime | None:
        """Where the next read of Ecwid's deleted-orders history starts (None: never read)."""
        ...

    def commit(self, batch: IntakeBatch) -> IntakeResult:
        """Hand off new and changed orders, mark handed-off orders deleted in Ecwid cancelled
        (`npf_ecwid.orders.deletions`), record quarantine and advance both watermarks, all
        or nothing. Idempotent: committing the same batch twice changes nothing the second
        time."""
        ...
