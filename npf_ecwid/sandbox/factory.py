"""Builds Ecwid-shaped order dicts from a seeded RNG and the catalogue.

Hot path of `generate_store` (100k orders in seconds), so it works on plain dicts, uses
prebuilt item/shipping templates and keeps per-order work to a few RNG calls. Nested template
values (`selectedOptions`, `shippingOption`) are shared between orders: the store replaces
nested values on writes and never mutates them in place.
"""

from __future__ import annotations

import random
import time
from bisect import bisect
from itertools import accumulate
from typing import Any

from npf_ecwid.sandbox.catalog import Catalog
from npf_ecwid.sandbox.factory_data import (
    COUNTRIES,
    FIRST_NAMES,
    FULFILMENT,
    LAST_NAMES,
    PAYMENT,
    PICKUP,
    SHIPPING_AU,
    SHIPPING_INTL,
    STREETS,
)

ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_PAIRS = [a + b for a in ID_ALPHABET for b in ID_ALPHABET]  # 1296 two-character chunks

_COUNTRY_CUM = list(accumulate(c[3] for c in COUNTRIES))
_PAY_NAMES, _PAY_CUM = [p for p, _ in PAYMENT], list(accumulate(w for _, w in PAYMENT))
_FUL_NAMES, _FUL_CUM = [f for f, _ in FULFILMENT], list(accumulate(w for _, w in FULFILMENT))
_HAS_TRACKING = frozenset({"SHIPPED", "DELIVERED", "OUT_FOR_DELIVERY", "RETURNED"})
_DAYS: dict[int, str] = {}


def ecwid_date(ts: float) -> str:
    """Ecwid's response date format, always UTC: `2024-05-01 05:26:28 +0000`.
    Day prefixes are cached: this runs twice per generated order."""
    seconds = int(ts)
    day, rest = divmod(seconds, 86400)
    prefix = _DAYS.get(day)
    if prefix is None:
        prefix = _DAYS[day] = time.strftime("%Y-%m-%d ", time.gmtime(day * 86400))
    hours, rest = divmod(rest, 3600)
    return f"{prefix}{hours:02d}:{rest // 60:02d}:{rest % 60:02d} +0000"


