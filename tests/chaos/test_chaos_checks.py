"""The chaos run's checker can fail: it sees missing orders, duplicate and URL-wrong pushes,
stock off target and leaked tokens (no flows run here; fast)."""

from __future__ import annotations

from pathlib import Path

from bench.chaos.invariants import ClientFigures, check_orders, check_pushes, check_stock, matches
from bench.chaos.leaks import files_with, rows_with
from bench.chaos.mutator import Mutator
from bench.chaos.warehouse import WarehouseSim
from bench.chaos.world import build_world
from npf_ecwid.db import get_engine
from npf_ecwid.migrations import upgrade


def _world(tmp_path: Path):
    world = build_world(tmp_path, orders_per_store=80, products=6, seed=3)
    engine = get_engine(world.database_url)
    upgrade(engine)
    return world, engine


def test_empty_warehouse_misses_every_matching_order(tmp_path: Path) -> None:
    world, engine = _world(tmp_path)
    mutator = Mutator([world.store(s.code) for s in world.specs])
    for spec in world.specs:
        figures = ClientFigures(spec.code)
        check_orders(engine, spec, world.store(spec.code), mutator.history, figures)
        assert figures.matching > 0
        assert len(figures.missing) == figures.matching
        assert figures.orders == figures.duplicated == 0


def test_filters_differ_between_clients(tmp_path: Path) -> None:
    world, _ = _world(tmp_path)
    acme, beta, _gamma = world.specs
    store = world.store("BETA")
    orders = store.orders()
    # BETA takes AWAITING_PAYMENT orders with its prefix; ACME's rules would refuse them all.
    unpaid = [o for o in orders if o["paymentStatus"] == "AWAITING_PAYMENT" and matches(beta, o)]
    assert unpaid
    assert not any(matches(acme, o) for o in unpaid)
    assert not any(matches(beta, o) for o in orders if not o["id"].startswith("BT-"))


def test_duplicate_wrong_url_and_missing_pushes_are_counted(tmp_path: Path) -> None:
    world, engine = _world(tmp_path)
    spec = world.spec("BETA")  # push_tracking_url = false
    store = world.store("BETA")
    sim = WarehouseSim(engine, {"BETA": []}, ship_share=1.0)
    mutator = Mutator([store])
    for _ in range(3):
        mutator._new_order(store)
    from datetime import UTC, datetime

    from sqlmodel import Session

    from npf_ecwid.tables import NpfOrder

    ids = [o["id"] for o in store.orders()[-3:]]
    now = datetime.now(UTC)
    with Session(engine) as session:
        for order_id in ids:
            session.add(
                NpfOrder(
                    client="BETA",
                    ecwid_order_id=order_id,
                    order_ref=order_id,
                    received_at=now,
                    updated_at=now,
                    changed_at=now,
                    content_hash="x",
                    fulfillment_status="AWAITING_PROCESSING",
                )
            )
        session.commit()
    assert sim.ship("BETA") == 3
    body = {"trackingNumber": "X", "trackingUrl": "https://t/X", "fulfillmentStatus": "SHIPPED"}
    store.log_write("PUT", f"/orders/{ids[0]}", body, 200)
    store.log_write("PUT", f"/orders/{ids[0]}", body, 200)
    figures = ClientFigures("BETA")
    check_pushes(engine, spec, store, figures)
    assert figures.pushes_duplicated == [ids[0]]
    assert figures.url_wrong == [ids[0]]
    assert figures.wrong_numbers == [ids[0]]
    assert figures.pushes_missing == sorted(ids[1:])


def test_stock_off_target_and_token_leaks_are_found(tmp_path: Path) -> None:
    world, engine = _world(tmp_path)
    spec = world.spec("ACME")
    store = world.store("ACME")
    skus = [k for k, v in store.stock_by_sku().items() if v]
    sim = WarehouseSim(engine, {"ACME": skus}, initial_stock=10_000)
    sim.publish_stock("ACME")
    figures = ClientFigures("ACME")
    check_stock(engine, spec, store, figures)
    assert figures.skus_checked == len(skus)
    assert len(figures.stock_mismatch) == len(skus)  # Ecwid was never reconciled

    token = world.tokens["ACME"]
    (world.logs_dir / "child.log").write_text(f"Authorization: Bearer {token}\n")
    assert files_with([token], [world.logs_dir]) == [str(world.logs_dir / "child.log")]
    assert rows_with([token], engine) == []


def test_deleted_orders_must_end_cancelled_and_never_be_pushed_after(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from sqlmodel import Session

    from npf_ecwid.tables import NpfOrder

    world, engine = _world(tmp_path)
    spec, store = world.spec("ACME"), world.store("ACME")
    mutator = Mutator([store])
    cancelled, forgotten, shipped = [o for o in store.orders() if matches(spec, o)][:3]
    now = datetime.now(UTC)
    with Session(engine) as session:
        for order in (cancelled, forgotten, shipped):
            done = order is not forgotten
            session.add(
                NpfOrder(
                    client="ACME",
                    ecwid_order_id=order["id"],
                    order_ref=order["id"],
                    received_at=now,
                    updated_at=now,
                    changed_at=now,
                    cancelled_at=now if done else None,
                    cancel_reason="deleted in Ecwid" if done else None,
                    content_hash="x",
                    fulfillment_status="AWAITING_PROCESSING",
                )
            )
        session.commit()
    with store.lock:
        for order in (cancelled, forgotten, shipped):
            mutator._delete(store, store.get_order(order["id"]))
    WarehouseSim(engine, {"ACME": []}, ship_share=1.0).ship("ACME")  # ships `forgotten`
    body = {"trackingNumber": "Z1", "fulfillmentStatus": "SHIPPED"}
    store.log_write("PUT", f"/orders/{shipped['id']}", body, 200)  # after its deletion
    figures = ClientFigures("ACME")
    check_orders(engine, spec, store, mutator.history, figures, mutator.deleted)
    assert figures.deleted == 3
    assert figures.deleted_not_cancelled == [forgotten["id"]]
    assert figures.non_matching == [] and figures.stale == []
    check_pushes(engine, spec, store, figures, mutator.deleted)
    assert figures.pushed_after_delete == [shipped["id"]]
    assert figures.refused_deleted == 1 and figures.pushes_missing == []
    without = ClientFigures("ACME")
    check_orders(engine, spec, store, mutator.history, without)  # deletions unknown
    assert len(without.non_matching) == 3
