"""Shipments dropped as CSV files (the file-drop adapter of `ShipmentSource`).

Inbox: `NPF_DATA_DIR/inbox/shipments/*.csv`, columns as `npf_shipment`: `client`,
`ecwid_order_id`, `tracking_number` (required), `carrier`, `tracking_url`, `shipped_at`
(ISO 8601; without an offset it is taken as UTC), one row per parcel; rows for several clients
may share a file. Files in a client's own folder, `NPF_DATA_DIR/inbox/shipments/<CLIENT>/`
(like the stock inbox), may leave out the `client` column.

Each file's good rows are added to `npf_shipment` (idempotently) before the file is moved aside,
so a crash in between only means the file is read again. Files then go to `processed/`, or to
`failed/` with a `<name>.reasons.txt` beside them when some rows (or the whole file) could not be
used; bad rows never stop the good rows of the same file. Reading then goes through the table,
so a second parcel arriving in a later file is pushed together with the first.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Set
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from npf_ecwid.warehouse.sql_shipments import SqlShipmentSource, add_shipments
from npf_ecwid.warehouse.tables import NpfShipment

REQUIRED = ("client", "ecwid_order_id", "tracking_number")
OPTIONAL = ("carrier", "tracking_url", "shipped_at")


def inbox_dir(data_dir: Path) -> Path:
    return data_dir / "inbox" / "shipments"


@dataclass
class FileReport:
    name: str
    added: int = 0
    problems: list[str] = field(default_factory=list)  # "row 3: ..." or a whole-file reason


def _parse_time(text: str) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _row(
    line: int, raw: dict[str, str | None], clients: Set[str] | None, owner: str | None
) -> NpfShipment:
    values = {key: (raw.get(key) or "").strip() for key in (*REQUIRED, *OPTIONAL)}
    if owner is not None:
        values["client"] = values["client"] or owner
        if values["client"] != owner:
            raise ValueError(f"row {line}: client {values['client']!r} in {owner}'s folder")
    missing = [key for key in REQUIRED if not values[key]]
    if missing:
        raise ValueError(f"row {line}: empty {', '.join(missing)}")
    if clients is not None and values["client"] not in clients:
        raise ValueError(f"row {line}: unknown client {values['client']!r}")
    if "," in values["tracking_number"]:
        raise ValueError(f"row {line}: one tracking number per row (found ',')")
    url = values["tracking_url"]
    if url and not url.startswith(("https://", "http://")):
        raise ValueError(f"row {line}: tracking_url {url!r} is not an http(s) URL")
    try:
        shipped_at = _parse_time(values["shipped_at"])
    except ValueError:
        raise ValueError(
            f"row {line}: shipped_at {values['shipped_at']!r} is not ISO 8601"
        ) from None
    return NpfShipment(
        client=values["client"],
        ecwid_order_id=values["ecwid_order_id"],
        tracking_number=values["tracking_number"],
        carrier=values["carrier"] or None,
        tracking_url=url or None,
        shipped_at=shipped_at,
    )


def _read(
    path: Path, clients: Set[str] | None, owner: str | None
) -> tuple[list[NpfShipment], list[str]]:
    """Good rows and problems. Raises ValueError when the file as a whole is unusable."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in reader.fieldnames or []]
    reader.fieldnames = header
    needed = REQUIRED if owner is None else tuple(n for n in REQUIRED if n != "client")
    absent = [name for name in needed if name not in header]
    if absent:
        raise ValueError(f"missing column(s) {', '.join(absent)} (header: {','.join(header)})")
    rows, problems = [], []
    for line, raw in enumerate(reader, start=2):
        try:
            rows.append(_row(line, raw, clients, owner))
        except ValueError as error:
            problems.append(str(error))
    return rows, problems


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        target = folder / f"{path.stem}.{stamp}{path.suffix}"
    path.replace(target)
    return target


def ingest_inbox(
    engine: Engine, inbox: Path, clients: Set[str] | None = None, owner: str | None = None
) -> list[FileReport]:
    """Add every CSV in `inbox` to `npf_shipment` and move it aside. Never raises for bad
    content: each file's problems are in its report (and its reasons file). `owner`: the
    client whose own folder `inbox` is (rows default to it, other clients' rows are refused)."""
    reports = []
    for path in sorted(inbox.glob("*.csv")):
        report = FileReport(path.name)
        try:
            rows, report.problems = _read(path, clients, owner)
        except (ValueError, csv.Error) as error:
            rows, report.problems = [], [f"whole file: {error}"]
        except FileNotFoundError:
            continue  # another run took it
        report.added = add_shipments(engine, rows)
        try:
            if report.problems:
                target = _move(path, inbox / "failed")
                reasons = target.with_name(target.name + ".reasons.txt")
                reasons.write_text("\n".join(report.problems) + "\n", encoding="utf-8")
            else:
                _move(path, inbox / "processed")
        except FileNotFoundError:
            pass  # another run moved it after reading the same rows (idempotent)
        reports.append(report)
    return reports


class FileShipmentSource:
    """Reads the inbox into `npf_shipment`, then answers from the table."""

    def __init__(self, engine: Engine, inbox: Path, clients: Set[str] | None = None) -> None:
        self.engine, self.inbox, self.clients = engine, inbox, clients
        self.reports: list[FileReport] = []

    def shipments(self, client: str) -> pd.DataFrame:
        self.reports = []
        for folder, owner in ((self.inbox, None), (self.inbox / client, client)):
            if folder.is_dir():
                self.reports += ingest_inbox(self.engine, folder, self.clients, owner)
        return SqlShipmentSource(self.engine).shipments(client)