def _item_templates(catalog: Catalog) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(physical line templates, digital line templates), one per product or variation."""
    physical: list[dict[str, Any]] = []
    digital: list[dict[str, Any]] = []
    for product_id in catalog.ids():
        product = catalog.raw(product_id)
        is_digital = not product.get("isShippingRequired", True)
        base = {
            "productId": product_id,
            "name": product["name"],
            "weight": product["weight"],
            "isShippingRequired": not is_digital,
            "digital": is_digital,
            "trackQuantity": not product.get("unlimited", False),
        }
        variants = product.get("combinations") or [None]
        for combination in variants:
            line = dict(base)
            if combination is None:
                line.update(sku=product["sku"], price=product["price"], selectedOptions=[])
            else:
                line.update(
                    combinationId=combination["id"],
                    sku=combination.get("sku", product["sku"]),
                    price=combination.get("price", product["price"]),
                    selectedOptions=[
                        {"name": o["name"], "value": o["value"], "type": "CHOICE"}
                        for o in combination["options"]
                    ],
                )
            line["productPrice"] = line["price"]
            (digital if is_digital else physical).append(line)
    return physical, digital or physical


class OrderFactory:
    """Makes one order dict per call; all randomness comes from the given RNG."""

    def __init__(self, rng: random.Random, catalog: Catalog, first_item_id: int = 1) -> None:
        self.rng = rng
        self.physical, self.digital = _item_templates(catalog)
        self.next_item_id = first_item_id

    def new_base_id(self, taken: set[str] | dict[str, Any]) -> str:
        """A fresh 5-character id like `X8UYE` (one RNG call: pair + pair + char)."""
        rnd, pairs, alphabet = self.rng.random, _PAIRS, ID_ALPHABET
        while True:
            n = int(rnd() * 60_466_176)  # 36 ** 5
            base = pairs[n % 1296] + pairs[n // 1296 % 1296] + alphabet[n // 1679616]
            if base not in taken:
                return base

    def statuses(self) -> tuple[str, str]:
        rnd = self.rng.random
        return (
            _PAY_NAMES[bisect(_PAY_CUM, rnd() * _PAY_CUM[-1])],
            _FUL_NAMES[bisect(_FUL_CUM, rnd() * _FUL_CUM[-1])],
        )

    def _lines(self) -> list[dict[str, Any]]:
        rnd, physical = self.rng.random, self.physical
        roll = rnd()
        count = 1 if roll < 0.6 else 2 if roll < 0.85 else 3 + int(rnd() * 3)
        if count == 1:
            templates = [physical[int(rnd() * len(physical))]]
        else:
            templates = self.rng.sample(physical, min(count, len(physical)))
        if rnd() < 0.03:
            templates[-1] = self.digital[int(rnd() * len(self.digital))]
        lines = []
        for template in templates:
            roll = rnd()
            quantity = (
                1 if roll < 0.7 else 2 + int(rnd() * 2) if roll < 0.95 else 4 + int(rnd() * 7)
            )
            lines.append({**template, "id": self.next_item_id, "quantity": quantity})
            self.next_item_id += 1
        return lines

    def build(
        self,
        order_id: str,
        internal_id: int,
        created: float,
        updated: float,
        payment: str,
        fulfilment: str,
    ) -> dict[str, Any]:
        rnd = self.rng.random
        first, slug = FIRST_NAMES[int(rnd() * len(FIRST_NAMES))]
        last = LAST_NAMES[int(rnd() * len(LAST_NAMES))]
        name = f"{first} {last}"
        items = self._lines()
        pickup = rnd() < 0.08
        if pickup:
            person: dict[str, Any] = {
                "name": name,
                "firstName": first,
                "lastName": last,
                "phone": f"04{internal_id % 100000000:08d}",
            }
            option = PICKUP
            if fulfilment in ("SHIPPED", "OUT_FOR_DELIVERY"):
                fulfilment = "READY_FOR_PICKUP"
        else:
            code, country, places, _ = COUNTRIES[bisect(_COUNTRY_CUM, rnd() * _COUNTRY_CUM[-1])]
            city, state, state_name, postcode = places[int(rnd() * len(places))]
            street = f"{1 + int(rnd() * 400)} {STREETS[int(rnd() * len(STREETS))]}"
            if rnd() < 0.2:
                street += f"\nUnit {1 + int(rnd() * 40)}"
            person = {
                "name": name,
                "firstName": first,
                "lastName": last,
                "street": street,
                "city": city,
                "countryCode": code,
                "countryName": country,
                "postalCode": postcode,
                "stateOrProvinceCode": state,
                "stateOrProvinceName": state_name,
                "phone": f"+61 4{internal_id % 100000000:08d}",
            }
            option = SHIPPING_AU[int(rnd() * 3)] if code == "AU" else SHIPPING_INTL
        subtotal = round(sum(line["price"] * line["quantity"] for line in items), 2)
        total = round(subtotal + option["shippingRate"], 2)
        order: dict[str, Any] = {
            "id": order_id,
            "internalId": internal_id,
            "orderNumber": internal_id,
            "vendorOrderNumber": order_id,
            "publicUid": order_id,
            "email": "" if rnd() < 0.01 else f"{slug}.{internal_id}@example.com",
            "paymentStatus": payment,
            "fulfillmentStatus": fulfilment,
            "subtotal": subtotal,
            "total": total,
            "tax": round(total / 11, 2),
            "refundedAmount": round(total, 2) if payment == "REFUNDED" else 0,
            "paymentMethod": "Credit card",
            "customerId": 1000 + internal_id % 5000,
            "hidden": False,
            # A stored order flag (docs/ecwid/api-reference/rest-api/orders/get-order.md):
            # true silences every customer mail for the order until set back to false.
            "disableAllCustomerNotifications": False,
            "lang": "en",
            "createDate": ecwid_date(created),
            "updateDate": ecwid_date(updated),
            "createTimestamp": int(created),
            "updateTimestamp": int(updated),
            "items": items,
            "shippingPerson": person,
            "billingPerson": person,
            "shippingOption": option,
        }
        if pickup:
            order["pickupTime"] = ecwid_date(created + 86400)
        if fulfilment in _HAS_TRACKING and not pickup:
            order["trackingNumber"] = f"33AB{internal_id:010d}"
        if rnd() < 0.05:
            order["orderComments"] = "Please leave at the back door — merci!"
        return order
