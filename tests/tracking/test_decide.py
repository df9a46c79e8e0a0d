"""The read-before-write decision for one order (pure)."""

from __future__ import annotations

from npf_ecwid.ecwid.models import Order
from npf_ecwid.tracking.decide import AlreadyShipped, Put, Refuse, decide, numbers_in_ecwid
from npf_ecwid.tracking.plan import PlannedPush

PUSH = PlannedPush("ACME", "ACME-1", ("A1", "B2"), "https://t/A1", "AusPost")


def order(**fields) -> Order:
    return Order.model_validate({"id": "ACME-1", "paymentStatus": "PAID", **fields})


def test_a_processing_order_gets_shipped_with_all_numbers_and_never_items() -> None:
    decision = decide(PUSH, order(fulfillmentStatus="PROCESSING"))
    assert isinstance(decision, Put)
    assert decision.update.to_body() == {
        "fulfillmentStatus": "SHIPPED",
        "trackingNumber": "A1, B2",
        "trackingUrl": "https://t/A1",
    }


def test_notifications_suppressed_only_when_asked() -> None:
    quiet = PlannedPush("ACME", "ACME-1", ("A1",), None, None, disable_notifications=True)
    decision = decide(quiet, order(fulfillmentStatus="AWAITING_PROCESSING"))
    assert isinstance(decision, Put)
    assert decision.update.to_body()["disableAllCustomerNotifications"] is True
    assert "trackingUrl" not in decision.update.to_body()


def test_same_numbers_already_in_ecwid_count_as_shipped() -> None:
    decision = decide(PUSH, order(fulfillmentStatus="SHIPPED", trackingNumber="b2; A1"))
    assert isinstance(decision, AlreadyShipped)
    assert isinstance(
        decide(PUSH, order(fulfillmentStatus="DELIVERED", trackingNumber="A1 B2")), AlreadyShipped
    )


def test_a_new_parcel_on_a_shipped_order_updates_numbers_without_moving_status() -> None:
    decision = decide(PUSH, order(fulfillmentStatus="DELIVERED", trackingNumber="A1"))
    assert isinstance(decision, Put)
    assert "fulfillmentStatus" not in decision.update.to_body()
    assert decision.update.tracking_number == "A1, B2"


def test_same_numbers_without_shipped_status_are_pushed() -> None:
    decision = decide(PUSH, order(fulfillmentStatus="PROCESSING", trackingNumber="A1, B2"))
    assert isinstance(decision, Put)


def test_deleted_or_cancelled_orders_are_refused_with_a_reason() -> None:
    assert decide(PUSH, None) == Refuse("order not found in Ecwid (404: deleted?)")
    cancelled = decide(PUSH, order(paymentStatus="CANCELLED", fulfillmentStatus="PROCESSING"))
    assert isinstance(cancelled, Refuse) and "CANCELLED" in cancelled.reason
    refused = decide(PUSH, order(fulfillmentStatus="WILL_NOT_DELIVER"))
    assert isinstance(refused, Refuse) and "WILL_NOT_DELIVER" in refused.reason


def test_numbers_in_ecwid_splits_any_separator() -> None:
    assert numbers_in_ecwid("a1, B2;c3 d4") >= {"A1", "B2", "C3", "D4"}
    assert numbers_in_ecwid(None) == set()
