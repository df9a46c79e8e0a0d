"""`push-tracking`: the warehouse's shipments back to Ecwid, each exactly once."""

from __future__ import annotations

from contextlib import ExitStack

from prefect import flow, get_run_logger
from prefect.utilities.annotations import quote

from npf_ecwid.config import get_client
from npf_ecwid.locks import LockHeld
from npf_ecwid.runs import RunStatus
from npf_ecwid.settings import get_settings
from npf_ecwid.tracking.push import PushRun
from npf_ecwid.tracking.report import PushReport
from runtime.alerts import alert_on_failure
from runtime.lanes import client_lane
from runtime.skip import skipped
from runtime.writer import writer_lock
from tasks.breaker import token_gate
from tasks.tracking import plan_tracking, push_updates, report_tracking


class TrackingPushError(RuntimeError):
    """The run stopped early (e.g. Ecwid refused the token); what was pushed stays recorded."""


@flow(name="push-tracking", flow_run_name="push-tracking-{client}", on_failure=[alert_on_failure])
def push_tracking(client: str, dry_run: bool = False, retry_failed: bool = False) -> PushReport:
    """Plan (inbox + npf_shipment + ledger) -> push concurrently -> table artifact.

    `dry_run` reads Ecwid and shows what would be sent, sending and recording nothing.
    `retry_failed` pushes again orders recorded as failed (deleted/cancelled in Ecwid, or given
    up after repeated errors). Returns the counts and rows of the run's artifact.
    Holds the client's lane, so no other run of this client's flows (and so no second push of
    the same order) overlaps it, and the client's writer lock (`runtime.writer`): a run that gets
    past the lane while another holds the lock ends at once (Completed, status `locked`, the
    reason says who holds it); one that loses the lock mid-run stops before its next PUT and fails.
    Skipped, without a request (nothing planned or recorded), while Ecwid's refusal of the
    token stands (`npf_ecwid.breaker`).
    """
    with client_lane(client), ExitStack() as stack:
        reason = token_gate(get_client(get_settings().clients_file, client))
        if reason is not None:
            report = PushReport(client, RunStatus.SKIPPED, reason=reason)
            return skipped(reason, report)  # type: ignore[return-value]
        try:
            fence = stack.enter_context(writer_lock(client, dry_run=dry_run))
        except LockHeld as held:
            get_run_logger().warning("%s; this run did nothing", held)
            return PushReport(client, RunStatus.LOCKED, reason=str(held))
        config, plan = plan_tracking(client, retry_failed)
        # Most runs have nothing to push: no task then (each task run is ~3 events and rows
        # in the Prefect server, which is what limits how many clients one machine serves).
        run = push_updates(config, plan, dry_run, quote(fence)) if plan.pushes else PushRun()
        report = report_tracking(client, plan, run, dry_run)
    if run.fatal:
        raise TrackingPushError(run.fatal)
    return report
