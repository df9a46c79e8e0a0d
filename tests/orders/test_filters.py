"""Filters: what goes to Ecwid, what is applied locally, and that handed-off orders always pass."""

from __future__ import annotations

from datetime import UTC, date, datetime

from npf_ecwid.config import parse_client
from npf_ecwid.normalise import normalise_orders
from npf_ecwid.orders.filters import OVERLAP, apply_filters, plan_query
from tests.orders.ecwid_orders import order, pickup


def client(**fields):
    return parse_client("ACME", {"store_id": 1003, "token": "env:T", **fields})


def test_first_backfill_pushes_statuses_and_start_date():
    c = client(
        order_start_date="2026-01-01",
        payment_statuses=["PAID"],
        fulfillment_statuses=["AWAITING_PROCESSING", "PROCESSING"],
        timezone="Australia/Melbourne",
    )
    q = plan_query(c, watermark=None)
    assert q.created_from == datetime(2025, 12, 31, 13, 0, tzinfo=UTC)  # Melbourne midnight
    assert q.updated_from is None
    assert q.payment_statuses == ("PAID",)
    assert q.fulfillment_statuses == ("AWAITING_PROCESSING", "PROCESSING")
    assert str(q) == (  # the run log's line
        "orders created from 2025-12-31T13:00:00+00:00, updated from any time, "
        "payment PAID, fulfilment AWAITING_PROCESSING,PROCESSING"
    )


def test_incremental_run_never_pushes_statuses():
    c = client(payment_statuses=["PAID"], fulfillment_statuses=["PROCESSING"])
    mark = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    q = plan_query(c, watermark=mark)
    assert q.updated_from == mark - OVERLAP
    assert q.payment_statuses == () and q.fulfillment_statuses == ()
    since = datetime(2026, 2, 1, tzinfo=UTC)
    q = plan_query(c, watermark=mark, since=since)
    assert q.updated_from == since and q.payment_statuses == ()


def kept_ids(c, orders, handed_off=()):
    result = apply_filters(c, normalise_orders(orders), handed_off)
    return sorted(result.kept.orders["ecwid_order_id"]), result.skipped


def test_prefix_filter():
    kept, skipped = kept_ids(client(order_prefix="ACME-"), [order("ACME-1"), order("OLD1")])
    assert kept == ["ACME-1"] and skipped == {"OLD1": "id lacks prefix 'ACME-'"}


def test_start_date_filter_in_client_time_zone():
    c = client(order_start_date=date(2026, 3, 1), timezone="UTC")
    early = order("E", createDate="2026-02-28 23:59:59 +0000", createTimestamp=None)
    kept, skipped = kept_ids(c, [order("A"), early])
    assert kept == ["A"] and skipped["E"] == "created before 2026-03-01"


def test_country_filter_and_pickup_passes():
    nz = order(
        "NZ1", shippingPerson={"name": "N", "street": "1 Rd", "city": "Akl", "countryCode": "NZ"}
    )
    us = order(
        "US1", shippingPerson={"name": "U", "street": "1 Rd", "city": "NYC", "countryCode": "US"}
    )
    kept, skipped = kept_ids(client(countries=["AU", "NZ"]), [order("AU1"), nz, us, pickup("P")])
    assert kept == ["AU1", "NZ1", "P"]  # the pickup's billing country (US) is irrelevant
    assert skipped == {"US1": "country US not in filter"}


def test_status_filters():
    c = client(payment_statuses=["PAID"], fulfillment_statuses=["AWAITING_PROCESSING"])
    kept, skipped = kept_ids(
        c,
        [
            order("A"),
            order("B", paymentStatus="AWAITING_PAYMENT"),
            order("C", fulfillmentStatus="SHIPPED"),
        ],
    )
    assert kept == ["A"]
    assert skipped == {"B": "payment_status AWAITING_PAYMENT", "C": "fulfillment_status SHIPPED"}


def test_handed_off_orders_always_pass():
    c = client(payment_statuses=["PAID"], countries=["AU"])
    refunded = order("A", paymentStatus="REFUNDED")
    kept, skipped = kept_ids(c, [refunded, order("B", paymentStatus="REFUNDED")], {"A"})
    assert kept == ["A"] and list(skipped) == ["B"]


def test_nothing_to_ship_is_skipped():
    digital = order(
        "D", items=[{"id": 1, "name": "E-book", "quantity": 1, "isShippingRequired": False}]
    )
    kept, skipped = kept_ids(client(), [digital, order("A")])
    assert kept == ["A"] and skipped == {"D": "nothing to ship"}
