from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from npf_ecwid.ecwid.models import Order, OrderUpdate, Page, Product, TokenInfo


def test_order_parses_ecwid_json_and_ignores_unknown_fields() -> None:
    raw = {
        "id": "ACME-X8UYE",
        "internalId": 492512057,
        "orderNumber": 492512057,
        "paymentStatus": "PAID",
        "fulfillmentStatus": "OUT_FOR_DELIVERY",
        "updateDate": "2024-05-01 05:26:28 +0000",
        "updateTimestamp": 1714541188,
        "somethingNew": {"nested": True},
        "items": [{"id": 1, "sku": "NPF001", "quantity": 2, "selectedOptions": []}],
        "shippingPerson": {"name": "Zoë", "countryCode": "AU", "street": "1 A St\nUnit 2"},
    }
    order = Order.model_validate(raw)
    assert order.id == "ACME-X8UYE"
    assert order.internal_id == 492512057
    assert order.fulfillment_status == "OUT_FOR_DELIVERY"
    assert order.update_date == datetime(2024, 5, 1, 5, 26, 28, tzinfo=UTC)
    assert order.updated_at == order.update_date
    assert order.items[0].sku == "NPF001"
    assert order.shipping_person is not None
    assert order.shipping_person.country_code == "AU"


def test_order_update_never_sends_items_or_unset_fields() -> None:
    body = OrderUpdate(tracking_number="1Z9", fulfillment_status="SHIPPED").to_body()
    assert body == {"trackingNumber": "1Z9", "fulfillmentStatus": "SHIPPED"}
    assert "items" not in OrderUpdate.model_fields


def test_page_envelope_of_products() -> None:
    page = Page[Product].model_validate(
        {
            "total": 1,
            "count": 1,
            "offset": 0,
            "limit": 100,
            "items": [
                {
                    "id": 7,
                    "sku": "NPF004",
                    "unlimited": False,
                    "quantity": 3,
                    "combinations": [{"id": 70, "quantity": 1, "sku": "NPF004-RED"}],
                }
            ],
        }
    )
    assert page.items[0].combinations[0].sku == "NPF004-RED"


# --- documented value variants (issue #15 item 1) ----------------------------------------
# `shippingOption.estimatedTransitTime` is `number/string` in the docs
# (docs/ecwid/api-reference/rest-api/orders/search-orders.md, "shippingOption"): "it can be a
# number, for example, 5 or a string - 4-9 days". Each shape parses, to one type (text).


@pytest.mark.parametrize(
    ("sent", "parsed"),
    [
        (5, "5"),
        (5.0, "5"),
        (2.5, "2.5"),
        ("5", "5"),
        ("4-9 days", "4-9 days"),
        ("", ""),
        (None, None),
    ],
)
def test_estimated_transit_time_number_or_string(sent: object, parsed: str | None) -> None:
    order = Order.model_validate(
        {"id": "X1", "shippingOption": {"shippingMethodName": "Post", "estimatedTransitTime": sent}}
    )
    assert order.shipping_option is not None
    assert order.shipping_option.estimated_transit_time == parsed


def test_estimated_transit_time_absent() -> None:
    order = Order.model_validate({"id": "X1", "shippingOption": {"shippingMethodName": "Post"}})
    assert order.shipping_option is not None
    assert order.shipping_option.estimated_transit_time is None


@pytest.mark.parametrize("sent", [True, {"days": 5}, [5]])
def test_estimated_transit_time_other_shapes_are_refused(sent: object) -> None:
    with pytest.raises(ValidationError, match="estimatedTransitTime"):
        Order.model_validate({"id": "X1", "shippingOption": {"estimatedTransitTime": sent}})


def test_null_lists_and_flags_parse_as_empty() -> None:
    """Arrays sent as `null` (every field is nullable in the Java client's `FetchedOrder.kt`
    and `FetchedProduct.kt`) mean no entries, not an unreadable order or product."""
    order = Order.model_validate(
        {"id": "X1", "items": None, "shippingOption": None, "shippingPerson": None}
    )
    assert order.items == [] and order.shipping_option is None
    line = Order.model_validate({"id": "X2", "items": [{"sku": "A", "selectedOptions": None}]})
    assert line.items[0].selected_options == []
    product = Product.model_validate({"id": 1, "unlimited": None, "combinations": None})
    assert product.unlimited is False and product.combinations == []
    assert TokenInfo.model_validate({"permissions": None}).permissions == []
