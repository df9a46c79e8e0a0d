"""`StockSource` over a file drop: the newest stock CSV in the client's inbox folder.

Folder: `NPF_DATA_DIR/inbox/stock/<CLIENT>/`, files `*.csv` with a header row
`sku,on_hand,available[,updated_at]` (`available` may be empty; `updated_at` ISO 8601, naive =
UTC; without the column every row gets the file's modification time). The newest file by
modification time wins; older files are left for the WMS side to tidy.

Bad rows (missing SKU, non-integer quantity, bad time) are reported with their line number and
skipped; a SKU listed twice is reported and dropped altogether rather than guessed.
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from npf_ecwid.stock.source import StockFeed, StockLevel

REQUIRED = ("sku", "on_hand", "available")


def stock_inbox(data_dir: Path, client: str) -> Path:
    return data_dir / "inbox" / "stock" / client


def newest_csv(folder: Path) -> Path | None:
    files = [p for p in folder.glob("*.csv") if p.is_file()] if folder.is_dir() else []
    return max(files, key=lambda p: (p.stat().st_mtime, p.name), default=None)


def _row_level(row: dict[str, str | None], file_time: datetime) -> StockLevel:
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
    """Parse one stock CSV; never raises for bad content, only reports it."""
    feed = StockFeed(origin=str(path))
    file_time = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [name.strip() for name in reader.fieldnames or []]
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            feed.problems.append(f"{path.name}: header lacks {', '.join(missing)}")
            return feed
        reader.fieldnames = header
        levels: list[tuple[int, StockLevel]] = []
        for row in reader:
            try:
                levels.append((reader.line_num, _row_level(row, file_time)))
            except ValidationError as error:
                where = ", ".join(
                    f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()
                )
                feed.problems.append(f"{path.name} line {reader.line_num}: {where}")
    counts = Counter(level.sku for _, level in levels)
    for line, level in levels:
        if counts[level.sku] > 1:
            feed.problems.append(
                f"{path.name} line {line}: SKU {level.sku!r} appears {counts[level.sku]} times; "
                "all its rows skipped"
            )
        else:
            feed.levels.append(level)
    return feed


class FileStockSource:
    """Reads the newest CSV in `NPF_DATA_DIR/inbox/stock/<CLIENT>/`; no file = an empty feed
    (which the guard refuses)."""

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir

    def read_stock(self, client: str) -> StockFeed:
        folder = stock_inbox(self._data_dir, client)
        path = newest_csv(folder)
        if path is None:
            return StockFeed(origin=str(folder), problems=[f"no stock CSV in {folder}"])
        return read_stock_csv(path)
