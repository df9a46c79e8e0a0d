"""The invariants a chaos run must end with, computed independently of the flows' code from
what users can see: the sandbox stores (final state and the API write log), the warehouse
tables, and the children's output.

The filter rules are re-implemented here from the clients-file contract (docs/contracts.md,
npf_ecwid/orders/filters.py docstring) on purpose: reusing the flows' own filter code would
make a filter bug invisible.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlmodel import Session

from bench.chaos.world import ClientSpec
from npf_ecwid.sandbox import SandboxStore
from npf_ecwid.tables import NpfOrder, NpfShipment, NpfStock, OrdersQuarantine

CANCELLED_PAYMENT = ("CANCELLED", "REFUNDED")
DONE_FULFILMENT = ("SHIPPED", "DELIVERED", "OUT_FOR_DELIVERY", "WILL_NOT_DELIVER", "RETURNED")
RELEASED_PAYMENT = ("CANCELLED", "REFUNDED", "INCOMPLETE")


def is_pickup(order: dict[str, Any]) -> bool:
    option = order.get("shippingOption") or {}
    return bool(option.get("isPickup")) or str(option.get("fulfillmentType", "")).upper() == (
        "PICKUP"
    )


def matches(spec: ClientSpec, order: dict[str, Any], state: tuple[str, str] | None = None) -> bool:
    """Would `order` (in `state` = (payment, fulfilment), default its current one) be handed
    to the warehouse for this client?"""
    table = spec.table
    payment, fulfilment = state or (order.get("paymentStatus"), order.get("fulfillmentStatus"))
    if payment == "INCOMPLETE":  # Ecwid does not list unfinished checkouts
        return False
    start = table.get("order_start_date")
    if start:
        zone = ZoneInfo(table.get("timezone", "Australia/Melbourne"))
        midnight = datetime.combine(date.fromisoformat(start), time(0), tzinfo=zone)
        if order["createTimestamp"] < midnight.timestamp():
            return False
    prefix = table.get("order_prefix", "")
    if prefix and not order["id"].startswith(prefix):
        return False
    countries = table.get("countries") or []
    country = (order.get("shippingPerson") or {}).get("countryCode")
    if countries and not is_pickup(order) and country not in countries:
        return False
    if table.get("payment_statuses") and payment not in table["payment_statuses"]:
        return False
    if table.get("fulfillment_statuses") and fulfilment not in table["fulfillment_statuses"]:
        return False
    return any(item.get("isShippingRequired", True) for item in order.get("items", []))


def is_cancelled(order: dict[str, Any]) -> bool:
    return (
        order.get("paymentStatus") in CANCELLED_PAYMENT
        or order.get("fulfillmentStatus") == "WILL_NOT_DELIVER"
    )


@dataclass
class ClientFigures:
    client: str
    orders: int = 0
    matching: int = 0
    missing: list[str] = field(default_factory=list)
    duplicated: int = 0
    non_matching: list[str] = field(default_factory=list)
    quarantined: int = 0
    stale: list[str] = field(default_factory=list)
    shipped_orders: int = 0
    pushes: int = 0
    pushes_duplicated: list[str] = field(default_factory=list)
    pushes_missing: list[str] = field(default_factory=list)
    refused_cancelled: int = 0
    deleted: int = 0  # handed-off orders deleted in Ecwid meanwhile
    deleted_not_cancelled: list[str] = field(default_factory=list)
    refused_deleted: int = 0  # shipped by the warehouse, deleted in Ecwid: never pushed
    pushed_after_delete: list[str] = field(default_factory=list)
    wrong_numbers: list[str] = field(default_factory=list)
    url_wrong: list[str] = field(default_factory=list)
    items_sent: int = 0
    skus_checked: int = 0
    stock_mismatch: list[str] = field(default_factory=list)


def check_orders(
    engine: Engine,
    spec: ClientSpec,
    store: SandboxStore,
    history: dict[tuple[int, str], set[tuple[str, str]]],
    figures: ClientFigures,
    deleted: dict[tuple[int, str], dict[str, Any]] | None = None,
) -> None:
    """`deleted`: orders deleted in Ecwid as they last were (`Mutator.deleted`). A handed-off
    one must end cancelled with the reason "deleted in Ecwid"; it is judged "matching" on the
    states it had before deletion."""
    with Session(engine) as session:
        rows = session.execute(select(NpfOrder).where(NpfOrder.client == spec.code)).scalars()
        rows = list(rows)
        quarantined = set(
            session.execute(
                select(OrdersQuarantine.ecwid_order_id).where(
                    OrdersQuarantine.client == spec.code,
                    OrdersQuarantine.resolved_at.is_(None),  # type: ignore[union-attr]
                )
            ).scalars()
        )
    ids = Counter(r.ecwid_order_id for r in rows)
    internal = Counter(r.internal_id for r in rows if r.internal_id is not None)
    figures.orders = len(rows)
    figures.quarantined = len(quarantined)
    figures.duplicated = sum(n - 1 for n in ids.values()) + sum(n - 1 for n in internal.values())
    orders = store.orders()
    matching = {o["id"] for o in orders if matches(spec, o)}
    figures.matching = len(matching)
    figures.missing = sorted(matching - set(ids) - quarantined)
    gone = {oid: o for (store_id, oid), o in (deleted or {}).items() if store_id == spec.store_id}
    by_id = {**gone, **{o["id"]: o for o in orders}}
    for order_id in sorted(ids):
        order = by_id.get(order_id)
        states = history.get((spec.store_id, order_id), set())
        if order is None or not any(matches(spec, order, s) for s in states | {None}):  # type: ignore[operator]
            figures.non_matching.append(order_id)
    for row in rows:
        if row.ecwid_order_id in gone:
            figures.deleted += 1
            if row.cancelled_at is None or row.cancel_reason != "deleted in Ecwid":
                figures.deleted_not_cancelled.append(row.ecwid_order_id)
            continue
        order = by_id.get(row.ecwid_order_id)
        if order is not None and _stale(row, order):
            figures.stale.append(row.ecwid_order_id)


def _stale(row: NpfOrder, order: dict[str, Any]) -> bool:
    person = order.get("shippingPerson") or {}
    street = (person.get("street") or "").partition("\n")[0]
    pickup = is_pickup(order)
    expected = {
        "payment_status": order.get("paymentStatus"),
        "fulfillment_status": order.get("fulfillmentStatus"),
        "cancelled": is_cancelled(order),
    }
    actual: dict[str, Any] = {
        "payment_status": row.payment_status,
        "fulfillment_status": row.fulfillment_status,
        "cancelled": row.cancelled_at is not None,
    }
    if not pickup:
        expected.update(street=street or None, postcode=person.get("postalCode"))
        actual.update(street=row.address_line1, postcode=row.postcode)
    return expected != actual


def tracking_puts(
    store: SandboxStore, times: dict[str, list[float]] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Bodies of accepted `PUT /orders/{id}` carrying a tracking number, per order id (and,
    into `times`, when each was accepted)."""
    puts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in store.write_log:
        if entry.method == "PUT" and entry.path.startswith("/orders/"):
            body = entry.body if isinstance(entry.body, dict) else {}
            if body.get("trackingNumber"):
                order_id = entry.path.removeprefix("/orders/")
                puts[order_id].append(body)
                if times is not None:
                    times.setdefault(order_id, []).append(entry.at)
    return puts


