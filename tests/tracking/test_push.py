"""The push against the sandbox over real HTTP: plan -> read -> decide -> PUT -> ledger."""

from __future__ import annotations

from npf_ecwid.connect import open_ecwid
from npf_ecwid.tracking.ledger import load_ledger, recorder
from npf_ecwid.tracking.plan import Plan, PushStatus
from npf_ecwid.tracking.prepare import prepare_plan
from npf_ecwid.tracking.push import PushRun, apply_plan
from npf_ecwid.warehouse.files_shipments import FileShipmentSource, inbox_dir
from npf_ecwid.warehouse.sql_orders import SqlOrderIntake
from tests.tracking.conftest import TrackingEnv


async def push(
    env: TrackingEnv, *, dry_run: bool = False, retry_failed: bool = False, attempts: int = 6
) -> tuple[Plan, PushRun]:
    config = env.client()
    source = FileShipmentSource(env.engine, inbox_dir(env.data_dir))
    plan = prepare_plan(
        env.engine, config, source, SqlOrderIntake(env.engine), retry_failed=retry_failed
    )
    options = {"max_attempts": attempts, "backoff_base": 0.01, "backoff_max": 0.05}
    async with open_ecwid(config, env.settings(), **options) as ecwid:
        record = None if dry_run else recorder(env.engine)
        run = await apply_plan(ecwid, plan.pushes, record=record, dry_run=dry_run)
    return plan, run


def statuses(run: PushRun) -> dict[str, str]:
    return {o.ecwid_order_id: o.status for o in run.outcomes}


async def test_shipped_orders_end_shipped_once_and_a_rerun_sends_nothing(tracking_env) -> None:
    env = tracking_env
    ids = env.new_orders(6)
    for n, order_id in enumerate(ids):
        env.ship(order_id, f"33AB{n:04d}", carrier="AusPost")

    _, run = await push(env)
    assert statuses(run) == dict.fromkeys(ids, "pushed")
    for n, order_id in enumerate(ids):
        order = env.store.get_order(order_id)
        assert order["fulfillmentStatus"] == "SHIPPED"
        assert order["trackingNumber"] == f"33AB{n:04d}"
        assert order["trackingUrl"] == f"https://auspost.com.au/mypost/track/details/33AB{n:04d}"
        assert len(order["items"]) > 0  # a PUT without `items` keeps them
    assert env.puts_by_order() == dict.fromkeys(ids, 1)
    assert all("items" not in w.body for w in env.puts())

    plan, run = await push(env)
    assert run.outcomes == [] and plan.up_to_date == 6
    assert len(env.puts()) == 6
    ledger = load_ledger(env.engine, "ACME")
    assert {e.status for e in ledger} == {PushStatus.PUSHED} and len(ledger) == 6


async def test_no_tracking_url_unless_enabled_and_notifications_flag(tracking_env) -> None:
    env = tracking_env
    env.write_clients(push_tracking_url=False, disable_customer_notifications=True)
    [order_id] = env.new_orders(1)
    env.ship(order_id, "CP123", carrier="Couriers Please")
    _, run = await push(env)
    assert statuses(run) == {order_id: "pushed"}
    shipped, restored = env.puts()
    assert shipped.body == {
        "fulfillmentStatus": "SHIPPED",
        "trackingNumber": "CP123",
        "disableAllCustomerNotifications": True,
    }
    assert restored.body == {"disableAllCustomerNotifications": False}
    order = env.store.get_order(order_id)
    assert not order.get("trackingUrl")
    # The flag is stored on the order: after our push it is what the merchant had, so the
    # order's later mails (delivered, refunded) follow the store's settings again.
    assert order["disableAllCustomerNotifications"] is False


async def test_without_the_option_the_flag_is_never_sent(tracking_env) -> None:
    env = tracking_env
    [order_id] = env.new_orders(1)
    env.ship(order_id, "CP124")
    await push(env)
    assert ["disableAllCustomerNotifications" in w.body for w in env.puts()] == [False]
    assert env.store.get_order(order_id)["disableAllCustomerNotifications"] is False


async def test_a_merchant_silenced_order_stays_silenced(tracking_env) -> None:
    env = tracking_env
    env.write_clients(disable_customer_notifications=True)
    [order_id] = env.new_orders(1)
    env.store.edit_order(order_id, {"disableAllCustomerNotifications": True})
    env.ship(order_id, "CP125")
    _, run = await push(env)
    assert statuses(run) == {order_id: "pushed"}
    [write] = env.puts()  # already silenced: nothing to send, nothing to restore
    assert "disableAllCustomerNotifications" not in write.body
    assert env.store.get_order(order_id)["disableAllCustomerNotifications"] is True


