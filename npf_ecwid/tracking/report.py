"""What a run did, as rows for the Prefect table artifact and the CLI, and one line per order."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field

from npf_ecwid.runs import RunStatus
from npf_ecwid.tracking.plan import Plan, Skipped
from npf_ecwid.tracking.push import PushOutcome, PushRun


@dataclass(frozen=True)
class PushReport:
    """What `push-tracking` returns: counts per outcome and one row per order (the artifact's
    table). `status` done or dry_run; locked (another run held the client's writer lock: did
    nothing) or skipped (the token breaker: no call to Ecwid), with the `reason`."""

    client: str
    status: RunStatus
    counts: dict[str, int] = field(default_factory=dict)
    rows: list[dict[str, str]] = field(default_factory=list)
    reason: str | None = None


def outcome_line(outcome: PushOutcome) -> str:
    """One log line per order (no token, no customer data beyond the order id)."""
    line = f"order {outcome.ecwid_order_id}: {outcome.status} [{outcome.tracking_number}]"
    if outcome.body is not None:
        line += f" {json.dumps(outcome.body, sort_keys=True)}"
    return f"{line} - {outcome.reason}" if outcome.reason else line


def _skipped_row(item: Skipped, status: str) -> dict[str, str]:
    return {
        "order": item.ecwid_order_id,
        "tracking_number": item.tracking_number,
        "status": status,
        "reason": item.reason,
        "body": "",
    }


def report_rows(plan: Plan, run: PushRun) -> list[dict[str, str]]:
    """Every order this run touched or could not push: outcomes first (as they happened),
    then skipped shipments. `body` is the PUT sent (or, in a dry run, that would be sent).
    Orders held after an earlier failure are counted in `summary`."""
    rows = [
        {
            "order": o.ecwid_order_id,
            "tracking_number": o.tracking_number,
            "status": o.status,
            "reason": o.reason or "",
            "body": json.dumps(o.body, sort_keys=True) if o.body else "",
        }
        for o in run.outcomes
    ]
    rows += [_skipped_row(item, "skipped") for item in plan.skipped]
    return rows


def summary(plan: Plan, run: PushRun) -> dict[str, int]:
    counts = Counter(o.status for o in run.outcomes)
    return {
        "pushed": counts["pushed"],
        "already_shipped": counts["already_shipped"],
        "failed": counts["failed"],
        "error": counts["error"],
        "would_push": counts["would_push"],
        "not_attempted": counts["not_attempted"],
        "skipped": len(plan.skipped),
        "held": len(plan.held),
        "up_to_date": plan.up_to_date,
    }


def summary_line(client: str, counts: dict[str, int]) -> str:
    shown = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
    return f"tracking push {client}: {shown or 'nothing to do'}"