def check_pushes(
    engine: Engine,
    spec: ClientSpec,
    store: SandboxStore,
    figures: ClientFigures,
    deleted: dict[tuple[int, str], dict[str, Any]] | None = None,
) -> None:
    """`deleted` as for `check_orders`: such an order is never pushed after its deletion, and
    a shipment of it with no push is a refusal, not a missing push."""
    gone = {oid: o for (store_id, oid), o in (deleted or {}).items() if store_id == spec.store_id}
    with Session(engine) as session:
        parcels = session.execute(
            select(NpfShipment.ecwid_order_id, NpfShipment.tracking_number).where(
                NpfShipment.client == spec.code
            )
        ).all()
    numbers: dict[str, set[str]] = defaultdict(set)
    for order_id, number in parcels:
        numbers[order_id].add(number)
    times: dict[str, list[float]] = {}
    puts = tracking_puts(store, times)
    for order_id, order in sorted(gone.items()):
        if any(at >= order["_deletedAt"] for at in times.get(order_id, [])):
            figures.pushed_after_delete.append(order_id)
    figures.shipped_orders = len(numbers)
    figures.pushes = sum(len(b) for b in puts.values())
    for order_id, bodies in sorted(puts.items()):
        if len(bodies) > 1:
            figures.pushes_duplicated.append(order_id)
        for body in bodies:
            figures.items_sent += "items" in body
            if bool(body.get("trackingUrl")) != spec.push_tracking_url:
                figures.url_wrong.append(order_id)
    for order_id, wanted in sorted(numbers.items()):
        bodies = puts.get(order_id, [])
        if not bodies:
            order = store.get_order(order_id)
            if order is None and order_id in gone:
                figures.refused_deleted += 1  # deleted in Ecwid before the push: refused
            elif order is not None and is_cancelled(order):
                figures.refused_cancelled += 1  # cancelled in Ecwid before the push: refused
            else:
                figures.pushes_missing.append(order_id)
            continue
        sent = {n.strip() for n in str(bodies[-1]["trackingNumber"]).split(",")}
        if sent != wanted:
            figures.wrong_numbers.append(order_id)
    figures.pushes_duplicated = sorted(set(figures.pushes_duplicated))
    figures.url_wrong = sorted(set(figures.url_wrong))


