"""`PUT /orders/{orderId}`: Ecwid's partial-update semantics.

- Omitted fields stay as they are; read-only fields (ids, create date) are ignored.
- `shippingPerson`, `billingPerson`, `shippingOption` merge key by key into a new dict.
- `items`, when present, replaces the whole item list: Ecwid deletes the items a PUT leaves
  out (api-docs.ecwid.com/reference/update-order). Lines without an `id` get a fresh one.
- Status values must be known Ecwid statuses (400 otherwise).
- `disableAllCustomerNotifications` is stored on the order like any other field and stays
  until a later PUT changes it (docs/ecwid/api-reference/rest-api/orders/update-order.md).
- Every accepted update bumps `updateDate`/`updateTimestamp`. Answer: `{"updateCount": 1}`.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from npf_ecwid.sandbox.catalog import require_object
from npf_ecwid.sandbox.errors import bad_param, not_found
from npf_ecwid.sandbox.order_query import FULFILLMENT_STATUSES, PAYMENT_STATUSES

if TYPE_CHECKING:
    from npf_ecwid.sandbox.core import SandboxStore

READ_ONLY = frozenset(
    {
        "id",
        "internalId",
        "orderNumber",
        "vendorOrderNumber",
        "publicUid",
        "createDate",
        "createTimestamp",
        "updateDate",
        "updateTimestamp",
    }
)
MERGED = frozenset({"shippingPerson", "billingPerson", "shippingOption"})
_BOOLEANS = ("disableAllCustomerNotifications", "externalFulfillment")
_STRINGS = ("trackingNumber", "trackingUrl", "privateAdminNotes", "externalOrderId", "email")


def _validate(body: dict[str, Any]) -> None:
    if "paymentStatus" in body and body["paymentStatus"] not in PAYMENT_STATUSES:
        raise bad_param(f"Unknown paymentStatus: {body['paymentStatus']!r}")
    if "fulfillmentStatus" in body and body["fulfillmentStatus"] not in FULFILLMENT_STATUSES:
        raise bad_param(f"Unknown fulfillmentStatus: {body['fulfillmentStatus']!r}")
    for key in _STRINGS:
        if key in body and body[key] is not None and not isinstance(body[key], str):
            raise bad_param(f"Field '{key}' must be a string")
    for key in _BOOLEANS:
        if key in body and not isinstance(body[key], bool):
            raise bad_param(f"Field '{key}' must be a boolean")
    for key in MERGED:
        if key in body and body[key] is not None and not isinstance(body[key], dict):
            raise bad_param(f"Field '{key}' must be an object")
    if "items" in body and not (
        isinstance(body["items"], list) and all(isinstance(i, dict) for i in body["items"])
    ):
        raise bad_param("Field 'items' must be an array of objects")


def _new_items(store: SandboxStore, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lines = []
    for item in items:
        line = copy.deepcopy(item)
        if not isinstance(line.get("id"), int):
            line["id"] = store.new_item_id()
        lines.append(line)
    return lines


def apply_order_update(store: SandboxStore, order_id: str, body: Any) -> dict[str, Any]:
    order = store.get_order(order_id)
    if order is None:
        raise not_found("ORDER_NOT_FOUND", f"Order #{order_id} not found")
    changes = require_object(body)
    _validate(changes)
    for key, value in changes.items():
        if key in READ_ONLY:
            continue
        if key == "items":
            order["items"] = _new_items(store, value)
        elif key in MERGED and isinstance(value, dict) and isinstance(order.get(key), dict):
            order[key] = {**order[key], **copy.deepcopy(value)}
        else:
            order[key] = copy.deepcopy(value)
    store.stamp_update(order)
    return {"updateCount": 1}
