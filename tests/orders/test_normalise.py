"""Normalisation: dtypes, cents, UTC, statuses, pickup, and what counts as a change."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from npf_ecwid.normalise import normalise_orders
from tests.orders.ecwid_orders import order, pickup


def test_orders_and_lines_have_explicit_dtypes_and_values():
    frames = normalise_orders([order(), pickup()], currency="AUD")
    o, li = frames.orders, frames.lines
    assert list(o["order_ref"]) == ["ACME-1001", "ACME-2001"]
    assert o["total_cents"].dtype == "Int64" and o.at[0, "total_cents"] == 6995
    assert o.at[0, "shipping_cents"] == 1005 and o.at[0, "subtotal_cents"] == 5990
    assert o["ecwid_updated_at"].dtype == "datetime64[us, UTC]" or str(
        o["ecwid_updated_at"].dtype
    ).endswith(", UTC]")
    assert o.at[0, "ecwid_updated_at"] == pd.Timestamp(datetime(2026, 3, 1, 10, 5, tzinfo=UTC))
    assert isinstance(o["payment_status"].dtype, pd.CategoricalDtype)
    assert "REFUNDED" in o["payment_status"].cat.categories
    assert o["order_ref"].dtype == "string"
    assert (o.at[0, "address_line1"], o.at[0, "address_line2"]) == ("1 Main St", "Unit 4")
    assert (o.at[0, "state"], o.at[0, "postcode"], o.at[0, "country"]) == ("VIC", "3000", "AU")
    assert o.at[0, "currency"] == "AUD"
    # pickup: flagged, no address, contact from billing
    assert list(o["is_pickup"]) == [False, True]
    assert pd.isna(o.at[1, "country"]) and o.at[1, "customer_name"] == "Pat Doe"
    assert list(li["line_no"]) == [1, 2, 1, 2] and li["quantity"].dtype == "Int64"
    assert li.at[0, "unit_price_cents"] == 1995 and li.at[0, "options"] == "Size: L"


def test_unknown_status_is_tolerated_as_extra_category():
    o = normalise_orders([order(paymentStatus="SOMETHING_NEW")]).orders
    assert o.at[0, "payment_status"] == "SOMETHING_NEW"


def test_cancellation_states():
    frames = normalise_orders(
        [
            order("A", paymentStatus="REFUNDED"),
            order("B", paymentStatus="CANCELLED"),
            order("C", fulfillmentStatus="WILL_NOT_DELIVER"),
            order("D", paymentStatus="PARTIALLY_REFUNDED"),
        ]
    )
    assert list(frames.orders["is_cancelled"]) == [True, True, True, False]


def _hash(o):
    return normalise_orders([o]).orders.at[0, "content_hash"]


def test_content_hash_ignores_update_date_and_fulfilment_moves():
    base = _hash(order())
    assert _hash(order(updateDate="2026-04-01 00:00:00 +0000", updateTimestamp=1775001600)) == base
    assert _hash(order(fulfillmentStatus="SHIPPED", trackingNumber="TN1")) == base


def test_content_hash_sees_warehouse_relevant_changes():
    base = _hash(order())
    changed = [
        order(paymentStatus="REFUNDED"),
        order(fulfillmentStatus="WILL_NOT_DELIVER"),
        order(
            shippingPerson={
                **order().model_dump(by_alias=True)["shippingPerson"],
                "street": "2 Other St",
            }
        ),
        order(items=[{"id": 1, "sku": "TEE-L", "name": "Tee", "quantity": 3, "price": 19.95}]),
    ]
    assert all(_hash(o) != base for o in changed)


def test_duplicate_ids_last_wins_and_empty_input():
    frames = normalise_orders([order(total=1.0), order(total=2.0)])
    assert len(frames) == 1 and frames.orders.at[0, "total_cents"] == 200
    assert len(frames.lines) == 2
    empty = normalise_orders([])
    assert len(empty) == 0 and "content_hash" in empty.orders and "sku" in empty.lines


def test_of_two_copies_of_an_order_the_newer_one_is_handed_off_wherever_it_was_listed():
    """An order listed twice (it changed while we paged) is normalised from its newer copy,
    even when the older copy comes last (the pull and its quarantine pick the same one)."""
    newer = order(total=2.0, updateTimestamp=1_700_000_100)
    older = order(total=1.0, updateTimestamp=1_700_000_000)
    for orders in ([newer, older], [older, newer]):
        frames = normalise_orders(orders)
        assert len(frames) == 1 and frames.orders.at[0, "total_cents"] == 200


def test_content_hash_values_are_stable_across_versions():
    """Values computed by the first release: `npf_order.content_hash` holds such hashes and a
    re-pull compares against them, so a new value for the same order would mark it "updated"
    for the WMS."""
    frames = normalise_orders(
        [
            order(),
            pickup(),
            order("X", items=[]),
            order("Y", shippingPerson=None, items=[{"id": 1, "sku": "A", "quantity": 1}]),
        ],
        currency="AUD",
    )
    assert list(frames.orders["content_hash"]) == [
        "6246b44b8c5cc2da",
        "290ff800ceb91a29",
        "4e9944dbb0fb2110",
        "ad298265a46d682f",
    ]


def test_columns_do_not_share_storage():
    """The frames are built without defensive copies; editing one column (as the filters and
    the quarantine do on their own copies) must never change another."""
    frames = normalise_orders([order(), pickup()], currency="AUD")
    orders = frames.orders
    orders.loc[0, "order_ref"] = "EDITED"
    orders.loc[1, "email"] = None
    assert list(orders["ecwid_order_id"]) == ["ACME-1001", "ACME-2001"]
    assert orders.at[1, "customer_name"] == "Pat Doe" and orders.at[0, "email"] is not None
