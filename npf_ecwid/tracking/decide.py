"""What to do for one planned push, given the order as Ecwid has it right now.

Pure. This read-before-write is what makes the push exactly-once across crashes: if a PUT
reached Ecwid but the process died before the ledger recorded it, the next run reads the order,
finds our numbers already there and records the push as confirmed without sending it again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from npf_ecwid.ecwid.models import FulfillmentStatus, Order, OrderUpdate
from npf_ecwid.order_status import SHIPPED_OR_LATER, cancellation
from npf_ecwid.tracking.plan import PlannedPush, number_key


@dataclass(frozen=True)
class Put:
    update: OrderUpdate


@dataclass(frozen=True)
class AlreadyShipped:
    reason: str


@dataclass(frozen=True)
class Refuse:
    reason: str


Decision = Put | AlreadyShipped | Refuse


def numbers_in_ecwid(tracking_number: str | None) -> set[str]:
    """Tracking numbers in Ecwid's free-text field, split every way a person might separate
    them (our ", ", a merchant's "; " or spaces)."""
    if not tracking_number:
        return set()
    parts = {number_key(p) for p in re.split(r"[,;]", tracking_number)}
    parts |= {number_key(p) for p in re.split(r"[,;\s]+", tracking_number)}
    return parts - {""}


def cancelled_reason(order: Order, cancelled_custom: frozenset[str] = frozenset()) -> str | None:
    """Why the order must not be marked shipped: cancelled in Ecwid (`order_status`: payment
    CANCELLED/REFUNDED, fulfilment WILL_NOT_DELIVER), or in a custom status the client maps to
    `cancelled`. The same rule that set `npf_order.cancelled_at` at hand-off."""
    found = cancellation(order.payment_status, order.fulfillment_status, cancelled_custom)
    if found is None:
        return None
    mapped = ", which this client maps to cancelled" if found.custom else ""
    return f"order cancelled in Ecwid ({found.field} {found.status}{mapped})"


def build_update(
    push: PlannedPush,
    current_status: str | None = None,
    *,
    silenced: bool = False,
    keep_status: bool = False,
) -> OrderUpdate:
    """The PUT body. Never carries `items`: Ecwid deletes every item a PUT with `items` leaves
    out. Setting SHIPPED (or assigning a tracking number) makes Ecwid email the customer if the
    merchant enabled "Order shipped" mails, unless `disableAllCustomerNotifications` is true.

    That flag is stored on the order and silences every later customer mail for it, not just
    this one (docs/ecwid/api-reference/rest-api/orders/update-order.md and get-order.md: an
    order field, "true - no notifications are sent to the customer"). So it is sent only for a
    client with `disable_customer_notifications` and only when the order does not already
    have it (`silenced`); `push.apply_plan` then sets it back to false (`restore_notifications`).
    `keep_status`: the order is already shipped in a way we keep (a custom status the client
    maps to shipped), so only the numbers are sent.
    """
    return OrderUpdate(
        tracking_number=push.tracking_number,
        tracking_url=push.tracking_url,
        fulfillment_status=(
            None
            if keep_status or current_status in SHIPPED_OR_LATER
            else FulfillmentStatus.SHIPPED.value
        ),
        disable_all_customer_notifications=(
            True if push.disable_notifications and not silenced else None
        ),
    )


def restore_notifications() -> OrderUpdate:
    """The second PUT after a silenced push: the order's flag back to false, as it was before
    our push (we only set it when it was not true), so later mails (delivered, refunded, a
    merchant's status change) follow the store's mail settings again. Changes no status, so
    it sends no mail itself."""
    return OrderUpdate(disable_all_customer_notifications=False)


def decide(push: PlannedPush, order: Order | None) -> Decision:
    """`order` is None when Ecwid answered 404 (deleted, or a wrong id from the warehouse).

    A custom fulfilment status the client maps to `shipped` counts as shipped or later (our
    numbers are added, the merchant's status is kept); one mapped to `cancelled` refuses."""
    if order is None:
        return Refuse("order not found in Ecwid (404: deleted?)")
    status = order.fulfillment_status
    # At or past "shipped": our numbers there mean the push happened; and we never move such an
    # order back to SHIPPED (we only add the numbers).
    shipped = status in SHIPPED_OR_LATER or status in push.shipped_custom
    ours = {number_key(n) for n in push.tracking_numbers}
    if shipped and ours <= numbers_in_ecwid(order.tracking_number):
        return AlreadyShipped(f"already {status} in Ecwid with these tracking numbers")
    reason = cancelled_reason(order, push.cancelled_custom)
    if reason:
        return Refuse(reason)
    silenced = bool(order.disable_all_customer_notifications)
    return Put(build_update(push, status, silenced=silenced, keep_status=shipped))
