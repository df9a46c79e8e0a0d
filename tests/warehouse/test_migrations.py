"""Schema migrations (issue #19 item 3) on real SQLite files and PostgreSQL:

- an old database (as `init_db` made it, rows in every table the WMS and the pull rely on)
  upgraded with `npf-ecwid db upgrade`: at head, every row intact, and an order pull works on it;
- a database from before session 5 (no `cancel_reason`, no parcel key) too;
- the revisions equal the SQLModel tables (fails when a table changes without a migration);
- a flow run on a database not at head fails with the command to run;
- no adapter and no pull runs DDL or reads the catalog on an upgraded database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, event, inspect, text
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

from cli import app
from npf_ecwid.breaker.store import REFUSED, TokenBreakerRow
from npf_ecwid.db import SchemaNotCurrent, get_engine, import_table_modules
from npf_ecwid.migrations import head_revision, revision_of, upgrade
from npf_ecwid.tables import (
    NpfOrder,
    NpfOrderLine,
    NpfShipment,
    OrdersQuarantine,
    OrdersWatermark,
)
from tests.warehouse.legacy import legacy_database

T0 = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
SEEDED = (
    "npf_order",
    "npf_order_line",
    "npf_shipment",
    "orders_watermark",
    "orders_quarantine",
    "npf_token_breaker",
)
ORDER_BY = {"npf_shipment": "id", "npf_order_line": "ecwid_order_id, line_no"}


def seed(engine: Engine, *, with_cancel_reason: bool = True) -> None:
    """Rows an operator's database holds: handed-off orders with lines, the WMS's parcels
    (before session 5 one twice, as concurrent inserts left them before the key), the pull's
    state and a tripped token breaker."""
    with Session(engine) as session:
        for number, updated in (("OLD-1", T0), ("OLD-2", T0 + timedelta(minutes=3))):
            row = NpfOrder(
                client="ACME",
                ecwid_order_id=number,
                order_ref=number,
                email="buyer@example.com",
                country="AU",
                payment_status="PAID",
                fulfillment_status="AWAITING_PROCESSING",
                currency="AUD",
                total_cents=4250,
                line_count=1,
                ecwid_updated_at=updated,
                received_at=updated,
                updated_at=updated,
                changed_at=updated,
                content_hash="h-" + number,
            )
            if with_cancel_reason:
                session.add(row)
            else:  # the column is not there: leave it out of the INSERT
                values = {k: v for k, v in row.model_dump().items() if k != "cancel_reason"}
                session.execute(NpfOrder.__table__.insert().values(values))  # type: ignore[attr-defined]
            session.add(
                NpfOrderLine(
                    client="ACME", ecwid_order_id=number, line_no=1, sku="SKU-1", quantity=2
                )
            )
        session.commit()
        parcels = [("TRK-1", "first"), ("TRK-2", None)]
        if not with_cancel_reason:  # before the key, concurrent inserts could repeat a parcel
            parcels.insert(1, ("TRK-1", "duplicate"))
        for number, carrier in parcels:
            session.add(
                NpfShipment(
                    client="ACME",
                    ecwid_order_id="OLD-1",
                    tracking_number=number,
                    carrier=carrier,
                    shipped_at=T0,
                )
            )
            session.commit()
        session.add(OrdersWatermark(client="ACME", updated_from=T0, last_run_at=T0))
        session.add(
            OrdersQuarantine(
                client="ACME",
                ecwid_order_id="BAD-1",
                reason="items.0.quantity: Input should be a valid integer",
                raw_json='{"id": "BAD-1", "items": [{"quantity": "two"}], "extraField": 1}',
                first_seen_at=T0,
                last_seen_at=T0,
            )
        )
        session.add(
            TokenBreakerRow(
                client="BOLT",
                state=REFUSED,
                refused_since=T0,
                reason="403 from GET /orders",
                token_fingerprint="salt$hash",
                updated_at=T0,
            )
        )
        session.commit()


def dump(engine: Engine, table: str) -> list[tuple]:
    order = ORDER_BY.get(table, "client")
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))
        return [tuple(row) for row in rows]


def differences(engine: Engine) -> list:
    """What autogenerate would put in a new revision: empty when the database (made by the
    revisions) and the SQLModel tables agree."""
    import_table_modules()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def db_upgrade(url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", url)
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return result.output


def test_fresh_database_is_created_at_head_and_matches_the_tables(empty_url, monkeypatch):
    assert db_upgrade(empty_url, monkeypatch).endswith(f": none -> {head_revision()}\n")
    engine = get_engine(empty_url)
    assert revision_of(engine) == head_revision()
    assert differences(engine) == []
    names = {i["name"] for i in inspect(engine).get_indexes("npf_shipment")}
    assert "uq_npf_shipment_parcel" in names
    assert "cancel_reason" in {c["name"] for c in inspect(engine).get_columns("npf_order")}
    assert "already at" in db_upgrade(empty_url, monkeypatch)  # a repeat changes nothing


def test_old_database_with_data_upgrades_intact_and_takes_a_pull(
    empty_url, monkeypatch, orders_env, prefect_server
):
    from flows.orders import sync_orders

    legacy = legacy_database(empty_url)
    seed(legacy)
    before = {table: dump(legacy, table) for table in SEEDED}
    legacy.dispose()
    assert all(before.values())

    out = db_upgrade(empty_url, monkeypatch)
    assert out.endswith(f": none -> {head_revision()}\n")

    engine = get_engine(empty_url)
    assert revision_of(engine) == head_revision()
    assert differences(engine) == []
    assert {table: dump(engine, table) for table in SEEDED} == before  # every row intact
    # the pull works on it: new orders handed off, the old rows and state still there
    orders_env.database_url = empty_url
    state = sync_orders("ACME", return_state=True)
    assert state.is_completed(), state.message
    ids = orders_env.order_ids()
    assert {"OLD-1", "OLD-2"} < set(ids) and len(ids) > 2
    for table in ("npf_order", "npf_order_line"):  # the orders the new pull did not see
        assert [r for r in dump(engine, table) if r[1].startswith("OLD-")] == before[table]
    assert dump(engine, "orders_quarantine") == before["orders_quarantine"]


def test_database_from_before_session_5_is_upgraded(empty_url, monkeypatch):
    legacy = legacy_database(empty_url, before_session5=True)
    seed(legacy, with_cancel_reason=False)
    before = {table: dump(legacy, table) for table in SEEDED}
    legacy.dispose()

    db_upgrade(empty_url, monkeypatch)

    engine = get_engine(empty_url)
    assert revision_of(engine) == head_revision()
    assert differences(engine) == []
    orders = dump(engine, "npf_order")
    columns = [c["name"] for c in inspect(engine).get_columns("npf_order")]
    reason = columns.index("cancel_reason")
    assert [row[:reason] + row[reason + 1 :] for row in orders] == before["npf_order"]
    assert {row[reason] for row in orders} == {None}
    first, duplicate, other = before["npf_shipment"]
    assert duplicate[1:4] == first[1:4]  # same client, order and tracking number
    assert dump(engine, "npf_shipment") == [first, other]  # the earliest of the two kept
    for table in set(SEEDED) - {"npf_order", "npf_shipment"}:
        assert dump(engine, table) == before[table], table


def test_an_order_run_on_a_database_not_at_head_fails_with_the_command(
    empty_url, orders_env, prefect_server, monkeypatch
):
    from flows.orders import sync_orders

    legacy_database(empty_url).dispose()  # tables there, never upgraded
    monkeypatch.setenv("DATABASE_URL", empty_url)
    orders_env.database_url = empty_url
    state = sync_orders("ACME", return_state=True)
    assert state.is_failed()
    with pytest.raises(SchemaNotCurrent, match=re.escape("run `npf-ecwid db upgrade`")):
        state.result()
    assert revision_of(get_engine(empty_url)) is None  # the run did not migrate it either


def test_the_engine_refuses_a_database_not_at_head_until_upgraded(tmp_path):
    url = f"sqlite:///{tmp_path}/fresh.db"
    engine = get_engine(url)
    with pytest.raises(SchemaNotCurrent, match="has no schema revision") as refused:
        engine.connect()
    assert "npf-ecwid db upgrade" in str(refused.value)
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM npf_order")).scalar() == 0


SCHEMA_WORK = re.compile(
    r"^\s*(CREATE|ALTER|DROP)\b|PRAGMA\s+\S*(table_info|index_list|table_xinfo)|"
    r"sqlite_master|pg_catalog|information_schema",
    re.IGNORECASE,
)


@pytest.fixture
def schema_statements(orders_env) -> Iterator[list[str]]:
    """Every statement on the pull's (upgraded) database that creates, alters or reflects the
    schema, recorded from here on."""
    seen: list[str] = []
    engine = orders_env.engine

    def record(_conn, _cursor, statement, *_args) -> None:
        if SCHEMA_WORK.search(statement):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_adapters_and_a_pull_run_no_ddl(orders_env, schema_statements, prefect_server, tmp_path):
    from flows.orders import sync_orders
    from npf_ecwid.breaker.guard import TokenBreaker
    from npf_ecwid.orders.state import list_quarantine
    from npf_ecwid.warehouse.files_orders import FileOrderIntake
    from npf_ecwid.warehouse.files_shipments import FileShipmentSource, inbox_dir
    from npf_ecwid.warehouse.sql_orders import SqlOrderIntake
    from npf_ecwid.warehouse.sql_shipments import SqlShipmentSource
    from npf_ecwid.warehouse.sql_stock import SqlStockSource

    engine = orders_env.engine
    SqlOrderIntake(engine).known_ids("ACME", ["ACME-1"])
    FileOrderIntake(engine, tmp_path / "outbox").known_ids("ACME", ["ACME-1"])
    FileShipmentSource(engine, inbox_dir(tmp_path), {"ACME"})
    TokenBreaker(engine).state("ACME")
    SqlShipmentSource(engine).shipments("ACME")
    SqlStockSource(engine).read_stock("ACME")
    list_quarantine(engine, "ACME")
    for _ in range(2):  # a first pull and a re-run
        state = sync_orders("ACME", return_state=True)
        assert state.is_completed(), state.message
    assert len(orders_env.order_ids()) > 0
    assert schema_statements == []
