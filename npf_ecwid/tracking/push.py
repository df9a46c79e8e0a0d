"""Apply a plan: read the orders from Ecwid, decide, PUT, record — concurrently.

Exactly-once, as Ecwid's write log sees it, rests on three things:
1. a push is recorded in the ledger right after Ecwid answers (per order, not per batch), so a
   run killed mid-batch keeps everything confirmed so far;
2. every planned order is read from Ecwid before any PUT (`decide`): numbers already there mean
   a PUT from a killed run landed, and the order is recorded `already_shipped` with no PUT;
3. a PUT is never retried blindly: after an answer that may hide an applied write (5xx,
   timeout, dropped connection) the order is read back and the PUT is sent again only if our
   numbers are not there (`put_checked`), so a lost answer never becomes a second write.
Two runs for one client at the same moment could both PUT; the flow holds the client's lane
(`runtime.lanes.client_lane`, a Prefect global concurrency limit of 1) and, because a lane can be
bypassed, the client's writer lock in the database (`npf_ecwid.locks`), whose fencing check runs
before every PUT (`check`): a run that lost the lock stops, sending nothing more.

Customer mails: Ecwid mails "Order shipped" when the PUT sets SHIPPED or a tracking number, if
the merchant enabled that mail. A client with `disable_customer_notifications` wants that mail
silenced; the only per-order switch is `disableAllCustomerNotifications`, and it is a stored
order flag that silences every LATER customer mail too (delivered, refund, a merchant's status
change; docs/ecwid/api-reference/rest-api/orders/update-order.md). So the push sends it with
the tracking PUT only if the order does not already have it, then sets it back to false with a
second PUT (`decide.restore_notifications`), leaving later mails as the merchant set them.
Trade-off: such clients cost two PUTs (and two `order.updated` webhooks) per order, and a run
killed between the two PUTs leaves that one order silenced (the re-run finds it shipped and
cannot tell our flag from a merchant's); a failed restore is reported on the order's outcome.
Without the option nothing is sent and the store's mail settings apply.

Reads are batched (`GET /orders?ids=`, up to 100 per request), so pushing N orders costs about
N PUTs + N/100 reads, and all of it goes through the client's per-token rate limiter.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from npf_ecwid.ecwid.api import EcwidAPI
from npf_ecwid.ecwid.client import OrderQuery
from npf_ecwid.ecwid.errors import (
    EcwidAuthError,
    EcwidBadRequest,
    EcwidError,
    EcwidNotFound,
    EcwidWriteUncertain,
)
from npf_ecwid.ecwid.models import Order, OrderUpdate
from npf_ecwid.locks import WriteCheck, may_write, no_check
from npf_ecwid.tracking.decide import (
    AlreadyShipped,
    Decision,
    Put,
    Refuse,
    decide,
    restore_notifications,
)
from npf_ecwid.tracking.plan import PlannedPush, PushStatus

WOULD_PUSH = "would_push"  # dry run: what a real run would have sent
NOT_ATTEMPTED = "not_attempted"  # stopped early (the token was refused)
READ_BATCH = 100  # ids per `GET /orders?ids=` (Ecwid's page size)
READ_BATCH_CHARS = 1500  # keep the query string short

_LEDGER_STATUSES = frozenset(s.value for s in PushStatus)

Recorder = Callable[[PlannedPush, PushStatus, str | None], PushStatus]


@dataclass(frozen=True)
class PushOutcome:
    ecwid_order_id: str
    tracking_number: str
    tracking_url: str | None
    status: str  # a PushStatus value, WOULD_PUSH or NOT_ATTEMPTED
    reason: str | None = None
    body: dict[str, Any] | None = None  # the PUT body sent (or that would be sent)


@dataclass
class PushRun:
    outcomes: list[PushOutcome] = field(default_factory=list)
    fatal: str | None = None  # set when the run stopped early (token refused)


def _batches(ids: list[str]) -> Iterable[list[str]]:
    batch: list[str] = []
    for order_id in ids:
        if batch and (
            len(batch) == READ_BATCH or len(",".join([*batch, order_id])) > READ_BATCH_CHARS
        ):
            yield batch
            batch = []
        batch.append(order_id)
    if batch:
        yield batch


async def read_orders(ecwid: EcwidAPI, ids: list[str]) -> dict[str, Order]:
    """The orders Ecwid returns for `ids`, by id. A batch that fails is left out (its orders
    are then read one by one); auth errors propagate."""

    async def one(batch: list[str]) -> list[Order]:
        try:
            return await ecwid.search_orders(OrderQuery(ids=batch))
        except EcwidAuthError:
            raise
        except EcwidError:
            return []

    found = await asyncio.gather(*(one(batch) for batch in _batches(ids)))
    wanted = set(ids)
    return {o.id: o for orders in found for o in orders if o.id in wanted}


async def _current(ecwid: EcwidAPI, order_id: str, known: dict[str, Order]) -> Order | None:
    if order_id in known:
        return known[order_id]
    try:
        return await ecwid.get_order(order_id)
    except EcwidNotFound:
        return None


PUT_ATTEMPTS = 4
RECHECK_DELAY_S = 0.5


class WriterLockLost(Exception):
    """The fencing check refused a PUT: another run holds the client's writer lock now."""


