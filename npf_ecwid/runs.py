"""How a flow run ended, in one vocabulary shared by every flow's result.

Each flow returns one frozen dataclass beside its domain (`orders.pull.PullSummary`,
`tracking.report.PushReport`, `stock.result.StockSyncResult`) with a `status` of this type;
failures are not a status: the flow raises (Prefect marks the run Failed, the alert fires).
"""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    DONE = "done"  # did its work (possibly nothing was new)
    DRY_RUN = "dry_run"  # read and compared, wrote nothing to Ecwid
    SKIPPED = "skipped"  # did not call Ecwid: the token breaker refuses, or stock = off
    LOCKED = "locked"  # another run holds the client's writer lock and does the work
