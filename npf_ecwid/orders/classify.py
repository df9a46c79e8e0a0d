"""Which of a batch's orders are new, changed or unchanged against what the warehouse holds.

Pure (frames in, records out): every `OrderIntake` adapter classifies the same way, and the
order events say the same thing whichever adapter committed.

What counts as a change: `content_hash` (see `npf_ecwid.normalise`). Same hash = unchanged
(e.g. only `updateDate` moved, as our own tracking pushes do), even if the fulfilment status
moved; different hash = updated (revision bumped, `changed_at` set).
"""

from __future__ import annotations

from dataclasses import dataclass

from npf_ecwid.normalise import OrderFrames
from npf_ecwid.orders.ports import HandedOff


@dataclass(frozen=True)
class Previous:
    """What the warehouse already holds for an order."""

    content_hash: str
    revision: int


@dataclass(frozen=True)
class Classified:
    new: list[str]
    changed: list[str]
    unchanged: list[str]
    previous: dict[str, Previous]  # what the warehouse held before this batch


def classify(frames: OrderFrames, previous: dict[str, Previous]) -> Classified:
    """Split the batch's orders by what the warehouse already holds."""
    new: list[str] = []
    changed: list[str] = []
    unchanged: list[str] = []
    ids = frames.orders["ecwid_order_id"].tolist()
    for order_id, digest in zip(ids, frames.orders["content_hash"].tolist(), strict=True):
        before = previous.get(order_id)
        if before is None:
            new.append(order_id)
        elif before.content_hash != digest:
            changed.append(order_id)
        else:
            unchanged.append(order_id)
    return Classified(new, changed, unchanged, previous)


def handed_off_rows(frames: OrderFrames, classified: Classified) -> list[HandedOff]:
    """One record per order handed off (for the per-order log line)."""
    kinds = dict.fromkeys(classified.new, "new") | dict.fromkeys(classified.changed, "updated")
    o = frames.orders
    rows = o[o["ecwid_order_id"].isin(list(kinds))]
    return [
        HandedOff(ref, int(lines), pay, ful, kinds[oid], bool(cancelled))
        for oid, ref, lines, pay, ful, cancelled in zip(
            rows["ecwid_order_id"],
            rows["order_ref"],
            rows["line_count"].fillna(0),
            rows["payment_status"].astype(object),
            rows["fulfillment_status"].astype(object),
            rows["is_cancelled"],
            strict=True,
        )
    ]
