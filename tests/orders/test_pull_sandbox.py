"""The pull's library steps against the sandbox over real HTTP (no Prefect): each filter,
what is pushed to Ecwid, paging across 250+ orders, the watermark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from npf_ecwid.config import get_client
from npf_ecwid.connect import open_ecwid
from npf_ecwid.orders.filters import plan_query, start_instant
from npf_ecwid.orders.ports import IntakeBatch
from npf_ecwid.orders.pull import fetch_orders, next_watermark, prepare
from npf_ecwid.settings import get_settings
from npf_ecwid.warehouse.sql_orders import SqlOrderIntake
from tests.orders.served import PullEnv, expected_ids

CANCELLED = {"CANCELLED", "REFUNDED"}


def ships(order: dict[str, Any]) -> bool:
    """Has a line the warehouse must ship (the sandbox's own JSON)."""
    return any(
        i.get("isShippingRequired", True) is not False and not i.get("digital")
        for i in order["items"]
    )


def finished(order: dict[str, Any]) -> bool:
    return order["paymentStatus"] != "INCOMPLETE" and ships(order)


async def pull(env: PullEnv, watermark: datetime | None = None, handed_off=frozenset()):
    client = get_client(get_settings().clients_file, "ACME")
    query = plan_query(client, watermark)
    async with open_ecwid(client) as ecwid:
        fetched = await fetch_orders(client, ecwid, query)
    prepared = prepare(client, fetched, set(handed_off))
    kept = sorted(prepared.frames.orders["ecwid_order_id"])
    quarantined = sorted(
        [q.ecwid_order_id for q in prepared.invalid]
        + [q.ecwid_order_id for q in prepared.unreadable]
    )
    return query, fetched, prepared, sorted(kept + quarantined)


async def test_no_filters_pages_through_every_order(orders_env):
    _, fetched, prepared, ids = await pull(orders_env)
    assert ids == expected_ids(orders_env.store, finished)
    assert len(ids) > 250  # several pages of 100
    assert fetched.frames.orders["ecwid_order_id"].is_unique
    assert orders_env.sandbox.count(status=200, path_prefix="/orders") >= 4
    assert set(fetched.frames.orders["currency"]) == {"AUD"}
    assert prepared.frames.lines["sku"].notna().all()


async def test_prefix_filter_keeps_only_prefixed_ids(orders_env):
    orders_env.configure(order_prefix="ACME-")
    _, _, prepared, ids = await pull(orders_env)
    expected = expected_ids(orders_env.store, lambda o: finished(o) and o["id"].startswith("ACME-"))
    assert ids == expected and 0 < len(expected) < len(expected_ids(orders_env.store, finished))
    assert "id lacks prefix 'ACME-'" in prepared.skipped.values()


async def test_start_date_is_pushed_to_ecwid(orders_env):
    start = (datetime.now(UTC) - timedelta(days=30)).date()
    orders_env.configure(order_start_date=start.isoformat(), timezone="Australia/Melbourne")
    query, fetched, _, ids = await pull(orders_env)
    since = start_instant(start, "Australia/Melbourne").timestamp()
    assert query.created_from is not None
    assert ids == expected_ids(
        orders_env.store, lambda o: finished(o) and o["createTimestamp"] >= since
    )
    created = fetched.frames.orders["ecwid_created_at"]
    assert (created >= datetime.fromtimestamp(since, UTC)).all()  # filtered by Ecwid


async def test_country_filter_and_pickups(orders_env):
    orders_env.configure(countries=["NZ", "GB"])
    _, _, prepared, ids = await pull(orders_env)

    def keep(o: dict[str, Any]) -> bool:
        pickup = o["shippingOption"].get("isPickup")
        return finished(o) and (pickup or o["shippingPerson"].get("countryCode") in {"NZ", "GB"})

    assert ids == expected_ids(orders_env.store, keep)
    orders = prepared.frames.orders
    assert set(orders.loc[~orders["is_pickup"], "country"]) == {"NZ", "GB"}
    assert orders["is_pickup"].any()  # pickups pass a country filter (documented)


async def test_status_filters_pushed_on_first_backfill_only(orders_env):
    orders_env.configure(payment_statuses=["PAID"], fulfillment_statuses=["AWAITING_PROCESSING"])
    query, fetched, _, ids = await pull(orders_env)

    def keep(o: dict[str, Any]) -> bool:
        statuses = (o["paymentStatus"], o["fulfillmentStatus"])
        return ships(o) and statuses == ("PAID", "AWAITING_PROCESSING")

    assert ids == expected_ids(orders_env.store, keep)
    statuses = fetched.frames.orders[["payment_status", "fulfillment_status"]]
    assert set(statuses.itertuples(index=False, name=None)) == {
        ("PAID", "AWAITING_PROCESSING")
    }  # Ecwid did the filtering
    mark = next_watermark(fetched.latest_update, datetime.now(UTC))
    query, fetched, _, _ = await pull(orders_env, watermark=mark, handed_off=ids)
    assert query.payment_statuses == () and query.updated_from == mark - timedelta(minutes=10)


async def test_handed_off_order_that_stopped_matching_is_still_pulled(orders_env):
    orders_env.configure(payment_statuses=["PAID"])
    _, fetched, _, ids = await pull(orders_env)
    mark = next_watermark(fetched.latest_update, datetime.now(UTC))
    refunded = ids[0]
    orders_env.store.edit_order(refunded, {"paymentStatus": "REFUNDED"})
    _, fetched, prepared, _ = await pull(orders_env, watermark=mark, handed_off=ids)
    orders = prepared.frames.orders.set_index("ecwid_order_id")
    assert orders.at[refunded, "payment_status"] == "REFUNDED"
    assert bool(orders.at[refunded, "is_cancelled"])
    assert len(fetched.frames) < 50  # only the overlap window and the edit, not a backfill


async def test_watermark_is_latest_update_capped_at_run_start(orders_env):
    _, fetched, _, _ = await pull(orders_env)
    served = max(o["updateTimestamp"] for o in orders_env.store.orders() if finished(o))
    latest = datetime.fromtimestamp(served, UTC)
    assert fetched.latest_update == latest
    assert next_watermark(fetched.latest_update, datetime.now(UTC) + timedelta(days=1)) == latest
    cap = latest - timedelta(hours=1)
    assert next_watermark(fetched.latest_update, cap) == cap
    assert next_watermark(None, cap) is None


async def test_deletion_history_is_read_and_an_unreadable_entry_is_not_an_order(orders_env):
    from npf_ecwid.orders.deletions import DeletionQuery

    store = orders_env.store
    first, second = (o["id"] for o in store.orders()[:2])
    store.delete_order(first)
    store.delete_order(second)
    store._deleted[1]["date"] = "not a date"  # what a malformed Ecwid answer would look like
    client = get_client(get_settings().clients_file, "ACME")
    async with open_ecwid(client) as ecwid:
        fetched = await fetch_orders(client, ecwid, plan_query(client, None), DeletionQuery())
    assert [d.order_id for d in fetched.deleted] == [first]  # the bad entry is skipped
    assert fetched.unreadable == ()  # ... and never quarantined as an order
    assert orders_env.sandbox.count(status=200, path_prefix="/orders/deleted") == 1


async def test_custom_statuses_mapped_to_cancelled_cancel_the_order_for_the_wms(orders_env):
    """The merchant's custom fulfilment status 1 means "cancelled by phone" for this client:
    an order moved there after hand-off gets `npf_order.cancelled_at`. Status 2 is unmapped
    (open by default) and cancels nothing."""
    orders_env.configure(
        custom_statuses={"CUSTOM_FULFILLMENT_STATUS_1": "cancelled"}, payment_statuses=["PAID"]
    )
    _, fetched, prepared, ids = await pull(orders_env)
    intake = SqlOrderIntake(orders_env.engine)
    now = datetime.now(UTC)
    intake.commit(IntakeBatch("ACME", prepared.frames, [], None, now))
    sql = "SELECT ecwid_order_id FROM npf_order WHERE cancelled_at IS NOT NULL"
    cancelled_before = set(orders_env.rows(sql))
    generated = {o["id"]: o["fulfillmentStatus"] for o in orders_env.store.orders()}
    # The sandbox generates custom statuses too: those mapped to cancelled already count.
    assert {i for (i,) in cancelled_before} >= {
        i for i in ids if generated[i] == "CUSTOM_FULFILLMENT_STATUS_1"
    }
    plain = [i for i in ids if generated[i] == "AWAITING_PROCESSING"]
    mark = next_watermark(fetched.latest_update, now)
    by_phone, other = plain[0], plain[1]
    orders_env.store.edit_order(by_phone, {"fulfillmentStatus": "CUSTOM_FULFILLMENT_STATUS_1"})
    orders_env.store.edit_order(other, {"fulfillmentStatus": "CUSTOM_FULFILLMENT_STATUS_2"})
    _, _, prepared, _ = await pull(orders_env, watermark=mark, handed_off=ids)
    intake.commit(IntakeBatch("ACME", prepared.frames, [], None, now + timedelta(minutes=5)))
    assert set(orders_env.rows(sql)) - cancelled_before == {(by_phone,)}
    assert orders_env.rows(
        "SELECT fulfillment_status FROM npf_order WHERE ecwid_order_id = :i", i=other
    ) == [("CUSTOM_FULFILLMENT_STATUS_2",)]
