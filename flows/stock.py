"""`sync-stock`: the warehouse's stock figure to Ecwid quantities, once a day per client."""

from __future__ import annotations

import time
from contextlib import ExitStack

from prefect import flow, get_run_logger
from prefect.utilities.annotations import quote

from flows.orders import sync_orders
from npf_ecwid.config import StockMode
from npf_ecwid.locks import LockHeld
from npf_ecwid.runs import RunStatus
from npf_ecwid.stock.result import StockSyncResult
from runtime.alerts import alert_on_failure
from runtime.lanes import client_lane
from runtime.skip import skipped
from runtime.writer import writer_lock
from tasks.breaker import token_gate
from tasks.stock import load_stock_client, reconcile_stock, report_stock

# Passes after one that left deltas failed or uncertain (5xx, lost answers): without them, 93
# stock syncs of the 200-cycle chaos run (10% 5xx, 2% lost answers) ended incomplete.
SETTLE_PASSES = 3
# Before re-reading, give a write whose answer was lost time to land at Ecwid.
SETTLE_PAUSE_SECONDS = 2.0


class StockSyncError(RuntimeError):
    """The guard refused the push, or some deltas failed/are uncertain (the next run fixes
    them by re-reading); the message says which."""


def final_order_pull(client: str) -> None:
    """Run the order pull as a subflow so the warehouse has the latest orders.

    Its failure does not stop the stock sync: orders the warehouse has not received count as in
    flight anyway, so the figures err on the safe side.
    """
    state = sync_orders(client, return_state=True)
    if state.is_failed() or state.is_crashed():
        get_run_logger().warning(
            "final order pull for %s failed (%s); continuing", client, state.message
        )


@flow(name="sync-stock", flow_run_name="sync-stock-{client}", on_failure=[alert_on_failure])
def sync_stock(client: str, dry_run: bool = False, force: bool = False) -> StockSyncResult:
    """Final order pull -> whole catalogue vs warehouse feed -> only the differences, as deltas.

    `dry_run` pulls no orders and writes nothing to Ecwid (the report still shows what would be
    pushed). `force` overrides the safety guard (stale, empty or mass-zero feed). Clients with
    `stock = "off"` are skipped. Fails with the reason when refused, incomplete or when the
    writer lock was lost mid-run. Runs inside the client's lane (`runtime.lanes`), so it never
    overlaps another flow of the same client, and holds the client's writer lock
    (`runtime.writer`): a second run that gets past the lane ends at once with status `locked`.
    Skipped, without a request, while Ecwid's refusal of the token stands (`npf_ecwid.breaker`).
    """
    config = load_stock_client(client)
    if config.stock is StockMode.OFF:
        get_run_logger().info("client %s has stock = off; nothing to do", client)
        return StockSyncResult(client, RunStatus.SKIPPED, "stock = off")
    # One run per client at a time (the pull below re-enters the lane).
    with client_lane(client), ExitStack() as stack:
        # Before and after the final pull: a pull that has just been refused leaves the rest of
        # the run nothing to do with this token (and must not be one more request with it).
        reason = token_gate(config)
        if reason is None:
            try:
                fence = stack.enter_context(writer_lock(client, dry_run=dry_run))
            except LockHeld as held:
                get_run_logger().warning("%s; this run did nothing", held)
                return StockSyncResult(client, RunStatus.LOCKED, str(held))
            if not dry_run:
                final_order_pull(client)
                reason = token_gate(config)
        if reason is not None:
            outcome = StockSyncResult(client, RunStatus.SKIPPED, reason)
            return skipped(reason, outcome)  # type: ignore[return-value]
        result = reconcile_stock(config, dry_run, force, quote(fence))
        for _ in range(SETTLE_PASSES):
            if result.status != "incomplete":
                break
            # Settle them now, the way a re-run would: re-read Ecwid and recompute (never
            # resend). A daily sync that fails leaves the store's stock stale for a day.
            get_run_logger().warning("%s; re-reading Ecwid now", result.message())
            time.sleep(SETTLE_PAUSE_SECONDS)
            result = reconcile_stock(config, dry_run, force, quote(fence))
        report_stock(quote(result))
    if result.status in ("refused", "incomplete", "lock_lost"):
        raise StockSyncError(result.message())
    return StockSyncResult(
        client, RunStatus(result.status), result.message(), result.csv_path, result.totals
    )