async def put_checked(
    ecwid: EcwidAPI, push: PlannedPush, update: OrderUpdate, check: WriteCheck = no_check
) -> Decision:
    """Send `update` until Ecwid confirms it, re-reading the order after every uncertain
    answer. Returns `Put` when our PUT was answered, `AlreadyShipped` when the read-back shows
    an unanswered PUT landed (ours: it counts as pushed), `Refuse` when the order changed
    meanwhile (e.g. cancelled). Raises `EcwidWriteUncertain` after `PUT_ATTEMPTS`, and
    `WriterLockLost` (nothing sent) when `check` (the writer lock's fence) refuses a PUT."""
    for attempt in range(1, PUT_ATTEMPTS + 1):
        refused = await may_write(check)
        if refused:
            raise WriterLockLost(refused)
        try:
            await ecwid.update_order(push.ecwid_order_id, update, blind_retry=False)
            return Put(update)
        except EcwidWriteUncertain:
            if attempt == PUT_ATTEMPTS:
                raise
        await asyncio.sleep(RECHECK_DELAY_S * attempt)
        decision = decide(push, await ecwid.get_order(push.ecwid_order_id))
        if not isinstance(decision, Put):
            return decision
        update = decision.update
    raise AssertionError("unreachable")


async def _restore(ecwid: EcwidAPI, push: PlannedPush) -> str | None:
    """Set the order's `disableAllCustomerNotifications` back to false after a silenced push
    (see the module docstring). Absolute value: retried freely. None when done, else why not
    (the tracking push itself stands)."""
    try:
        await ecwid.update_order(push.ecwid_order_id, restore_notifications())
    except EcwidError as error:  # a refused token too: the tracking push already stands
        return (
            "tracking pushed, but setting disableAllCustomerNotifications back to false "
            f"failed ({error}): later customer mails for this order stay off until it is reset"
        )
    return None


async def apply_plan(
    ecwid: EcwidAPI,
    pushes: list[PlannedPush],
    *,
    record: Recorder | None,
    dry_run: bool = False,
    concurrency: int = 32,
    on_outcome: Callable[[PushOutcome], None] | None = None,
    check: WriteCheck = no_check,
) -> PushRun:
    """Push every planned order once; never raises for one order's problem.

    `record` stores each attempt's outcome (the ledger) and is not called in a dry run, which
    reads Ecwid but sends no write. `on_outcome` sees each outcome as it happens (log lines).
    `check` runs before every PUT; when it refuses (lost writer lock) the run stops like on a
    refused token: `fatal` set, the rest `not_attempted` (left for the lock's holder).
    """
    run = PushRun()
    try:
        known = await read_orders(ecwid, [p.ecwid_order_id for p in pushes]) if pushes else {}
    except EcwidAuthError as error:
        run.fatal, known = f"Ecwid refused the token: {error}", {}
    gate = asyncio.Semaphore(concurrency)

    def finish(push: PlannedPush, status: str, reason: str | None, body: Any = None) -> None:
        if record is not None and status in _LEDGER_STATUSES:
            status = record(push, PushStatus(status), reason).value
        outcome = PushOutcome(
            push.ecwid_order_id, push.tracking_number, push.tracking_url, status, reason, body
        )
        run.outcomes.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)

    async def one(push: PlannedPush) -> None:
        async with gate:
            if run.fatal:
                finish(push, NOT_ATTEMPTED, run.fatal)
                return
            body = None
            try:
                decision = decide(push, await _current(ecwid, push.ecwid_order_id, known))
                if isinstance(decision, Put):
                    body = decision.update.to_body()
                    if dry_run:
                        finish(push, WOULD_PUSH, None, body)
                        return
                    sent = await put_checked(ecwid, push, decision.update, check)
                    if isinstance(sent, Refuse):
                        status, reason = PushStatus.FAILED, sent.reason
                    else:
                        status, reason = PushStatus.PUSHED, None
                        if decision.update.disable_all_customer_notifications:
                            reason = await _restore(ecwid, push)
                elif isinstance(decision, AlreadyShipped):
                    status, reason = PushStatus.ALREADY_SHIPPED, decision.reason
                else:
                    assert isinstance(decision, Refuse)
                    status, reason = PushStatus.FAILED, decision.reason
            except EcwidAuthError as error:
                run.fatal = f"Ecwid refused the token: {error}"
                finish(push, NOT_ATTEMPTED, run.fatal)
                return
            except WriterLockLost as error:
                run.fatal = run.fatal or str(error)
                finish(push, NOT_ATTEMPTED, run.fatal)
                return
            except EcwidNotFound:
                status, reason = PushStatus.FAILED, "order not found in Ecwid (404: deleted?)"
            except EcwidBadRequest as error:
                status, reason = PushStatus.FAILED, f"Ecwid refused the update: {error}"
            except EcwidError as error:  # 5xx, 429, timeouts, unreadable answers: try again
                status, reason = PushStatus.ERROR, str(error)
            finish(push, status.value, reason, body)

    await asyncio.gather(*(one(push) for push in pushes))
    return run
