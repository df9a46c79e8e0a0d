"""Baseline: the schema as `init_db` made it before migrations (session 5 included).

On an empty database this creates every table. On a database made by an earlier version
(tables there, no `alembic_version`) it creates only the tables that are missing and applies
the in-place upgrades `init_db` used to run, so such a database ends up exactly at the
baseline and is stamped like a fresh one:
- `npf_order.cancel_reason` (issue #15: "deleted in Ecwid"), nullable;
- the `npf_shipment` parcel key `uq_npf_shipment_parcel` (issue #18): duplicate parcels (same
  client, order and tracking number, left by concurrent inserts before the key existed) are
  removed first, keeping the earliest row (lowest `id`); the push uses the set of numbers, so
  nothing is lost.

Written out with plain SQLAlchemy types (as `alembic revision --autogenerate` produced them from
the SQLModel tables, then reviewed), so this file never changes when the models do.

Revision ID: 0001_baseline
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_baseline"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("npf_ecwid.migrations")

PARCEL_KEY = "uq_npf_shipment_parcel"
PARCEL_COLUMNS = ("client", "ecwid_order_id", "tracking_number")


def _create(
    name: str, *elements: sa.SchemaItem, indexes: Sequence[tuple[str, list[str], bool]] = ()
) -> None:
    """Create table `name` with its indexes unless an earlier version already made it."""
    if sa.inspect(op.get_bind()).has_table(name):
        return
    op.create_table(name, *elements)
    for index, columns, unique in indexes:
        op.create_index(index, name, columns, unique=unique)


def _add_cancel_reason() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("npf_order")}
    if "cancel_reason" not in columns:
        op.add_column("npf_order", sa.Column("cancel_reason", sa.String(length=200)))
        log.warning("database upgraded: npf_order: added column cancel_reason")


def _add_parcel_key() -> None:
    indexes = {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("npf_shipment")}
    if PARCEL_KEY in indexes:
        return
    columns = ", ".join(PARCEL_COLUMNS)
    removed = (
        op.get_bind()
        .execute(
            sa.text(
                "DELETE FROM npf_shipment WHERE id NOT IN "  # noqa: S608 (constants only)
                f"(SELECT MIN(id) FROM npf_shipment GROUP BY {columns})"
            )
        )
        .rowcount
    )
    op.create_index(PARCEL_KEY, "npf_shipment", list(PARCEL_COLUMNS), unique=True)
    log.warning(
        "database upgraded: npf_shipment: added unique key (%s); removed %d duplicate parcel "
        "row(s), kept the earliest of each",
        columns,
        removed,
    )


def upgrade() -> None:
    _create(
        "client_check",
        sa.Column("client", sa.String(length=40), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verdict", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("client"),
    )
    _create(
        "client_lock",
        sa.Column("client", sa.String(length=40), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fence", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("client"),
    )
    _create(
        "npf_order",
        sa.Column("client", sa.String(length=40), nullable=False),
        sa.Column("ecwid_order_id", sa.String(length=64), nullable=False),
        sa.Column("order_ref", sa.String(length=64), nullable=False),
        sa.Column("internal_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(), nullable=True),
        sa.Column("customer_name", sa.String(), nullable=True),
        sa.Column("company_name", sa.String(), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("address_line1", sa.String(), nullable=True),
        sa.Column("address_line2", sa.String(), nullable=True),
        sa.Column("city", sa.String(), nullable=True),
        sa.Column("state", sa.String(), nullable=True),
        sa.Column("postcode", sa.String(), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("shipping_method", sa.String(), nullable=True),
        sa.Column("shipping_carrier", sa.String(), nullable=True),
        sa.Column("is_pickup", sa.Boolean(), nullable=False),
        sa.Column("pickup_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payment_status", sa.String(length=40), nullable=True),
        sa.Column("fulfillment_status", sa.String(length=40), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("subtotal_cents", sa.Integer(), nullable=True),
        sa.Column("shipping_cents", sa.Integer(), nullable=True),
        sa.Column("tax_cents", sa.Integer(), nullable=True),
        sa.Column("total_cents", sa.Integer(), nullable=True),
        sa.Column("customer_comments", sa.Text(), nullable=True),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("ecwid_created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ecwid_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=200), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("client", "ecwid_order_id"),
        indexes=[
            ("ix_npf_order_changed_at", ["changed_at"], False),
        ],
    )
    _create(
        "npf_order_line",
        sa.Column("client", sa.String(length=40), nullable=False),
        sa.Column("ecwid_order_id", sa.String(length=64), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("combination_id", sa.Integer(), nullable=True),
        sa.Column("sku", sa.String(), nullable=True),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price_cents", sa.Integer(), nullable=True),
        sa.Column("options", sa.Text(), nullable=True),
        sa.Column("weight", sa.Float(), nullable=True),
        sa.Column("is_shipping_required", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("client", "ecwid_order_id", "line_no"),
    )
    _create(
        "npf_rates_key",
        sa.Column("store_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("client", sa.String(length=40), nullable=False),
        sa.Column("key_sha256", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("store_id"),
    )
    _create(
        "npf_shipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=40), nullable=False),
        sa.Column("ecwid_order_id", sa.String(length=64), nullable=False),
        sa.Column("tracking_number", sa.String(), nullable=False),
        sa.Column("carrier", sa.String(), nullable=True),
        sa.Column("tracking_url", sa.String(), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        indexes=[
            ("ix_npf_shipment_order", ["client", "ecwid_order_id"], False),
            ("uq_npf_shipment_parcel", ["client", "ecwid_order_id", "tracking_number"], True),
        ],
    )
    _create(
        "npf_stock",
        sa.Column("client", sa.String(length=40), nullable=False),
        sa.Column("sku", sa.String(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("available", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("client", "sku"),
    )
    _create(
        "npf_token_breaker",
        sa.Column("client", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("refused_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("token_fingerprint", sa.String(length=80), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_reason", sa.Text(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client"),
    )
    _create(
        "npf_tracking_push",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=40), nullable=False),
        sa.Column("ecwid_order_id", sa.String(length=64), nullable=False),
        sa.Column("numbers_key", sa.Text(), nullable=False),
        sa.Column("tracking_number", sa.Text(), nullable=False),
        sa.Column("tracking_url", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client", "ecwid_order_id", "numbers_key"),
        indexes=[
            ("ix_npf_tracking_push_client", ["client"], False),
        ],
    )
    _create(
        "order_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=40), nullable=False),
        sa.Column("ecwid_order_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("flow_run", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        indexes=[
            ("ix_order_event_order", ["client", "ecwid_order_id", "id"], False),
        ],
    )
    _create(
        "orders_deleted_watermark",
        sa.Column("client", sa.String(length=40), nullable=False),
        sa.Column("deleted_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client"),
    )
    _create(
        "orders_deletion",
        sa.Column("client", sa.String(length=40), nullable=False),
        sa.Column("ecwid_order_id", sa.String(length=64), nullable=False),
        sa.Column("internal_id", sa.Integer(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("client", "ecwid_order_id"),
    )
    _create(
        "orders_file_ledger",
        sa.Column("client", sa.String(length=40), nullable=False),
        sa.Column("ecwid_order_id", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client", "ecwid_order_id"),
    )
    _create(
        "orders_quarantine",
        sa.Column("client", sa.String(length=40), nullable=False),
        sa.Column("ecwid_order_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw_json", sa.Text(), nullable=False),
        sa.Column("ecwid_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("client", "ecwid_order_id"),
    )
    _create(
        "orders_watermark",
        sa.Column("client", sa.String(length=40), nullable=False),
        sa.Column("updated_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client"),
    )
    _create(
        "stock_push",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("client", sa.String(length=40), nullable=False),
        sa.Column("sku", sa.String(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("combination_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.Integer(), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("batch_key", sa.String(length=36), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        indexes=[
            ("ix_stock_push_client", ["client"], False),
            ("ix_stock_push_run_id", ["run_id"], False),
        ],
    )
    _create(
        "stock_run",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("client", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("forced", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        indexes=[
            ("ix_stock_run_client", ["client"], False),
        ],
    )
    # Databases made before these changes: the tables exist but lack them.
    _add_cancel_reason()
    _add_parcel_key()


def downgrade() -> None:
    """Drop every table (back to an empty database); the data goes with them."""
    for name in reversed(
        (
            "client_check",
            "client_lock",
            "npf_order",
            "npf_order_line",
            "npf_rates_key",
            "npf_shipment",
            "npf_stock",
            "npf_token_breaker",
            "npf_tracking_push",
            "order_event",
            "orders_deleted_watermark",
            "orders_deletion",
            "orders_file_ledger",
            "orders_quarantine",
            "orders_watermark",
            "stock_push",
            "stock_run",
        )
    ):
        op.drop_table(name)
