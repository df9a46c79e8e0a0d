"""`GET /orders` filters: parsed once into a hashable `OrderFilter` (the cache key)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from npf_ecwid.sandbox.params import checked_values, comma_list, opt_date

PAYMENT_STATUSES = frozenset(
    {
        "AWAITING_PAYMENT",
        "PAID",
        "CANCELLED",
        "REFUNDED",
        "PARTIALLY_REFUNDED",
        "INCOMPLETE",
        "CUSTOM_PAYMENT_STATUS_1",
        "CUSTOM_PAYMENT_STATUS_2",
        "CUSTOM_PAYMENT_STATUS_3",
    }
)
FULFILLMENT_STATUSES = frozenset(
    {
        "AWAITING_PROCESSING",
        "PROCESSING",
        "SHIPPED",
        "DELIVERED",
        "WILL_NOT_DELIVER",
        "RETURNED",
        "READY_FOR_PICKUP",
        "OUT_FOR_DELIVERY",
        "CUSTOM_FULFILLMENT_STATUS_1",
        "CUSTOM_FULFILLMENT_STATUS_2",
        "CUSTOM_FULFILLMENT_STATUS_3",
    }
)


@dataclass(frozen=True)
class OrderFilter:
    """The filters of one `GET /orders` (everything except offset/limit).

    Date bounds are inclusive UNIX seconds. `payment=None` means "every status except
    INCOMPLETE" (Ecwid omits unfinished orders unless `paymentStatus` asks for them).
    `ids=None` means no id filter.
    """

    ids: tuple[str, ...] | None = None
    created_from: float | None = None
    created_to: float | None = None
    updated_from: float | None = None
    updated_to: float | None = None
    payment: frozenset[str] | None = None
    fulfillment: frozenset[str] | None = None
    email: str | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> OrderFilter:
        email = query.get("email")
        return cls(
            ids=comma_list(query, "ids"),
            created_from=opt_date(query, "createdFrom"),
            created_to=opt_date(query, "createdTo"),
            updated_from=opt_date(query, "updatedFrom"),
            updated_to=opt_date(query, "updatedTo"),
            payment=checked_values(query, "paymentStatus", PAYMENT_STATUSES),
            fulfillment=checked_values(query, "fulfillmentStatus", FULFILLMENT_STATUSES),
            email=email.lower() if email else None,
        )

    def select(self, orders: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """The orders matching every filter, in the input order. One tight loop: it runs
        over the whole store (100k orders) once per distinct query."""
        c_from, c_to = self.created_from, self.created_to
        u_from, u_to = self.updated_from, self.updated_to
        payment, fulfillment, email = self.payment, self.fulfillment, self.email
        out = []
        for order in orders:
            status = order["paymentStatus"]
            if payment is None:
                if status == "INCOMPLETE":
                    continue
            elif status not in payment:
                continue
            if fulfillment is not None and order["fulfillmentStatus"] not in fulfillment:
                continue
            created = order["createTimestamp"]
            if (c_from is not None and created < c_from) or (c_to is not None and created > c_to):
                continue
            updated = order["updateTimestamp"]
            if (u_from is not None and updated < u_from) or (u_to is not None and updated > u_to):
                continue
            if email is not None and order.get("email", "").lower() != email:
                continue
            out.append(order)
        return out
