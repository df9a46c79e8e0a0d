"""Prefect tasks of the tracking push: plan (DB + inbox), push (Ecwid), report (artifact).

Each wraps library calls in `npf_ecwid.tracking`; no Prefect retries here: the Ecwid client
retries reads on 429/5xx/timeouts, `push.put_checked` reads an order back before re-sending a
PUT whose answer was lost, and an order whose push still fails is recorded and retried on the
next scheduled run.
"""

from __future__ import annotations

import asyncio

from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from npf_ecwid.breaker.guard import open_breaker
from npf_ecwid.config import ClientConfig, get_client, load_clients
from npf_ecwid.connect import open_ecwid
from npf_ecwid.db import get_engine
from npf_ecwid.locks import Fence, no_check
from npf_ecwid.runs import RunStatus
from npf_ecwid.settings import get_settings
from npf_ecwid.tracking.ledger import recorder
from npf_ecwid.tracking.plan import Plan
from npf_ecwid.tracking.prepare import prepare_plan
from npf_ecwid.tracking.push import PushOutcome, PushRun, apply_plan
from npf_ecwid.tracking.report import (
    PushReport,
    outcome_line,
    report_rows,
    summary,
    summary_line,
)
from npf_ecwid.wiring import open_order_intake, open_shipment_source
from runtime.artifacts import artifact_key
from runtime.secrets import load_secret


@task(name="plan-tracking", cache_policy=NO_CACHE)
def plan_tracking(client: str, retry_failed: bool = False) -> tuple[ClientConfig, Plan]:
    """Read the shipments feed (`NPF_WAREHOUSE`: the inbox into `npf_shipment`, or the table
    alone), then plan one update per order."""
    settings = get_settings()
    config = get_client(settings.clients_file, client)
    engine = get_engine()
    clients = set(load_clients(settings.clients_file))
    source = open_shipment_source(settings, clients)
    orders = open_order_intake(settings, engine)
    plan = prepare_plan(engine, config, source, orders, retry_failed=retry_failed)
    logger = get_run_logger()
    for report in source.reports:
        logger.info("shipments file %s: %d new parcel(s)", report.name, report.added)
        for problem in report.problems:
            logger.warning("shipments file %s: %s", report.name, problem)
    for note in source.waiting:
        logger.info("shipments file %s", note)
    logger.info(
        "%d order(s) to push, %d up to date, %d held after failures, %d skipped",
        len(plan.pushes),
        plan.up_to_date,
        len(plan.held),
        len(plan.skipped),
    )
    return config, plan


@task(name="push-tracking-updates", cache_policy=NO_CACHE)
def push_updates(
    config: ClientConfig, plan: Plan, dry_run: bool = False, fence: Fence | None = None
) -> PushRun:
    """Read, decide and PUT each planned order concurrently (one event loop, bounded
    concurrency, within the token's rate limit), recording each outcome in the ledger as it
    happens (not in a dry run). One task, not one per order: a task run costs 5-10 ms.
    `fence` (the client's writer lock) is checked before every PUT."""
    logger = get_run_logger()
    engine = get_engine()

    def log(outcome: PushOutcome) -> None:
        level = 30 if outcome.status in ("failed", "error", "not_attempted") else 20
        logger.log(level, outcome_line(outcome))

    async def push() -> PushRun:
        async with open_ecwid(config, load_secret=load_secret, breaker=open_breaker()) as ecwid:
            run = await apply_plan(
                ecwid,
                plan.pushes,
                record=None if dry_run else recorder(engine, flow_run.name),
                dry_run=dry_run,
                on_outcome=log,
                check=fence.check if fence is not None else no_check,
            )
            logger.info("Ecwid requests: %s", ecwid.stats.as_dict())
        return run

    return asyncio.run(push())


@task(name="report-tracking", cache_policy=NO_CACHE)
def report_tracking(client: str, plan: Plan, run: PushRun, dry_run: bool = False) -> PushReport:
    """The run's table artifact (key `tracking-push-<client>`): pushed, already shipped, failed
    with reason, errors, skipped; plus the summary line."""
    status = RunStatus.DRY_RUN if dry_run else RunStatus.DONE
    report = PushReport(client, status, summary(plan, run), report_rows(plan, run))
    title = "DRY RUN - nothing sent. " if dry_run else ""
    create_table_artifact(
        key=artifact_key("tracking-push", client),
        table=report.rows,
        description=f"{title}{summary_line(client, report.counts)}",
    )
    get_run_logger().info(summary_line(client, report.counts))
    return report
