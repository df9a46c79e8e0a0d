"""One stock reconciliation for one client, as steps a flow (or a benchmark) can call in order:

1. `read_feed`: the warehouse feed (a `StockSource` port; `npf_ecwid.wiring` picks the SQL table
   or the file drop) as a dataframe, plus bad-row messages;
2. `read_ecwid`: the whole catalogue, *then* the open orders (this order errs on the safe side:
   an order placed between the two reads is counted in flight and also already taken from the
   quantity we read, so we undersell it once rather than resell it), then their hand-offs.
   Open orders that do not parse still count (`stock.unreadable`: counted from their raw lines,
   or the sync is refused when even those cannot be read); products that do not parse are
   reported and left untouched;
3. `decide`: plan + guard (pure);
4. `push`: the deltas, recorded in the history (skipped on a dry run or a refusal).

`reconcile` chains them for callers without Prefect (benchmark, tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from npf_ecwid.config import ClientConfig, StatusMeaning, StockMode
from npf_ecwid.ecwid.client import EcwidClient, OrderQuery
from npf_ecwid.locks import NOT_SENT, WriteCheck, no_check
from npf_ecwid.stock.apply import BATCH_MIN, PushOutcome, push_changes
from npf_ecwid.stock.frames import catalogue_units, feed_frame
from npf_ecwid.stock.guard import GuardVerdict, check_guard
from npf_ecwid.stock.handoffs import read_handoffs
from npf_ecwid.stock.history import finish_run, settle_unresolved, start_run, unresolved_pushes
from npf_ecwid.stock.inflight import OPEN_FULFILMENT, inflight_units, order_lines
from npf_ecwid.stock.plan import build_plan, changes
from npf_ecwid.stock.ports import StockSource
from npf_ecwid.stock.report import report_frame, totals, write_csv
from npf_ecwid.stock.unreadable import unreadable_open_orders


@dataclass
class Feed:
    frame: pd.DataFrame
    origin: str
    problems: list[str] = field(default_factory=list)


@dataclass
class EcwidSide:
    units: pd.DataFrame
    lines: pd.DataFrame
    handoffs: pd.DataFrame
    products: int
    open_orders: int
    problems: list[str] = field(default_factory=list)  # unreadable orders/products, reported
    refusals: list[str] = field(default_factory=list)  # unreadable orders we cannot count


@dataclass
class Decision:
    plan: pd.DataFrame
    verdict: GuardVerdict


def read_feed(source: StockSource, client: str) -> Feed:
    feed = source.read_stock(client)
    return Feed(frame=feed_frame(feed.levels), origin=feed.origin, problems=list(feed.problems))


async def read_ecwid(
    ecwid: EcwidClient, engine: Engine, client: str, done_custom: frozenset[str] = frozenset()
) -> EcwidSide:
    """`done_custom`: the client's custom statuses mapped to shipped/cancelled (no stock held).
    Open orders that did not parse have no status to map: they count in flight."""
    unreadable_items = ecwid.stats.unreadable
    before_products = len(unreadable_items)
    products = await ecwid.search_products()
    bad_products = [
        f"unreadable product {r.item_id or f'at position {r.position}'} left untouched: {r.reason}"
        for r in unreadable_items[before_products:]
    ]
    before_orders = len(unreadable_items)
    orders = await ecwid.search_orders(OrderQuery(fulfillment_statuses=OPEN_FULFILMENT))
    unreadable = unreadable_open_orders(unreadable_items[before_orders:], (o.id for o in orders))
    parsed = order_lines(orders, done_custom)
    lines = (
        pd.concat([parsed, unreadable.lines], ignore_index=True)
        if len(unreadable.lines)
        else parsed
    )
    handoffs = read_handoffs(engine, client, lines["order_id"])
    return EcwidSide(
        units=catalogue_units(products),
        lines=lines,
        handoffs=handoffs,
        products=len(products),
        open_orders=int(lines["order_id"].nunique()),
        problems=bad_products + unreadable.messages,
        refusals=unreadable.uncountable,
    )


def decide(
    client: ClientConfig, feed: Feed, side: EcwidSide, *, now: datetime, force: bool
) -> Decision:
    mode = StockMode(client.stock)
    inflight = inflight_units(side.lines, side.handoffs, feed.frame, mode)
    plan = build_plan(side.units, feed.frame, inflight, mode)
    verdict = check_guard(client, feed.frame, plan, now=now, force=force, refusals=side.refusals)
    return Decision(plan=plan, verdict=verdict)


def now_utc() -> datetime:
    return datetime.now(UTC)


@dataclass
class StockRunResult:
    """What one run did; `status` is `done`, `dry_run`, `refused`, `incomplete` or
    `lock_lost` (another run took the client's writer lock over; deltas not sent)."""

    run_id: str
    client: str
    status: str
    report: pd.DataFrame
    totals: dict[str, int]
    verdict: GuardVerdict
    feed_origin: str
    feed_problems: list[str]
    earlier_unresolved: int
    csv_path: Path | None = None
    ecwid_problems: list[str] = field(default_factory=list)  # unreadable orders/products
    lock_lost: int = 0

    def message(self) -> str:
        if self.status == "refused":
            return f"stock sync for {self.client} refused: {self.verdict.summary()}"
        if self.status == "incomplete":
            return (
                f"stock sync for {self.client}: {self.totals.get('action_failed', 0)} failed and "
                f"{self.totals.get('action_uncertain', 0)} uncertain deltas; a re-run re-reads "
                "Ecwid and recomputes them"
            )
        if self.status == "lock_lost":
            return (
                f"stock sync for {self.client}: lost the writer lock to another run; "
                f"{self.lock_lost} delta(s) not sent (that run recomputes them)"
            )
        pushed = self.totals.get("pushed_items", 0)
        would = self.totals.get("action_would_push", 0)
        return f"stock sync for {self.client}: {self.status}, pushed {pushed}, would push {would}"


async def reconcile(
    client: ClientConfig,
    ecwid: EcwidClient,
    source: StockSource,
    engine: Engine,
    *,
    reports_dir: Path | None,
    dry_run: bool = False,
    force: bool = False,
    now: datetime | None = None,
    batch_min: int | None = BATCH_MIN,
    check: WriteCheck = no_check,
) -> StockRunResult:
    """One full run (steps 1-4), recorded in `stock_run`; the report CSV goes to `reports_dir`.

    Never raises for a refusal or failed deltas: the result says so (callers turn it into a
    failed run). A dry run writes nothing to Ecwid and no push rows. `check` is the writer
    lock's fencing check (`npf_ecwid.locks.Fence.check`): run first (raising `LockLost` before
    anything is recorded) and before every write; deltas it holds back make `lock_lost`.
    """
    check()
    now = now or now_utc()
    run_id = start_run(engine, client.code, str(client.stock), dry_run=dry_run, forced=force)
    earlier = unresolved_pushes(engine, client.code)
    feed = read_feed(source, client.code)
    done_custom = client.statuses_meaning(StatusMeaning.SHIPPED, StatusMeaning.CANCELLED)
    side = await read_ecwid(ecwid, engine, client.code, done_custom)
    decision = decide(client, feed, side, now=now, force=force)
    outcome: PushOutcome | None = None
    held: str | None = None
    lost = 0
    if not decision.verdict.allowed:
        held, status = "refused", "refused"
    elif dry_run:
        held, status = "would_push", "dry_run"
    else:
        if earlier:
            # The fresh read above already reflects whatever of those deltas landed.
            settle_unresolved(engine, client.code, run_id)
        outcome = await push_changes(
            ecwid,
            engine,
            run_id=run_id,
            client=client.code,
            changes=changes(decision.plan),
            batch_min=batch_min,
            check=check,
        )
        bad = len(outcome.states) - sum(1 for s in outcome.states.values() if s == "applied")
        lost = sum(1 for e in outcome.errors.values() if e.startswith(NOT_SENT))
        status = "lock_lost" if lost else "incomplete" if bad else "done"
    report = report_frame(decision.plan, outcome, held=held)
    result = StockRunResult(
        run_id=run_id,
        client=client.code,
        status=status,
        report=report,
        totals=totals(report),
        verdict=decision.verdict,
        feed_origin=feed.origin,
        feed_problems=feed.problems,
        earlier_unresolved=earlier,
        ecwid_problems=side.problems,
        lock_lost=lost,
    )
    if reports_dir is not None:
        result.csv_path = write_csv(report, reports_dir, client.code, run_id, now)
    summary = {
        **result.totals,
        "reasons": decision.verdict.reasons,
        "forced": decision.verdict.forced,
        "feed_origin": feed.origin,
        "feed_problems": len(feed.problems),
        "ecwid_problems": side.problems,
        "earlier_unresolved": earlier,
        "csv": str(result.csv_path) if result.csv_path else None,
    }
    finish_run(engine, run_id, status, summary)
    return result
