"""`npf_shipment`'s unique parcel key (issue #18 item 1): concurrent inserts of one parcel leave
one row, and an existing database with duplicates is upgraded by the baseline migration."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from npf_ecwid.db import get_engine
from npf_ecwid.migrations import upgrade
from npf_ecwid.tables import PARCEL_KEY, NpfShipment
from npf_ecwid.warehouse.sql_shipments import add_shipments
from tests.dbs import upgraded
from tests.warehouse.legacy import legacy_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    if request.param == "postgres":
        return upgraded(request.getfixturevalue("postgres_url"))
    return upgraded(f"sqlite:///{tmp_path}/npf.db")


def parcel(number: str = "TRK1", order: str = "ACME-1", **extra) -> NpfShipment:
    return NpfShipment(client="ACME", ecwid_order_id=order, tracking_number=number, **extra)


def rows(engine) -> list[tuple[int, str, str, str | None]]:
    with Session(engine) as session:
        found = session.exec(select(NpfShipment).order_by(NpfShipment.id)).all()
    return [(r.id, r.ecwid_order_id, r.tracking_number, r.carrier) for r in found]


def test_four_concurrent_inserts_of_one_parcel_leave_one_row(db_url) -> None:
    engine = get_engine(db_url)
    upgrade(engine)
    start = threading.Barrier(4)
    added: list[int] = []

    def insert() -> None:
        start.wait()
        added.append(add_shipments(engine, [parcel()]))

    threads = [threading.Thread(target=insert) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(rows(engine)) == 1
    assert sorted(added) == [0, 0, 0, 1]


def test_upgrade_dedupes_and_adds_the_key_to_an_old_database(empty_url) -> None:
    legacy = legacy_database(empty_url)  # as init_db made it, no migrations
    with legacy.begin() as connection:  # what a database made before the key looks like
        connection.execute(text(f"DROP INDEX {PARCEL_KEY}"))
    with Session(legacy) as session:
        for row in (
            parcel(carrier="first"),
            parcel(carrier="dup"),
            parcel("TRK2"),
            parcel(carrier="dup2"),
            parcel(order="ACME-2"),
        ):
            session.add(row)
            session.commit()
    before = rows(legacy)
    assert len(before) == 5
    legacy.dispose()

    engine = get_engine(empty_url)
    upgrade(engine)
    upgrade(engine)  # idempotent

    after = rows(engine)
    assert after == [before[0], before[2], before[4]]  # the earliest of each parcel kept
    assert after[0][3] == "first"
    names = {index["name"] for index in inspect(engine).get_indexes("npf_shipment")}
    assert PARCEL_KEY in names
    with pytest.raises(IntegrityError), Session(engine) as session:  # the WMS gets told too
        session.add(parcel())
        session.commit()
    assert add_shipments(engine, [parcel(), parcel("TRK3")]) == 1
