"""Prefect tasks of the stock sync: reconcile (reads, decision, push) and report (artifact).

No task retries: the Ecwid client already retries what is safe to retry, and an inventory delta
must not be resent blindly; the next run re-reads and recomputes instead.
"""

from __future__ import annotations

import asyncio

import pandas as pd
from prefect import get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from npf_ecwid.breaker.guard import open_breaker
from npf_ecwid.config import ClientConfig, get_client
from npf_ecwid.connect import open_ecwid
from npf_ecwid.db import get_engine
from npf_ecwid.locks import Fence, no_check
from npf_ecwid.settings import get_settings
from npf_ecwid.stock.reconcile import StockRunResult, reconcile
from npf_ecwid.stock.report import REPORT_COLUMNS
from npf_ecwid.wiring import open_stock_source
from runtime.artifacts import artifact_key
from runtime.secrets import load_secret

ARTIFACT_ROWS = 2000  # the CSV has every row; the artifact keeps the UI responsive


@task(name="load-stock-client", cache_policy=NO_CACHE)
def load_stock_client(client: str) -> ClientConfig:
    return get_client(get_settings().clients_file, client)


async def _reconcile(
    config: ClientConfig, dry_run: bool, force: bool, fence: Fence | None
) -> StockRunResult:
    settings = get_settings()
    engine = get_engine()
    source = open_stock_source(config.code, settings)
    async with open_ecwid(
        config, settings, load_secret=load_secret, breaker=open_breaker(settings)
    ) as ecwid:
        result = await reconcile(
            config,
            ecwid,
            source,
            engine,
            reports_dir=settings.data_dir / "reports",
            dry_run=dry_run,
            force=force,
            check=fence.check if fence is not None else no_check,
        )
        get_run_logger().info("Ecwid requests: %s", ecwid.stats.as_dict())
    return result


@task(name="reconcile-stock", cache_policy=NO_CACHE)
def reconcile_stock(
    config: ClientConfig, dry_run: bool, force: bool, fence: Fence | None = None
) -> StockRunResult:
    """Feed + whole catalogue + open orders -> plan -> guard -> deltas (not on a dry run or a
    refusal), all recorded in `stock_run`/`stock_push`; the report CSV under `reports/`.
    `fence` (the client's writer lock) is checked before every delta is sent.

    A sync task owning its event loop: the flow stays a plain sync function (CLI, deployments),
    and the Ecwid client's concurrency lives entirely inside this one step."""
    logger = get_run_logger()
    result = asyncio.run(_reconcile(config, dry_run, force, fence))
    for problem in result.feed_problems:
        logger.warning("stock feed %s: %s", result.feed_origin, problem)
    for problem in result.ecwid_problems:
        logger.warning("client %s: %s", result.client, problem)
    if result.earlier_unresolved:
        logger.warning(
            "%d delta(s) of an earlier interrupted run had no known outcome; this run re-read "
            "Ecwid and recomputed them instead of resending",
            result.earlier_unresolved,
        )
    if result.verdict.forced:
        logger.warning("guard overridden by --force: %s", result.verdict.summary())
    logger.info(result.message())
    return result


def _cell(value: object) -> object:
    return None if pd.isna(value) else value  # type: ignore[call-overload]


@task(name="report-stock", cache_policy=NO_CACHE)
def report_stock(result: StockRunResult) -> None:
    """Table artifact `stock-sync-<client>`: every row that is not `unchanged` (up to
    ARTIFACT_ROWS), then a TOTAL row; totals and the CSV path in the description."""
    report = result.report
    shown = report.loc[report["action"] != "unchanged"].head(ARTIFACT_ROWS)
    columns = [c for c in REPORT_COLUMNS if c not in ("product_id", "combination_id")]
    rows = [{c: _cell(v) for c, v in zip(columns, r, strict=True)} for r in shown[columns].values]
    rows.append(
        {
            "sku": "TOTAL",
            "ecwid_before": int(report["ecwid_before"].fillna(0).sum()),
            "warehouse_figure": int(report["warehouse_figure"].fillna(0).sum()),
            "inflight": int(report["inflight"].sum()),
            "target": int(report["target"].fillna(0).sum()),
            "pushed": int(report["pushed"].sum()),
            "action": f"{len(report)} SKUs",
        }
    )
    counts = ", ".join(f"{k}={v}" for k, v in sorted(result.totals.items()))
    description = (
        f"{result.message()}\n\nTotals: {counts}\n\nFeed: {result.feed_origin} "
        f"({len(result.feed_problems)} bad rows). CSV: {result.csv_path}. "
        f"Rows shown: {len(shown)} of {len(report)} (unchanged rows only in the CSV)."
    )
    if result.ecwid_problems:
        description += "\n\nUnreadable in Ecwid: " + "; ".join(result.ecwid_problems[:20])
    create_table_artifact(
        key=artifact_key("stock-sync", result.client),
        table=rows,
        description=description,
    )
