"""Every Ecwid doc example parses with our models, plus the variants the docs allow but the
examples do not show (issue #15 item 6). End-to-end paths are in the other test modules here."""

from __future__ import annotations

import json

import pytest
from pydantic import TypeAdapter

from npf_ecwid.ecwid.batch import BatchRequest, BatchStatus, BatchTicket
from npf_ecwid.ecwid.models import (
    Combination,
    Order,
    OrderUpdate,
    Page,
    Product,
    Profile,
    UpdateResult,
)
from npf_ecwid.normalise import normalise_orders
from npf_ecwid.onboarding.oauth import OAuthToken
from npf_ecwid.shipping.models import ShippingRequest
from npf_ecwid.webhooks.events import WebhookEvent
from tests.contract.examples import DOCS, example, examples, index

MODELS: dict[str, object] = {
    "orders-search.response.json": Page[Order],
    "order-get.response.json": Order,
    "order-update.request.json": OrderUpdate,
    "order-update.response.json": UpdateResult,
    "products-search.response.json": Page[Product],
    "product-get.response.json": Product,
    "product-adjust-stock.response.json": UpdateResult,
    "variations-search.response.json": list[Combination],
    "variation-get.response.json": Combination,
    "variation-adjust-stock.response.json": UpdateResult,
    "profile-get.response.json": Profile,
    "batch-create.request.json": list[BatchRequest],
    "batch-create.response.json": BatchTicket,
    "batch-status.response.json": BatchStatus,
    "oauth-token.response.json": OAuthToken,
    "shipping-request.json": ShippingRequest,
    "shipping-request.2020.json": ShippingRequest,
    **{name: WebhookEvent for name in examples("webhook-")},
}
# What we send, not parse: compared with what our client sends (test_doc_examples_paths.py).
SENT = {"product-adjust-stock.request.json", "variation-adjust-stock.request.json"}  # paths tests
SENT_TO_ECWID = {"shipping-response.json"}  # our rates answer; see test_doc_examples_paths.py


def test_every_example_names_its_doc_page_and_is_tested() -> None:
    files = {p.name for p in DOCS.glob("*.json")} - {"index.json"}
    assert files == set(index()), "ecwid_docs/ and its index.json list different files"
    for name, entry in index().items():
        assert entry["source"] and entry["example"], name
    assert set(MODELS) | SENT | SENT_TO_ECWID == files, "an example no test looks at"
    assert len(examples("webhook-")) >= 19


@pytest.mark.parametrize("name", sorted(MODELS))
def test_example_parses(name: str) -> None:
    TypeAdapter(MODELS[name]).validate_python(example(name))


def test_order_examples_normalise_into_rows_and_lines() -> None:
    searched = Page[Order].model_validate(example("orders-search.response.json"))
    fetched = Order.model_validate(example("order-get.response.json"))
    frames = normalise_orders([*searched.items, fetched], currency="USD")
    orders = frames.orders.set_index("ecwid_order_id")
    assert list(orders.index) == ["EBJFT", "K8XTQ"]
    assert (
        orders.loc["EBJFT", "total_cents"] == 60000 and orders.loc["K8XTQ", "total_cents"] == 1000
    )
    assert orders.loc["EBJFT", "shipping_method"] == "Shipping"
    assert not orders["is_pickup"].any()
    lines = frames.lines.set_index("ecwid_order_id")
    assert lines.loc["EBJFT", "sku"] == "000001" and lines.loc["K8XTQ", "sku"] == "123123"
    assert not lines.loc["K8XTQ", "is_shipping_required"]  # the doc's item is digital


def test_product_examples_carry_stock_fields() -> None:
    page = Page[Product].model_validate(example("products-search.response.json"))
    assert page.total == len(page.items) == 2 and all(p.unlimited for p in page.items)
    variations = TypeAdapter(list[Combination]).validate_python(
        example("variations-search.response.json")
    )
    assert variations and all(v.id for v in variations)
    one = Combination.model_validate(example("variation-get.response.json"))
    assert one.id == 422488528


def test_batch_status_example_bodies_stay_readable() -> None:
    status = BatchStatus.model_validate(example("batch-status.response.json"))
    assert status.status == "COMPLETED" and status.total_requests == len(status.responses) == 2
    assert all(r.ok for r in status.responses)
    assert status.responses[0].http_body["total"] == 134  # the orders page as JSON


def test_batch_status_with_escaped_bodies() -> None:
    """`escapedJson=true` (documented on the same page): each body comes as a JSON string."""
    raw = example("batch-status.response.json")
    for response in raw["responses"]:
        response["escapedHttpBody"] = json.dumps(response.pop("httpBody"))
    status = BatchStatus.model_validate(raw)
    assert status.responses[0].http_body["total"] == 134


def test_oauth_example_keeps_tokens_secret() -> None:
    token = OAuthToken.model_validate(example("oauth-token.response.json"))
    assert token.store_id == 1003 and token.scopes == ["read_store_profile", "update_catalog"]
    assert "12345" not in repr(token) and "public_qKD" not in repr(token)


# --- variants the docs allow but the examples do not show ---------------------------------


@pytest.mark.parametrize("transit", [5, "5", "4-9 days", None, "absent"])
def test_order_example_with_each_transit_time_shape(transit: object) -> None:
    """`estimatedTransitTime` is `number/string` (orders/search-orders.md); the examples only
    show it absent."""
    raw = example("orders-search.response.json")
    option = raw["items"][0]["shippingOption"]
    if transit != "absent":
        option["estimatedTransitTime"] = transit
    page = Page[Order].model_validate(raw)
    parsed = page.items[0].shipping_option
    assert parsed is not None
    assert parsed.estimated_transit_time == (None if transit in (None, "absent") else str(transit))
    assert len(normalise_orders(page.items)) == 1


def test_order_example_with_optional_blocks_absent_or_null() -> None:
    """Optional objects and arrays absent or `null` (the Java client's `FetchedOrder` has every
    field nullable): still one order, with no lines."""
    raw = example("order-get.response.json")
    for name in ("shippingOption", "billingPerson", "shippingPerson", "refunds", "shipments"):
        raw[name] = None
    raw["items"] = None
    order = Order.model_validate(raw)
    frames = normalise_orders([order])
    assert len(frames) == 1 and frames.lines.empty
    for name in ("items", "shippingOption", "billingPerson", "subtotal", "email"):
        raw.pop(name, None)
    assert Order.model_validate(raw).items == []


def test_product_example_with_tracked_stock_and_null_variations() -> None:
    """The examples only show unlimited products; the docs' `quantity` is absent for those."""
    raw = example("product-get.response.json")
    raw |= {"unlimited": False, "quantity": 7, "combinations": None}
    product = Product.model_validate(raw)
    assert (product.unlimited, product.quantity, product.combinations) == (False, 7, [])
    raw["unlimited"] = None
    assert Product.model_validate(raw).unlimited is False


def test_webhook_entity_id_number_or_string() -> None:
    """`entityId` is a number for orders/products and a string ("1003") for application
    events in the docs' own examples."""
    assert WebhookEvent.model_validate(example("webhook-order.updated.json")).entity_id == 103
    app = WebhookEvent.model_validate(example("webhook-application.installed.json"))
    assert app.entity_id == "1003"
