"""`StockSource` over a file drop: the newest complete stock CSV in the client's inbox folder.

Folder: `NPF_DATA_DIR/inbox/stock/<CLIENT>/`, files `*.csv` with a header row
`sku,on_hand,available[,updated_at]` (`available` may be empty; `updated_at` ISO 8601, naive =
UTC; without the column every row gets the file's modification time). Files follow the drop
protocol (`npf_ecwid.warehouse.drop`, docs/warehouse-files.md): written under a temp name and
renamed into the folder, every row newline-terminated.

The newest file by modification time that is *complete and clean* wins. A file with any
problem is never used, not even in part: incomplete or malformed as a whole (no newline after
the last row, not UTF-8, a row with a different number of cells than the header: a truncated
`B,12` from `B,1234,1200` must not become on hand 12), or a bad row (empty SKU, a quantity
that is not an integer or is beyond +-`MAX_UNITS`, a bad time, a SKU listed twice). Such a
file is moved to `failed/` with `<name>.reasons.txt` (row numbers and columns, never its
values) and the next newest file is considered; the guard then judges that file's age. Files
too recent to be surely complete wait for a later run. Older good files are left for the WMS
side to tidy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import ValidationError

from npf_ecwid.stock.ports import StockFeed, StockLevel
from npf_ecwid.validation_text import describe_validation
from npf_ecwid.warehouse import drop

REQUIRED = ("sku", "on_hand", "available")


def stock_inbox(data_dir: Path, client: str) -> Path:
    return data_dir / "inbox" / "stock" / client


def _row_level(row: dict[str, str], file_time: datetime) -> StockLevel:
    available = (row.get("available") or "").strip()
    updated = (row.get("updated_at") or "").strip()
    return StockLevel.model_validate(
        {
            "sku": row.get("sku") or "",
            "on_hand": (row.get("on_hand") or "").strip(),
            "available": available or None,
            "updated_at": updated or file_time,
        }
    )


def read_stock_csv(path: Path) -> StockFeed:
    """Parse one stock CSV; never raises for bad content. `problems` empty = usable; otherwise
    the file must not be used (see the module docstring)."""
    feed = StockFeed(origin=str(path))
    try:
        dropped = drop.read_drop(path)
        table = drop.parse_table(dropped.text)
    except drop.DropError as error:
        feed.problems.append(f"{path.name}: {error}")
        return feed
    missing = [name for name in REQUIRED if name not in table.header]
    if missing:
        feed.problems.append(f"{path.name}: header lacks {', '.join(missing)}")
        return feed
    lines: dict[str, list[int]] = defaultdict(list)
    for line, row in table.rows:
        try:
            level = _row_level(row, dropped.modified)
        except ValidationError as error:
            where = describe_validation(error, None, top="(row)")
            feed.problems.append(f"{path.name} line {line}: {where}")
            continue
        lines[level.sku].append(line)
        feed.levels.append(level)
    for rows in lines.values():
        if len(rows) > 1:
            feed.problems.append(
                f"{path.name} lines {', '.join(map(str, rows))}: the same SKU {len(rows)} times"
            )
    return feed


class FileStockSource:
    """Reads the newest complete CSV in `NPF_DATA_DIR/inbox/stock/<CLIENT>/`; none = an empty
    feed (which the guard refuses). `problems` lists every file passed over and why."""

    def __init__(
        self,
        data_dir: Path,
        *,
        min_age: timedelta = drop.MIN_AGE,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._data_dir = data_dir
        self._min_age, self._clock = min_age, clock

    def read_stock(self, client: str) -> StockFeed:
        folder = stock_inbox(self._data_dir, client)
        now = self._clock() if self._clock else None
        listing = drop.ready_files(folder, min_age=self._min_age, now=now)
        passed: list[str] = [f"{path.name}: {reason}" for path, reason in listing.refused]
        passed += [f"newer file waiting: {note}" for note in listing.waiting]
        for path in reversed(listing.ready):  # newest first
            feed = read_stock_csv(path)
            if not feed.problems:
                feed.problems = passed
                return feed
            more = len(feed.problems) - 5
            shown = "; ".join(feed.problems[:5]) + (f"; and {more} more" if more > 0 else "")
            passed.append(f"{path.name} not used, moved to failed/: {shown}")
            with suppress(FileNotFoundError):  # another run moved it
                drop.move_aside(path, folder / "failed", feed.problems)
        return StockFeed(origin=str(folder), problems=[*passed, f"no usable stock CSV in {folder}"])
