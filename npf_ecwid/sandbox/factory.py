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

ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_PAIRS = [a + b for a in ID_ALPHABET for b in ID_ALPHABET]  # 1296 two-character chunks

# (display name, ascii slug for the email)
FIRST_NAMES = [
    ("Olivia", "olivia"),
    ("Jack", "jack"),
    ("Zoë", "zoe"),
    ("José", "jose"),
    ("Łukasz", "lukasz"),
    ("Søren", "soren"),
    ("Chloé", "chloe"),
    ("Mīkaere", "mikaere"),
    ("Aroha", "aroha"),
    ("Liam", "liam"),
    ("Charlotte", "charlotte"),
    ("Noah", "noah"),
    ("Amelia", "amelia"),
    ("William", "william"),
    ("Isla", "isla"),
    ("Thomas", "thomas"),
    ("Mia", "mia"),
    ("Björn", "bjorn"),
    ("Siobhán", "siobhan"),
    ("Yuki", "yuki"),
    ("Priya", "priya"),
    ("Wei", "wei"),
    ("Ngaio", "ngaio"),
    ("Oliver", "oliver"),
    ("Grace", "grace"),
]
LAST_NAMES = [
    "Smith",
    "Jones",
    "Williams",
    "Brown",
    "Wilson",
    "Taylor",
    "Nguyễn",
    "O'Brien",
    "Müller",
    "García",
    "Kowalski",
    "Te Rangi",
    "Papadopoulos",
    "Tanaka",
    "Singh",
    "Chen",
    "Kelly",
    "Martin",
    "Anderson",
    "Thompson",
    "Ryan",
    "Walker",
    "Dubois",
    "Ivanović",
    "李",
]
STREETS = [
    "Collins St",
    "High St",
    "George St",
    "Queen St",
    "Church St",
    "Station Rd",
    "Victoria Pde",
    "King William St",
    "Rue de la Paix Ln",
    "Bourke St",
    "Smith St",
]

# (country code, country name, [(city, state code, state name, postcode)], weight)
COUNTRIES: list[tuple[str, str, list[tuple[str, str, str, str]], float]] = [
    (
        "AU",
        "Australia",
        [
            ("Melbourne", "VIC", "Victoria", "3000"),
            ("Fitzroy", "VIC", "Victoria", "3065"),
            ("Geelong", "VIC", "Victoria", "3220"),
            ("Sydney", "NSW", "New South Wales", "2000"),
            ("Newtown", "NSW", "New South Wales", "2042"),
            ("Brisbane", "QLD", "Queensland", "4000"),
            ("Perth", "WA", "Western Australia", "6000"),
            ("Adelaide", "SA", "South Australia", "5000"),
            ("Hobart", "TAS", "Tasmania", "7000"),
            ("Darwin", "NT", "Northern Territory", "0800"),
            ("Canberra", "ACT", "Australian Capital Territory", "2600"),
        ],
        0.84,
    ),
    (
        "NZ",
        "New Zealand",
        [
            ("Auckland", "AUK", "Auckland", "1010"),
            ("Wellington", "WGN", "Wellington", "6011"),
            ("Christchurch", "CAN", "Canterbury", "8011"),
        ],
        0.08,
    ),
    (
        "US",
        "United States",
        [
            ("New York", "NY", "New York", "10001"),
            ("Austin", "TX", "Texas", "78701"),
        ],
        0.04,
    ),
    (
        "GB",
        "United Kingdom",
        [
            ("London", "", "", "EC1A 1BB"),
            ("Manchester", "", "", "M1 1AE"),
        ],
        0.04,
    ),
]
_COUNTRY_CUM = list(accumulate(c[3] for c in COUNTRIES))

PAYMENT = [
    ("PAID", 78),
    ("AWAITING_PAYMENT", 6),
    ("INCOMPLETE", 5),
    ("CANCELLED", 3),
    ("REFUNDED", 3),
    ("PARTIALLY_REFUNDED", 2),
    ("CUSTOM_PAYMENT_STATUS_1", 1),
    ("CUSTOM_PAYMENT_STATUS_2", 1),
    ("CUSTOM_PAYMENT_STATUS_3", 1),
]
FULFILMENT = [
    ("AWAITING_PROCESSING", 55),
    ("PROCESSING", 8),
    ("SHIPPED", 16),
    ("DELIVERED", 10),
    ("OUT_FOR_DELIVERY", 2),
    ("WILL_NOT_DELIVER", 2),
    ("RETURNED", 2),
    ("CUSTOM_FULFILLMENT_STATUS_1", 1),
    ("CUSTOM_FULFILLMENT_STATUS_2", 1),
    ("CUSTOM_FULFILLMENT_STATUS_3", 1),
]
_PAY_NAMES, _PAY_CUM = [p for p, _ in PAYMENT], list(accumulate(w for _, w in PAYMENT))
_FUL_NAMES, _FUL_CUM = [f for f, _ in FULFILMENT], list(accumulate(w for _, w in FULFILMENT))
_HAS_TRACKING = frozenset({"SHIPPED", "DELIVERED", "OUT_FOR_DELIVERY", "RETURNED"})

SHIPPING_AU = [
    {
        "shippingCarrierName": "Australia Post",
        "shippingMethodName": "Parcel Post",
        "shippingRate": 9.95,
        "estimatedTransitTime": "2-6",
        "isPickup": False,
        "fulfillmentType": "SHIPPING",
    },
    {
        "shippingCarrierName": "Australia Post",
        "shippingMethodName": "Express Post",
        "shippingRate": 14.95,
        "estimatedTransitTime": "1-3",
        "isPickup": False,
        "fulfillmentType": "SHIPPING",
    },
    {
        "shippingCarrierName": "StarTrack",
        "shippingMethodName": "StarTrack Premium",
        "shippingRate": 19.5,
        "estimatedTransitTime": "1-2",
        "isPickup": False,
        "fulfillmentType": "SHIPPING",
    },
]
SHIPPING_INTL = {
    "shippingCarrierName": "Australia Post",
    "shippingRate": 34.0,
    "shippingMethodName": "International Standard",
    "estimatedTransitTime": "6-15",
    "isPickup": False,
    "fulfillmentType": "SHIPPING",
}
PICKUP = {
    "shippingMethodName": "Pick up at NPF warehouse",
    "shippingRate": 0.0,
    "isPickup": True,
    "fulfillmentType": "PICKUP",
    "pickupInstruction": "Collect from 12 Dock Rd, Port Melbourne, 9am-5pm weekdays",
}


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
