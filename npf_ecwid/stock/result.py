"""What `sync-stock` returns (see `npf_ecwid.runs`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from npf_ecwid.runs import RunStatus


@dataclass(frozen=True)
class StockSyncResult:
    """`message`: the run's one-line summary, or why it was skipped / who holds the lock.
    `csv`: the report written for the run; `totals`: its counts (`stock.report.totals`)."""

    client: str
    status: RunStatus
    message: str | None = None
    csv: Path | None = None
    totals: dict[str, int] = field(default_factory=dict)