def expected_stock(
    engine: Engine, spec: ClientSpec, store: SandboxStore
) -> dict[str, tuple[int, int]]:
    """SKU -> (expected Ecwid quantity, Ecwid quantity now), per the in-flight rules of the
    stock contract: target = max(0, warehouse figure - units of open, stock-holding Ecwid
    orders the figure does not yet account for)."""
    mode = spec.stock_mode
    with Session(engine) as session:
        stock_rows = session.execute(select(NpfStock).where(NpfStock.client == spec.code))
        feed = {r.sku: r for r in stock_rows.scalars()}
        received = dict(
            session.execute(
                select(NpfOrder.ecwid_order_id, NpfOrder.received_at).where(
                    NpfOrder.client == spec.code
                )
            ).all()
        )
        shipped: dict[str, datetime] = {}
        for order_id, at in session.execute(
            select(NpfShipment.ecwid_order_id, NpfShipment.shipped_at).where(
                NpfShipment.client == spec.code
            )
        ).all():
            shipped[order_id] = min(at, shipped.get(order_id, at))
    done = received if mode == "available" else shipped
    inflight: Counter[str] = Counter()
    for order in store.orders():
        if (
            order.get("fulfillmentStatus") in DONE_FULFILMENT
            or order.get("paymentStatus") in RELEASED_PAYMENT
        ):
            continue
        for item in order.get("items", []):
            sku, quantity = (item.get("sku") or "").strip(), item.get("quantity") or 0
            if not sku or quantity <= 0:
                continue
            row = feed.get(sku)
            done_at = done.get(order["id"])
            if row is None or done_at is None or done_at > row.updated_at:
                inflight[sku] += quantity
    result = {}
    for sku, quantity in store.stock_by_sku().items():
        row = feed.get(sku)
        if quantity is None or row is None:
            continue
        figure = row.available if mode == "available" else row.on_hand
        if figure is None:
            continue
        result[sku] = (max(0, figure - inflight[sku]), quantity)
    return result


def check_stock(
    engine: Engine, spec: ClientSpec, store: SandboxStore, figures: ClientFigures
) -> None:
    if spec.stock_mode == "off":
        writes = [e for e in store.write_log if e.path.startswith(("/products", "/batch"))]
        figures.stock_mismatch = [f"stock=off but {len(writes)} catalogue writes"] if writes else []
        return
    pairs = expected_stock(engine, spec, store)
    figures.skus_checked = len(pairs)
    figures.stock_mismatch = [
        f"{sku}: ecwid {got} != expected {want}"
        for sku, (want, got) in sorted(pairs.items())
        if want != got
    ]