async def test_parcels_go_together_and_a_later_parcel_sends_all_numbers(tracking_env) -> None:
    env = tracking_env
    [order_id] = env.new_orders(1)
    env.ship(order_id, "A1", carrier="StarTrack")
    env.ship(order_id, "A2", carrier="StarTrack")
    await push(env)
    assert env.store.get_order(order_id)["trackingNumber"] == "A1, A2"
    assert env.store.get_order(order_id)["trackingUrl"].endswith("/A1")

    env.ship(order_id, "A3", carrier="StarTrack")
    _, run = await push(env)
    assert statuses(run) == {order_id: "pushed"}
    assert env.store.get_order(order_id)["trackingNumber"] == "A1, A2, A3"
    assert [w.body["trackingNumber"] for w in env.puts()] == ["A1, A2", "A1, A2, A3"]
    assert "fulfillmentStatus" not in env.puts()[1].body  # already SHIPPED: status untouched


async def test_a_put_that_landed_unrecorded_is_confirmed_without_resending(tracking_env) -> None:
    env = tracking_env
    [done, todo] = env.new_orders(2)
    env.ship(done, "X1")
    env.ship(todo, "Y1")
    # As if a killed run's PUT reached Ecwid but never reached the ledger:
    env.store.edit_order(done, {"fulfillmentStatus": "SHIPPED", "trackingNumber": "X1"})
    _, run = await push(env)
    assert statuses(run) == {done: "already_shipped", todo: "pushed"}
    assert env.puts_by_order() == {todo: 1}


async def test_deleted_and_cancelled_orders_fail_with_reasons_and_are_held(tracking_env) -> None:
    env = tracking_env
    good, cancelled = env.new_orders(2)
    env.hand_off(["ACME-GONE1"])  # handed off, then deleted in Ecwid
    env.store.edit_order(cancelled, {"paymentStatus": "CANCELLED"})
    for order_id, number in ((good, "G1"), (cancelled, "C1"), ("ACME-GONE1", "D1")):
        env.ship(order_id, number)

    _, run = await push(env)
    assert statuses(run) == {good: "pushed", cancelled: "failed", "ACME-GONE1": "failed"}
    reasons = {o.ecwid_order_id: o.reason for o in run.outcomes}
    assert "404" in reasons["ACME-GONE1"] and "CANCELLED" in reasons[cancelled]
    assert env.puts_by_order() == {good: 1}

    plan, run = await push(env)
    assert run.outcomes == [] and {h.ecwid_order_id for h in plan.held} == {
        cancelled,
        "ACME-GONE1",
    }
    # The operator un-cancels the order and asks for a retry:
    env.store.edit_order(cancelled, {"paymentStatus": "PAID"})
    _, run = await push(env, retry_failed=True)
    assert statuses(run) == {cancelled: "pushed", "ACME-GONE1": "failed"}
    assert env.puts_by_order() == {good: 1, cancelled: 1}


async def test_server_errors_are_retried_on_the_next_run(tracking_env) -> None:
    env = tracking_env
    ids = env.new_orders(3)
    for order_id in ids:
        env.ship(order_id, f"T-{order_id}")
    env.sandbox.faults.fail_rate = 1.0
    _, run = await push(env, attempts=2)
    assert set(statuses(run).values()) == {"error"}
    assert all("5" in (o.reason or "") for o in run.outcomes)
    assert env.puts() == []
    assert {e.status for e in load_ledger(env.engine, "ACME")} == {PushStatus.ERROR}

    env.sandbox.faults.fail_rate = 0.0
    _, run = await push(env)
    assert statuses(run) == dict.fromkeys(ids, "pushed")
    assert env.puts_by_order() == dict.fromkeys(ids, 1)


async def test_dry_run_reads_but_sends_and_records_nothing(tracking_env) -> None:
    env = tracking_env
    [order_id] = env.new_orders(1)
    env.ship(order_id, "DRY1")
    _, run = await push(env, dry_run=True)
    [outcome] = run.outcomes
    assert outcome.status == "would_push"
    assert outcome.body == {
        "fulfillmentStatus": "SHIPPED",
        "trackingNumber": "DRY1",
        "trackingUrl": "https://auspost.com.au/mypost/track/details/DRY1",
    }
    assert env.store.write_log == [] and load_ledger(env.engine, "ACME") == []
    assert env.store.get_order(order_id)["fulfillmentStatus"] == "AWAITING_PROCESSING"


async def test_unknown_orders_are_skipped_not_pushed(tracking_env) -> None:
    env = tracking_env
    stranger = env.store.add_order()["id"]  # in Ecwid, never handed to the warehouse
    env.ship(stranger, "S1")
    plan, run = await push(env)
    assert run.outcomes == [] and [s.ecwid_order_id for s in plan.skipped] == [stranger]
    assert env.store.write_log == []


