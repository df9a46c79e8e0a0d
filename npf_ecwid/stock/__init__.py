"""Stock reconciliation: warehouse stock -> Ecwid quantities, safely.

`frames` (catalogue and feed as dataframes), `inflight` (sold-but-not-yet-in-the-figure units),
`plan` (the per-SKU decision), `guard` (refuse obviously broken feeds) are pure; `apply`,
`history` and `reconcile` do the I/O. Nothing here imports Prefect.
"""
