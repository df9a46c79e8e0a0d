"""Validation: each quarantine reason, and that good orders in the batch are untouched."""

from __future__ import annotations

from npf_ecwid.normalise import normalise_orders
from npf_ecwid.orders.validate import find_problems
from tests.orders.ecwid_orders import order, pickup


def test_each_reason_and_the_rest_proceeds():
    frames = normalise_orders(
        [
            order("GOOD"),
            order("NOSKU", items=[{"id": 1, "name": "Tee", "quantity": 1, "sku": " "}]),
            order("QTY", items=[{"id": 1, "sku": "A", "quantity": 0}, {"id": 2, "sku": "B"}]),
            order("NOADDR", shippingPerson={"name": "X", "countryCode": "AU"}),
            order("EMPTY", items=[]),
            pickup("PICKUP"),  # no address, but pickup: fine
            order(
                "DIGITAL",
                shippingPerson=None,
                items=[{"id": 1, "name": "E-book", "quantity": 1, "isShippingRequired": False}],
            ),
        ]
    )
    problems = find_problems(frames)
    assert set(problems) == {"NOSKU", "QTY", "NOADDR", "EMPTY"}
    assert problems["NOSKU"] == "line 1: no SKU on a shippable line (Tee)"
    assert problems["QTY"] == (
        "line 1: quantity 0 is not positive; line 2: quantity missing is not positive"
    )
    assert problems["NOADDR"] == (
        "no usable shipping address for a non-pickup order (missing street, city)"
    )
    assert problems["EMPTY"] == "no items"
    kept = frames.without(problems)
    assert set(kept.orders["ecwid_order_id"]) == {"GOOD", "PICKUP", "DIGITAL"}
    assert set(kept.lines["ecwid_order_id"]) == {"GOOD", "PICKUP", "DIGITAL"}
