"""Ecwid-shaped order JSON for pure tests (the same shape the sandbox and Ecwid send)."""

from __future__ import annotations

from typing import Any

from npf_ecwid.ecwid.models import Order


def order_json(order_id: str = "ACME-1001", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": order_id,
        "internalId": 1001,
        "email": "kim@example.com",
        "paymentStatus": "PAID",
        "fulfillmentStatus": "AWAITING_PROCESSING",
        "subtotal": 59.9,
        "total": 69.95,
        "tax": 6.36,
        "createDate": "2026-03-01 10:00:00 +0000",
        "updateDate": "2026-03-01 10:05:00 +0000",
        "createTimestamp": 1772359200,
        "updateTimestamp": 1772359500,
        "orderComments": "leave at door",
        "items": [
            {
                "id": 1,
                "productId": 11,
                "sku": "TEE-L",
                "name": "Tee",
                "quantity": 2,
                "price": 19.95,
                "isShippingRequired": True,
                "selectedOptions": [{"name": "Size", "value": "L"}],
            },
            {
                "id": 2,
                "productId": 12,
                "sku": "MUG",
                "name": "Mug",
                "quantity": 1,
                "price": 20.0,
                "isShippingRequired": True,
            },
        ],
        "shippingPerson": {
            "name": "Kim Lee",
            "street": "1 Main St\nUnit 4",
            "city": "Melbourne",
            "countryCode": "AU",
            "postalCode": "3000",
            "stateOrProvinceCode": "VIC",
            "phone": "0400",
        },
        "billingPerson": {"name": "Kim Lee", "countryCode": "AU"},
        "shippingOption": {
            "shippingMethodName": "Standard",
            "shippingCarrierName": "AusPost",
            "shippingRate": 10.05,
            "isPickup": False,
            "fulfillmentType": "SHIPPING",
        },
    }
    body.update(overrides)
    return body


def order(order_id: str = "ACME-1001", **overrides: Any) -> Order:
    return Order.model_validate(order_json(order_id, **overrides))


def pickup(order_id: str = "ACME-2001", **overrides: Any) -> Order:
    return order(
        order_id,
        shippingPerson=None,
        billingPerson={"name": "Pat Doe", "countryCode": "US", "phone": "555"},
        shippingOption={
            "shippingMethodName": "Pick up at NPF",
            "isPickup": True,
            "fulfillmentType": "PICKUP",
        },
        **overrides,
    )
