"""Shipments dropped as CSV files (the file-drop adapter of `ShipmentSource`).

Inbox: `NPF_DATA_DIR/inbox/shipments/*.csv`, columns as `npf_shipment`: `client`,
`ecwid_order_id`, `tracking_number` (required), `carrier`, `tracking_url`, `shipped_at`
(ISO 8601; without an offset it is taken as UTC), one row per parcel; rows for several clients
may share a file. Files in a client's own folder, `NPF_DATA_DIR/inbox/shipments/<CLIENT>/`
(like the stock inbox), may leave out the `client` column.

Files follow the drop protocol (`npf_ecwid.warehouse.drop`, docs/warehouse-files.md): written
under a temp name and renamed; too recent files wait for a later run; symlinks and other
non-regular files are never read (moved to `failed/`, the link itself, never its target).

Each file's good rows are added to `npf_shipment` (idempotently) before the file is moved aside,
so a crash in between only means the file is read again. Files then go to `processed/`, or to
`failed/` with a `<name>.reasons.txt` beside them. A file that is incomplete or malformed as a
whole (no newline after the last row, not UTF-8, a row with a different number of cells than
the header, missing columns) adds nothing. Otherwise a bad row (empty required value, unknown
client, a value longer than its `npf_shipment` column, bad URL or time) is left out and
reported, and the file's good rows are added. Reasons give row numbers and columns, never
the file's values. Reading then goes through the table, so a second parcel arriving in a later
file is pushed together with the first.
"""

from __future__ import annotations

from collections.abc import Callable, Set
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError

from npf_ecwid.tables import NpfShipment
from npf_ecwid.tracking.ports import FileReport
from npf_ecwid.warehouse.drop import (
    MIN_AGE,
    DropError,
    move_aside,
    parse_table,
    read_drop,
    ready_files,
)
from npf_ecwid.warehouse.sql_shipments import SqlShipmentSource, add_shipments

REQUIRED = ("client", "ecwid_order_id", "tracking_number")
OPTIONAL = ("carrier", "tracking_url", "shipped_at")


def inbox_dir(data_dir: Path) -> Path:
    return data_dir / "inbox" / "shipments"


def _parse_time(text: str) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _limits() -> dict[str, int]:
    """Column -> the `npf_shipment` column's length, checked before the database is asked (an
    over-long id must be this row's problem, not a failed insert for the whole inbox)."""
    columns = NpfShipment.__table__.columns  # type: ignore[attr-defined]
    return {c.name: c.type.length for c in columns if getattr(c.type, "length", None)}


def _row(
    line: int, raw: dict[str, str], clients: Set[str] | None, owner: str | None
) -> NpfShipment:
    values = {key: (raw.get(key) or "").strip() for key in (*REQUIRED, *OPTIONAL)}
    for key, length in _limits().items():
        if len(values.get(key, "")) > length:
            raise ValueError(f"row {line}: {key} longer than {length} characters")
    if owner is not None:
        values["client"] = values["client"] or owner
        if values["client"] != owner:
            raise ValueError(f"row {line}: client is not {owner} (this is {owner}'s folder)")
    missing = [key for key in REQUIRED if not values[key]]
    if missing:
        raise ValueError(f"row {line}: empty {', '.join(missing)}")
    if clients is not None and values["client"] not in clients:
        raise ValueError(f"row {line}: client not in the clients file")
    if "," in values["tracking_number"]:
        raise ValueError(f"row {line}: one tracking number per row (found ',')")
    url = values["tracking_url"]
    if url and not url.startswith(("https://", "http://")):
        raise ValueError(f"row {line}: tracking_url is not an http(s) URL")
    try:
        shipped_at = _parse_time(values["shipped_at"])
    except ValueError:
        raise ValueError(f"row {line}: shipped_at is not ISO 8601") from None
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
    """Good rows and problems. Raises DropError when the file as a whole is unusable."""
    table = parse_table(read_drop(path).text)
    needed = REQUIRED if owner is None else tuple(n for n in REQUIRED if n != "client")
    absent = [name for name in needed if name not in table.header]
    if absent:
        raise DropError(f"header lacks column(s) {', '.join(absent)}")
    rows, problems = [], []
    for line, raw in table.rows:
        try:
            rows.append(_row(line, raw, clients, owner))
        except ValueError as error:
            problems.append(str(error))
    return rows, problems


def ingest_inbox(
    engine: Engine,
    inbox: Path,
    clients: Set[str] | None = None,
    owner: str | None = None,
    *,
    min_age: timedelta = MIN_AGE,
    now: datetime | None = None,
) -> tuple[list[FileReport], list[str]]:
    """Add every ready CSV in `inbox` to `npf_shipment` and move it aside. Never raises for bad
    content: each file's problems are in its report (and its reasons file); one file's failure
    (even the database refusing its rows) never stops the next. `owner`: the client whose own
    folder `inbox` is (rows default to it, other clients' rows are refused). Also returns a
    note per file left for a later run (too recent)."""
    listing = ready_files(inbox, min_age=min_age, now=now)
    reports = []
    for path, reason in listing.refused:
        reports.append(FileReport(path.name, problems=[f"whole file: {reason}"]))
        if path.is_symlink():  # moves the link itself; its target is never touched
            with suppress(FileNotFoundError):
                move_aside(path, inbox / "failed", [f"whole file: {reason}"])
    for path in listing.ready:
        report = FileReport(path.name)
        try:
            rows, report.problems = _read(path, clients, owner)
        except DropError as error:
            rows, report.problems = [], [f"whole file: {error}"]
        except FileNotFoundError:
            continue  # another run took it
        try:
            report.added = add_shipments(engine, rows)
        except (DataError, IntegrityError) as error:  # a limit the checks above did not know
            # Only the file's data: a database that is down fails the run, the file stays.
            report.problems = [
                f"whole file: the database refused its rows ({type(error.orig).__name__})"
            ]
        target = inbox / ("failed" if report.problems else "processed")
        with suppress(FileNotFoundError):  # another run moved it after reading the same rows
            move_aside(path, target, report.problems)
        reports.append(report)
    return reports, listing.waiting


class FileShipmentSource:
    """Reads the inbox into `npf_shipment`, then answers from the table. After `shipments`,
    `reports` has one entry per file handled and `waiting` a note per file left for later."""

    def __init__(
        self,
        engine: Engine,
        inbox: Path,
        clients: Set[str] | None = None,
        *,
        min_age: timedelta = MIN_AGE,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.engine, self.inbox, self.clients = engine, inbox, clients
        self.min_age, self.clock = min_age, clock
        self.reports: list[FileReport] = []
        self.waiting: list[str] = []

    def shipments(self, client: str) -> pd.DataFrame:
        self.reports, self.waiting = [], []
        now = self.clock() if self.clock else None
        for folder, owner in ((self.inbox, None), (self.inbox / client, client)):
            if folder.is_dir():
                reports, waiting = ingest_inbox(
                    self.engine, folder, self.clients, owner, min_age=self.min_age, now=now
                )
                self.reports += reports
                self.waiting += waiting
        return SqlShipmentSource(self.engine).shipments(client)
