"""Planning: shipments + ledger -> one update per order (pure)."""

from __future__ import annotations

import pandas as pd

from npf_ecwid.tracking.plan import (
    LedgerEntry,
    PushStatus,
    numbers_key,
    plan_pushes,
)
from npf_ecwid.tracking.ports import SHIPMENT_COLUMNS


def shipments(*rows: tuple) -> pd.DataFrame:
    """Rows of (order, number, carrier, url, shipped_at) for client ACME."""
    return pd.DataFrame(
        [("ACME", order, number, carrier, url, at) for order, number, carrier, url, at in rows],
        columns=SHIPMENT_COLUMNS,
    )


def plan(frame: pd.DataFrame, ledger=(), **kwargs):
    options = {"client": "ACME", "push_tracking_url": True} | kwargs
    return plan_pushes(frame, ledger, **options)


def test_parcels_of_one_order_join_in_shipping_order_deduplicated() -> None:
    frame = shipments(
        ("ACME-1", "B2", "StarTrack", None, "2026-11-23T02:00:00Z"),
        ("ACME-1", "A1", "AusPost", None, "2026-11-23T01:00:00Z"),
        ("ACME-1", " a1 ", "AusPost", None, "2026-11-23T03:00:00Z"),
        ("ACME-1", "C3", None, None, None),
    )
    [push] = plan(frame).pushes
    assert push.tracking_number == "A1, B2, C3"
    assert push.tracking_url == "https://auspost.com.au/mypost/track/details/A1"
    assert push.carrier == "AusPost"


def test_warehouse_url_wins_and_url_is_dropped_when_the_client_does_not_push_it() -> None:
    frame = shipments(("ACME-1", "A1", "AusPost", "https://wms.example/t/A1", None))
    assert plan(frame).pushes[0].tracking_url == "https://wms.example/t/A1"
    assert plan(frame, push_tracking_url=False).pushes[0].tracking_url is None
    unknown_carrier = shipments(("ACME-1", "A1", "Bob's Van", None, None))
    assert plan(unknown_carrier).pushes[0].tracking_url is None


def test_notifications_flag_is_carried() -> None:
    frame = shipments(("ACME-1", "A1", "AusPost", None, None))
    assert plan(frame, disable_notifications=True).pushes[0].disable_notifications is True
    assert plan(frame).pushes[0].disable_notifications is False


def test_one_push_per_order_other_clients_ignored() -> None:
    frame = shipments(
        ("ACME-1", "A1", None, None, None),
        ("ACME-2", "A2", None, None, None),
        ("ACME-1", "A3", None, None, None),
    )
    other = pd.DataFrame([("OTHER", "O-1", "Z", None, None, None)], columns=SHIPMENT_COLUMNS)
    result = plan(pd.concat([frame, other]))
    assert [(p.ecwid_order_id, p.tracking_number) for p in result.pushes] == [
        ("ACME-1", "A1, A3"),
        ("ACME-2", "A2"),
    ]


def test_confirmed_orders_are_up_to_date_until_a_parcel_is_added() -> None:
    frame = shipments(("ACME-1", "A1", None, None, None), ("ACME-2", "B1", None, None, None))
    ledger = [
        LedgerEntry("ACME-1", numbers_key(["A1"]), PushStatus.PUSHED),
        LedgerEntry("ACME-2", numbers_key(["B1"]), PushStatus.ALREADY_SHIPPED),
    ]
    result = plan(frame, ledger)
    assert result.pushes == [] and result.up_to_date == 2

    grown = pd.concat([frame, shipments(("ACME-1", "A2", None, None, None))])
    [push] = plan(grown, ledger).pushes
    assert (push.ecwid_order_id, push.tracking_number) == ("ACME-1", "A1, A2")


def test_transient_errors_are_planned_again_failures_are_held() -> None:
    frame = shipments(("ACME-1", "A1", None, None, None), ("ACME-2", "B1", None, None, None))
    ledger = [
        LedgerEntry("ACME-1", numbers_key(["A1"]), PushStatus.ERROR, 1, "HTTP 503"),
        LedgerEntry("ACME-2", numbers_key(["B1"]), PushStatus.FAILED, 1, "order not found"),
    ]
    result = plan(frame, ledger)
    assert [p.ecwid_order_id for p in result.pushes] == ["ACME-1"]
    assert [(h.ecwid_order_id, h.reason) for h in result.held] == [
        ("ACME-2", "failed earlier: order not found")
    ]
    retried = plan(frame, ledger, retry_failed=True)
    assert [p.ecwid_order_id for p in retried.pushes] == ["ACME-1", "ACME-2"]
    changed = pd.concat([frame, shipments(("ACME-2", "B2", None, None, None))])
    assert [p.tracking_number for p in plan(changed, ledger).pushes] == ["A1", "B1, B2"]


def test_unknown_orders_and_bad_rows_are_skipped_with_a_reason() -> None:
    frame = shipments(
        ("ACME-1", "A1", None, None, None),
        ("ACME-9", "Z9", None, None, None),
        ("ACME-3", "X1,X2", None, None, None),
        ("ACME-4", None, None, None, None),
    )
    result = plan(frame, known_orders={"ACME-1", "ACME-3", "ACME-4"})
    assert [p.ecwid_order_id for p in result.pushes] == ["ACME-1"]
    reasons = {s.ecwid_order_id: s.reason for s in result.skipped}
    assert reasons["ACME-9"].startswith("unknown order")
    assert "contains ','" in reasons["ACME-3"]
    assert reasons["ACME-4"] == "no order id or no tracking number"


def test_numbers_key_ignores_order_case_and_spaces() -> None:
    assert numbers_key(["b 2", "A1"]) == numbers_key(["a1", "B2", "A1"]) == "A1,B2"


def test_orders_deleted_in_ecwid_are_skipped_with_the_reason_even_after_a_failure() -> None:
    frame = shipments(
        ("ACME-1", "A1", "AusPost", None, None),
        ("ACME-2", "B2", "AusPost", None, None),
    )
    failed = LedgerEntry("ACME-1", numbers_key(["A1"]), PushStatus.FAILED, 1, "404")
    result = plan(frame, [failed], known_orders={"ACME-1", "ACME-2"}, deleted_orders={"ACME-1"})
    assert [p.ecwid_order_id for p in result.pushes] == ["ACME-2"]
    [skipped] = result.skipped
    assert (skipped.ecwid_order_id, skipped.tracking_number) == ("ACME-1", "A1")
    assert "deleted in Ecwid" in skipped.reason
    assert result.held == []  # a deletion is final: not waiting for an operator retry
    retried = plan(frame, [failed], deleted_orders={"ACME-1"}, retry_failed=True)
    assert [p.ecwid_order_id for p in retried.pushes] == ["ACME-2"]
