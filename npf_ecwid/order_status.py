"""What Ecwid's order statuses mean to the warehouse: one definition of "cancelled" and of
"shipped or later", used by the order pull (`npf_order.cancelled_at`), the stock sync (which
orders still hold units) and the tracking push (which orders it refuses or leaves shipped).

Status values: docs/ecwid/api-reference/rest-api/orders/search-orders.md (`paymentStatus`,
`fulfillmentStatus`). Statuses are plain strings here (the models tolerate unknown ones); the
enums are `StrEnum`s, so a raw JSON string is found in these sets as well.

A merchant's custom statuses mean what the client's `custom_statuses` table says
(`ClientConfig.statuses_meaning`); callers pass the ones mapped to `cancelled` (or, for stock,
to shipped or cancelled) as `custom`.
"""

from __future__ import annotations

from typing import NamedTuple

from npf_ecwid.ecwid.models import FulfillmentStatus, PaymentStatus

# The warehouse must not ship. PARTIALLY_REFUNDED is not a cancellation: the rest still ships.
CANCELLED_PAYMENT = frozenset({PaymentStatus.CANCELLED, PaymentStatus.REFUNDED})
CANCELLED_FULFILLMENT = frozenset({FulfillmentStatus.WILL_NOT_DELIVER})
# At or past "shipped": the goods have left the warehouse.
SHIPPED_OR_LATER = frozenset(
    {
        FulfillmentStatus.SHIPPED,
        FulfillmentStatus.OUT_FOR_DELIVERY,
        FulfillmentStatus.DELIVERED,
        FulfillmentStatus.RETURNED,
    }
)


class Cancellation(NamedTuple):
    """Which of the order's statuses makes it cancelled (for messages)."""

    field: str  # "paymentStatus" or "fulfillmentStatus", as Ecwid names it
    status: str
    custom: bool  # a custom status the client maps to `cancelled`


def cancellation(
    payment_status: str | None,
    fulfillment_status: str | None,
    custom: frozenset[str] = frozenset(),
) -> Cancellation | None:
    """Why the order counts as cancelled (payment first), or None when it does not."""
    if payment_status in CANCELLED_PAYMENT:
        return Cancellation("paymentStatus", str(payment_status), False)
    if fulfillment_status in CANCELLED_FULFILLMENT:
        return Cancellation("fulfillmentStatus", str(fulfillment_status), False)
    if payment_status in custom:
        return Cancellation("paymentStatus", str(payment_status), True)
    if fulfillment_status in custom:
        return Cancellation("fulfillmentStatus", str(fulfillment_status), True)
    return None


def is_cancelled(
    payment_status: str | None,
    fulfillment_status: str | None,
    custom: frozenset[str] = frozenset(),
) -> bool:
    """The warehouse must not ship: payment CANCELLED/REFUNDED, fulfilment WILL_NOT_DELIVER, or
    a custom status in `custom`. Called once per order of a backfill, so kept to set lookups."""
    return (
        payment_status in CANCELLED_PAYMENT
        or fulfillment_status in CANCELLED_FULFILLMENT
        or payment_status in custom
        or fulfillment_status in custom
    )
