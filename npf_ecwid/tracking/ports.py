"""The shipments port: what the tracking push needs from a warehouse, whatever its medium.

Adapters in `npf_ecwid.warehouse` (`sql_shipments.SqlShipmentSource`: the `npf_shipment`
table; `files_shipments.FileShipmentSource`: CSVs in the shipments inbox, added to that
table first); `npf_ecwid.wiring.open_shipment_source` chooses one (`NPF_WAREHOUSE`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

# The columns of a shipments frame, one row per parcel (as `npf_shipment`).
SHIPMENT_COLUMNS = [
    "client",
    "ecwid_order_id",
    "tracking_number",
    "carrier",
    "tracking_url",
    "shipped_at",
]


@dataclass
class FileReport:
    """What one shipments file gave: parcels added, and why rows (or the file) were refused."""

    name: str
    added: int = 0
    problems: list[str] = field(default_factory=list)  # "row 3: ..." or a whole-file reason


class ShipmentSource(Protocol):
    """Where the warehouse says what it shipped."""

    # After `shipments`: one report per file read and a note per file left for a later run
    # (both empty for a source that reads no files), for the run's log.
    reports: list[FileReport]
    waiting: list[str]

    def shipments(self, client: str) -> pd.DataFrame:
        """Every parcel recorded for `client` (not only new ones: planning needs all parcels of
        an order to send them together), with `SHIPMENT_COLUMNS` plus the row `id`."""
        ...
