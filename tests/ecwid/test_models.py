from datetime import UTC, datetime

from npf_ecwid.ecwid.models import Order, OrderUpdate, Page, Product


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
