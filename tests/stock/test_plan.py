"""Pure tests: catalogue -> units, plan actions, in-flight rules, guard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from npf_ecwid.config import ClientConfig, StockMode
from npf_ecwid.ecwid.models import Combination, Order, OrderItem, Product
from npf_ecwid.stock.frames import catalogue_units, feed_frame
from npf_ecwid.stock.guard import check_guard
from npf_ecwid.stock.inflight import handoff_frame, inflight_units, order_lines
from npf_ecwid.stock.plan import Action, build_plan, changes
from npf_ecwid.stock.ports import StockLevel

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
NO_INFLIGHT = pd.DataFrame({"sku": pd.Series(dtype=object), "inflight": pd.Series(dtype="int64")})


def client(**kw: object) -> ClientConfig:
    return ClientConfig(code="ACME", store_id=1003, token="env:T", stock="available", **kw)


def level(sku: str, on_hand: int, available: int | None = None, at: datetime = NOW) -> StockLevel:
    return StockLevel(
        sku=sku,
        on_hand=on_hand,
        available=on_hand if available is None else available,
        updated_at=at,
    )


def catalogue() -> list[Product]:
    return [
        Product(id=1, sku="A", quantity=5),
        Product(id=2, sku="B", unlimited=True),
        Product(
            id=3,
            sku="C",
            quantity=0,
            combinations=[
                Combination(id=31, sku="C-RED", quantity=2),
                Combination(id=32, sku=None, quantity=0),  # inherits C: no row of its own
                Combination(id=33, sku="C-BLUE", quantity=1, unlimited=True),
            ],
        ),
        Product(id=4, sku="D", quantity=3),
        Product(id=5, sku="E", quantity=1),
        Product(id=6, sku="E", quantity=1),
        Product(id=7, sku=None, quantity=1),
    ]


def test_units_one_row_per_sku_keeping_unit() -> None:
    units = catalogue_units(catalogue())
    assert list(units["sku"].fillna("-")) == ["A", "B", "C", "C-RED", "C-BLUE", "D", "E", "E", "-"]
    red = units.loc[units["sku"] == "C-RED"].iloc[0]
    assert (red["product_id"], red["combination_id"], red["ecwid_quantity"]) == (3, 31, 2)
    assert units.loc[units["sku"] == "B", "unlimited"].item()
    assert units.loc[units["sku"] == "C-BLUE", "unlimited"].item()
    assert pd.isna(units.loc[units["sku"] == "A", "combination_id"].item())


def test_plan_actions_and_deltas() -> None:
    units = catalogue_units(catalogue())
    feed = feed_frame(
        [
            level("A", 9, 7),
            level("B", 4),
            level("C", 0),
            level("C-RED", 10, 1),
            level("C-BLUE", 3),
            level("E", 4),
            level("Z", 8),
        ]
    )
    inflight = pd.DataFrame({"sku": ["A", "C-RED"], "inflight": [2, 3]})
    plan = build_plan(units, feed, inflight, StockMode.AVAILABLE).set_index("sku", drop=False)
    assert plan.loc["A", "target"] == 5 and plan.loc["A", "action"] == Action.UNCHANGED
    assert plan.loc["C-RED", "target"] == 0 and plan.loc["C-RED", "clamped"]
    assert plan.loc["C-RED", "delta"] == -2 and plan.loc["C-RED", "action"] == Action.ADJUST
    assert plan.loc["C", "action"] == Action.UNCHANGED
    assert plan.loc["B", "action"] == Action.UNLIMITED and pd.isna(plan.loc["B", "delta"])
    assert plan.loc["C-BLUE", "action"] == Action.UNLIMITED
    assert plan.loc["D", "action"] == Action.NOT_IN_WAREHOUSE
    assert plan.loc["Z", "action"] == Action.NOT_IN_ECWID
    assert set(plan.loc[plan["sku"] == "E", "action"]) == {Action.DUPLICATE_SKU}
    assert plan.loc[plan["sku"].isna(), "action"].item() == Action.NO_SKU
    assert list(changes(plan)["sku"]) == ["C-RED"]
    on_hand = build_plan(units, feed, inflight, StockMode.ON_HAND).set_index("sku")
    assert on_hand.loc["A", "delta"] == 2 and on_hand.loc["C-RED", "delta"] == 5
    counts = plan["action"].value_counts()
    assert counts["duplicate_sku"] == 2 and counts.sum() == len(plan)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 50), st.integers(-5, 50), st.integers(0, 10)),
        min_size=1,
        max_size=30,
    )
)
def test_applying_deltas_reaches_non_negative_target(rows: list[tuple[int, int, int]]) -> None:
    products = [Product(id=i + 1, sku=f"S{i}", quantity=q) for i, (q, _, _) in enumerate(rows)]
    feed = feed_frame(level(f"S{i}", 0, a) for i, (_, a, _) in enumerate(rows))
    inflight = pd.DataFrame(
        {"sku": [f"S{i}" for i in range(len(rows))], "inflight": [f for *_, f in rows]}
    )
    plan = build_plan(catalogue_units(products), feed, inflight, StockMode.AVAILABLE)
    plan = plan.set_index("product_id").sort_index()
    after = plan["ecwid_before"] + plan["delta"]
    expected = [max(0, a - f) for _, a, f in rows]
    assert list(after) == expected
    assert (plan["action"] == Action.ADJUST).sum() == sum(
        q != e for (q, _, _), e in zip(rows, expected, strict=True)
    )


def test_inflight_rules_per_mode() -> None:
    def order(
        oid: str, qty: int, *, fulfil: str = "AWAITING_PROCESSING", pay: str = "PAID"
    ) -> Order:
        return Order(
            id=oid,
            fulfillment_status=fulfil,
            payment_status=pay,
            items=[OrderItem(sku="A", quantity=qty), OrderItem(sku=None, quantity=9)],
        )

    orders = [
        order("NEW", 1),  # never handed off
        order("LATE", 2),  # handed off after the snapshot
        order("ALLOC", 4),  # handed off before the snapshot
        order("GONE", 8),  # handed off and shipped before the snapshot
        order("UNPAID", 16, pay="AWAITING_PAYMENT"),
        order("CANCELLED", 32, pay="CANCELLED"),
        order("SHIPPED", 64, fulfil="SHIPPED"),
    ]
    lines = order_lines(orders)
    assert set(lines["order_id"]) == {"NEW", "LATE", "ALLOC", "GONE", "UNPAID"}
    handoffs = handoff_frame(
        [
            ("LATE", NOW + timedelta(minutes=5), None),
            ("ALLOC", NOW - timedelta(hours=1), None),
            ("GONE", NOW - timedelta(hours=2), NOW - timedelta(hours=1)),
        ]
    )
    feed = feed_frame([level("A", 100)])
    avail = inflight_units(lines, handoffs, feed, StockMode.AVAILABLE)
    assert avail.set_index("sku").loc["A", "inflight"] == 1 + 2 + 16
    on_hand = inflight_units(lines, handoffs, feed, StockMode.ON_HAND)
    assert on_hand.set_index("sku").loc["A", "inflight"] == 1 + 2 + 4 + 16
    unknown = inflight_units(lines, handoffs, feed_frame([]), StockMode.AVAILABLE)
    assert unknown.set_index("sku").loc["A", "inflight"] == 1 + 2 + 4 + 8 + 16


def test_guard_refuses_stale_empty_and_mass_zero_unless_forced() -> None:
    units = catalogue_units([Product(id=i, sku=f"S{i}", quantity=5) for i in range(10)])
    fresh = feed_frame(level(f"S{i}", 5 if i < 5 else 0) for i in range(10))
    plan = build_plan(units, fresh, NO_INFLIGHT, StockMode.AVAILABLE)
    assert check_guard(client(), fresh, plan, now=NOW).allowed  # 5 of 10 zeroed: at the limit

    zeroing = feed_frame(level(f"S{i}", 5 if i < 4 else 0) for i in range(10))
    zplan = build_plan(units, zeroing, NO_INFLIGHT, StockMode.AVAILABLE)
    verdict = check_guard(client(), zeroing, zplan, now=NOW)
    assert not verdict.allowed and "6 of 10 SKUs" in verdict.summary()
    assert check_guard(client(stock_max_zero_share=0.6), zeroing, zplan, now=NOW).allowed

    stale = feed_frame(level(f"S{i}", 5, at=NOW - timedelta(hours=27)) for i in range(10))
    splan = build_plan(units, stale, NO_INFLIGHT, StockMode.AVAILABLE)
    verdict = check_guard(client(), stale, splan, now=NOW)
    assert (
        not verdict.allowed and "stale" in verdict.summary() and "27.0 h old" in verdict.summary()
    )
    forced = check_guard(client(), stale, splan, now=NOW, force=True)
    assert forced.allowed and forced.forced and forced.reasons

    empty = feed_frame([])
    eplan = build_plan(units, empty, NO_INFLIGHT, StockMode.AVAILABLE)
    assert "empty" in check_guard(client(), empty, eplan, now=NOW).summary()


def test_rows_without_the_figure_or_a_time_are_reported() -> None:
    units = catalogue_units(
        [Product(id=1, sku="A", quantity=5), Product(id=2, sku="B", quantity=1)]
    )
    feed = feed_frame(
        [
            StockLevel(sku="A", on_hand=4, available=None, updated_at=None),
            StockLevel(sku="B", on_hand=4, available=3, updated_at=None),
        ]
    )
    plan = build_plan(units, feed, NO_INFLIGHT, StockMode.AVAILABLE).set_index("sku")
    assert plan.loc["A", "action"] == Action.NO_FIGURE and plan.loc["B", "delta"] == 2
    assert "age is unknown" in check_guard(client(), feed, plan.reset_index(), now=NOW).summary()
