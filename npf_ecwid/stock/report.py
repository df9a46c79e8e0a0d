"""The reconciliation report: one row per SKU (sku, ecwid before, warehouse figure, in-flight,
target, pushed, action) plus totals; written as CSV under `NPF_DATA_DIR/reports/`.

`action` in the report is the plan's action refined by what happened: `pushed`, `would_push`
(dry run), `refused` (guard), `failed`, `uncertain` (answer lost; the next run recomputes), or
the plan's own reason (`unchanged`, `unlimited`, `not_in_warehouse`, ...). `pushed` is the delta
that surely landed (0 otherwise).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd

from npf_ecwid.csv_cells import safe_frame
from npf_ecwid.stock.apply import PushOutcome
from npf_ecwid.stock.history import PushState
from npf_ecwid.stock.plan import Action

REPORT_COLUMNS = [
    "sku",
    "product_id",
    "combination_id",
    "ecwid_before",
    "warehouse_figure",
    "inflight",
    "target",
    "pushed",
    "action",
]
_STATE_ACTION = {
    PushState.APPLIED: "pushed",
    PushState.FAILED: "failed",
    PushState.UNCERTAIN: "uncertain",
    PushState.INTENT: "uncertain",
}


def report_frame(
    plan: pd.DataFrame, outcome: PushOutcome | None, *, held: str | None
) -> pd.DataFrame:
    """`held` is `"would_push"` (dry run) or `"refused"` (guard) when nothing was sent."""
    report = plan.copy()
    adjust = report["action"] == Action.ADJUST.value
    report["pushed"] = 0
    if held is not None:
        report.loc[adjust, "action"] = held
    elif outcome is not None:
        states = report["sku"].map(lambda sku: outcome.states.get(sku)).where(adjust)
        report.loc[adjust, "action"] = states[adjust].map(lambda s: _STATE_ACTION.get(s, "failed"))
        applied = adjust & (report["action"] == "pushed")
        report.loc[applied, "pushed"] = report.loc[applied, "delta"]
    report["pushed"] = report["pushed"].astype("int64")
    return report[REPORT_COLUMNS]


def totals(report: pd.DataFrame) -> dict[str, int]:
    """Counts per action, plus SKUs, units pushed (sum of |delta|) and in-flight units."""
    counts = report["action"].value_counts()
    result = {f"action_{name}": int(n) for name, n in counts.items()}
    result["skus"] = len(report)
    result["pushed_items"] = int((report["action"] == "pushed").sum())
    result["pushed_units_abs"] = int(report["pushed"].abs().sum())
    result["inflight_units"] = int(report["inflight"].sum())
    return result


def write_csv(
    report: pd.DataFrame, reports_dir: Path, client: str, run_id: str, at: datetime
) -> Path:
    """`reports/stock-<CLIENT>-<YYYYmmddTHHMMSSZ>-<run8>.csv`; returns the path. Text cells
    that a spreadsheet would run as a formula are neutralised (`npf_ecwid.csv_cells`)."""
    reports_dir.mkdir(parents=True, exist_ok=True)
    path = reports_dir / f"stock-{client}-{at:%Y%m%dT%H%M%SZ}-{run_id[:8]}.csv"
    safe_frame(report).to_csv(path, index=False)
    return path
