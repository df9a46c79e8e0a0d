"""The one cancellation rule, as the pull, the stock sync and the tracking push apply it."""

from __future__ import annotations

import pytest

from npf_ecwid.order_status import Cancellation, cancellation, is_cancelled
from npf_ecwid.stock.inflight import holds_stock

CUSTOM = frozenset({"CUSTOM_FULFILLMENT_STATUS_1"})


@pytest.mark.parametrize(
    ("payment", "fulfillment", "expected"),
    [
        ("CANCELLED", "PROCESSING", Cancellation("paymentStatus", "CANCELLED", False)),
        ("REFUNDED", None, Cancellation("paymentStatus", "REFUNDED", False)),
        ("PAID", "WILL_NOT_DELIVER", Cancellation("fulfillmentStatus", "WILL_NOT_DELIVER", False)),
        (
            "PAID",
            "CUSTOM_FULFILLMENT_STATUS_1",
            Cancellation("fulfillmentStatus", "CUSTOM_FULFILLMENT_STATUS_1", True),
        ),
        ("PARTIALLY_REFUNDED", "PROCESSING", None),
        ("PAID", "CUSTOM_FULFILLMENT_STATUS_2", None),
        (None, None, None),
    ],
)
def test_cancellation_names_the_status_and_agrees_with_is_cancelled(
    payment, fulfillment, expected
) -> None:
    assert cancellation(payment, fulfillment, CUSTOM) == expected
    assert is_cancelled(payment, fulfillment, CUSTOM) is (expected is not None)


def test_a_cancelled_order_never_holds_stock_and_shipped_or_abandoned_ones_neither() -> None:
    for payment, fulfillment in (
        ("REFUNDED", "PROCESSING"),
        ("PAID", "WILL_NOT_DELIVER"),
        ("PAID", "CUSTOM_FULFILLMENT_STATUS_1"),
        ("PAID", "DELIVERED"),
        ("INCOMPLETE", "AWAITING_PROCESSING"),
    ):
        assert not holds_stock(payment, fulfillment, CUSTOM), (payment, fulfillment)
    assert holds_stock("PARTIALLY_REFUNDED", "PROCESSING", CUSTOM)
    assert holds_stock("PAID", "CUSTOM_FULFILLMENT_STATUS_2", CUSTOM)