async def test_a_run_whose_writer_lock_was_taken_over_sends_no_put(tracking_env) -> None:
    """Fenced before every PUT: the old holder (stalled past its expiry) stops; the new one
    pushes every order once."""
    from datetime import UTC, datetime, timedelta

    from npf_ecwid.locks import client_lock

    env = tracking_env
    for n, order_id in enumerate(env.new_orders(3)):
        env.ship(order_id, f"F{n}")
    clock = [datetime.now(UTC)]
    config = env.client()
    source = FileShipmentSource(env.engine, inbox_dir(env.data_dir))
    plan = prepare_plan(env.engine, config, source, SqlOrderIntake(env.engine))
    with client_lock(env.engine, "ACME", "stalled", clock=lambda: clock[0]) as old:
        clock[0] += timedelta(hours=1)
        with client_lock(env.engine, "ACME", "next", clock=lambda: clock[0]):
            async with open_ecwid(config, env.settings()) as ecwid:
                run = await apply_plan(
                    ecwid, plan.pushes, record=recorder(env.engine), check=old.check
                )
    assert run.fatal and "lost the writer lock" in run.fatal
    assert set(statuses(run).values()) == {"not_attempted"} and env.puts() == []
    assert load_ledger(env.engine, "ACME") == []
    _, again = await push(env)
    assert set(statuses(again).values()) == {"pushed"} and len(env.puts()) == 3


async def test_custom_statuses_mapped_to_shipped_or_cancelled(tracking_env) -> None:
    """Custom status 1 is "cancelled by phone" and 2 is "collected by courier" for this
    client: the first refuses the push, the second keeps the merchant's status and only adds
    our numbers; status 3 is unmapped (open) and becomes SHIPPED as usual."""
    env = tracking_env
    env.write_clients()
    with env.clients_file.open("a", encoding="utf-8") as file:
        file.write(
            "[clients.ACME.custom_statuses]\n"
            'CUSTOM_FULFILLMENT_STATUS_1 = "cancelled"\n'
            'CUSTOM_FULFILLMENT_STATUS_2 = "shipped"\n'
        )
    by_phone, collected, plain = env.new_orders(3)
    for order_id, status in (
        (by_phone, "CUSTOM_FULFILLMENT_STATUS_1"),
        (collected, "CUSTOM_FULFILLMENT_STATUS_2"),
        (plain, "CUSTOM_FULFILLMENT_STATUS_3"),
    ):
        env.store.edit_order(order_id, {"fulfillmentStatus": status})
        env.ship(order_id, f"N-{order_id}")
    _, run = await push(env)
    assert statuses(run) == {by_phone: "failed", collected: "pushed", plain: "pushed"}
    reasons = {o.ecwid_order_id: o.reason for o in run.outcomes}
    assert "CUSTOM_FULFILLMENT_STATUS_1, which this client maps to cancelled" in reasons[by_phone]
    assert env.puts_by_order() == {collected: 1, plain: 1}
    assert env.store.get_order(collected)["fulfillmentStatus"] == "CUSTOM_FULFILLMENT_STATUS_2"
    assert env.store.get_order(collected)["trackingNumber"] == f"N-{collected}"
    assert env.store.get_order(plain)["fulfillmentStatus"] == "SHIPPED"
    assert env.store.get_order(by_phone).get("trackingNumber") != f"N-{by_phone}"


async def test_a_refunded_order_is_refused_like_the_warehouse_row_says(tracking_env) -> None:
    """A REFUNDED order was handed to the warehouse cancelled (`npf_order.cancelled_at`): a
    parcel the warehouse still reports for it is refused, not marked shipped in Ecwid (which
    would mail the customer that a refunded order shipped). PARTIALLY_REFUNDED still ships."""
    env = tracking_env
    refunded, partly = env.new_orders(2)
    env.store.edit_order(refunded, {"paymentStatus": "REFUNDED"})
    env.store.edit_order(partly, {"paymentStatus": "PARTIALLY_REFUNDED"})
    for order_id in (refunded, partly):
        env.ship(order_id, f"R-{order_id}")
    _, run = await push(env)
    assert statuses(run) == {refunded: "failed", partly: "pushed"}
    reasons = {o.ecwid_order_id: o.reason for o in run.outcomes}
    assert "order cancelled in Ecwid (paymentStatus REFUNDED)" in str(reasons[refunded])
    assert env.puts_by_order() == {partly: 1}
    assert env.store.get_order(refunded)["fulfillmentStatus"] != "SHIPPED"
