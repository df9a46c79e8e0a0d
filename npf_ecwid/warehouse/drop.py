"""The warehouse file drop protocol: which files in an inbox are complete, and reading them safely.

What the WMS does (docs/warehouse-files.md):
1. write the file under a name the reader ignores (starting with `.`, or ending in `.tmp` or
   `.part`), in the same folder;
2. end every row with a newline, the last one too;
3. rename it to its final `*.csv` name (atomic within one file system).

What the reader (`ready_files`, `read_drop`) guarantees, so a half-written or hostile file is
never taken for data:
- only regular files named `*.csv` are read; symlinks and other kinds (FIFOs, folders) are
  never opened (`lstat` + `O_NOFOLLOW`) and are reported;
- a file modified less than `min_age` ago may still be being written: it is left for a later
  run (reported, not an error). The clock is injectable; nothing sleeps;
- a file that changes while it is read, is not UTF-8, is empty, is larger than `MAX_BYTES`, or
  whose last row has no newline (truncated) is refused whole (`DropError`);
- reasons name the file, row numbers and columns, never the file's contents (a mis-dropped
  `.env` must not end up in a reasons file or a log).
"""

from __future__ import annotations

import csv
import io
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

MIN_AGE = timedelta(seconds=5)
MAX_BYTES = 200 * 1024 * 1024
TEMP_SUFFIXES = (".tmp", ".part")
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class DropError(ValueError):
    """The file as a whole cannot be used; the message says why (never what it contains)."""


@dataclass
class Listing:
    """An inbox folder's `*.csv` files: `ready` ones (oldest first), and a note for each file
    that was passed over (`waiting`: too recent, read later; `refused`: never read)."""

    ready: list[Path] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    refused: list[tuple[Path, str]] = field(default_factory=list)


def _is_candidate(name: str) -> bool:
    return name.endswith(".csv") and not name.startswith(".")


def ready_files(
    folder: Path, *, min_age: timedelta = MIN_AGE, now: datetime | None = None
) -> Listing:
    """List `folder`'s drop files by the protocol above, without opening any of them."""
    listing = Listing()
    if not folder.is_dir():
        return listing
    now = now or utc_now()
    found: list[tuple[float, str, Path]] = []
    for entry in os.scandir(folder):
        if not _is_candidate(entry.name) or entry.name.endswith(TEMP_SUFFIXES):
            continue
        path = Path(entry.path)
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            listing.refused.append((path, "a symbolic link: not read (drop regular files)"))
        elif not stat.S_ISREG(info.st_mode):
            listing.refused.append((path, "not a regular file: not read"))
        else:
            age = now - datetime.fromtimestamp(info.st_mtime, tz=UTC)
            if age < min_age:
                listing.waiting.append(
                    f"{entry.name}: modified {max(age.total_seconds(), 0):.0f} s ago, may still "
                    f"be being written; read once it is {min_age.total_seconds():.0f} s old"
                )
            else:
                found.append((info.st_mtime, entry.name, path))
    listing.ready = [path for _, _, path in sorted(found)]
    return listing


@dataclass(frozen=True)
class Drop:
    """A drop file read whole: its text and the modification time it had when read."""

    path: Path
    text: str
    modified: datetime


def read_drop(path: Path) -> Drop:
    """Read a regular file without following links; refuse it whole when incomplete."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise DropError(f"cannot be opened ({error.strerror})") from None
    with os.fdopen(fd, "rb") as handle:
        before = os.fstat(handle.fileno())
        if not stat.S_ISREG(before.st_mode):
            raise DropError("not a regular file: not read")
        if before.st_size > MAX_BYTES:
            raise DropError(f"larger than {MAX_BYTES} bytes")
        data = handle.read(MAX_BYTES + 1)
        after = os.fstat(handle.fileno())
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or len(
        data
    ) != after.st_size:
        raise DropError("changed while being read (still being written?); read on a later run")
    if not data:
        raise DropError("empty file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise DropError(f"not UTF-8 text (line {line}, byte {error.start})") from None
    if not text.endswith(("\n", "\r")):
        raise DropError(
            "last row has no newline: the file is incomplete (truncated, or written in place "
            "instead of renamed into the folder)"
        )
    return Drop(path, text, datetime.fromtimestamp(after.st_mtime, tz=UTC))


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (line number, cells by column)


def parse_table(text: str) -> Table:
    """CSV text -> header and rows; refuses (DropError) a row with a different number of cells
    than the header (a cut or merged row), or a quoted field left open. Blank lines are
    skipped. Line numbers are 1-based, the header being line 1."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip() for name in next(reader, [])]
        rows: list[tuple[int, dict[str, str]]] = []
        wrong: list[int] = []
        for cells in reader:
            if not cells or cells == [""]:
                continue
            if len(cells) != len(header):
                wrong.append(reader.line_num)
                continue
            rows.append((reader.line_num, dict(zip(header, cells, strict=True))))
    except csv.Error as error:
        raise DropError(f"not valid CSV near line {reader.line_num} ({error})") from None
    if not header or header == [""]:
        raise DropError("no header row")
    if wrong:
        shown = ", ".join(map(str, wrong[:10])) + (" ..." if len(wrong) > 10 else "")
        raise DropError(
            f"row(s) {shown}: number of cells differs from the header's {len(header)} "
            "(cut or merged rows: the file is not trusted)"
        )
    return Table(header, rows)


def move_aside(path: Path, folder: Path, reasons: list[str] | None = None) -> Path:
    """Move `path` (a regular file or a link itself, never its target) into `folder`, under a
    new name if one is taken; with `reasons`, write `<name>.reasons.txt` beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists() or target.is_symlink():
        stamp = utc_now().strftime("%Y%m%dT%H%M%S%f")
        target = folder / f"{path.stem}.{stamp}{path.suffix}"
    path.replace(target)
    if reasons:
        note = target.with_name(target.name + ".reasons.txt")
        note.write_text("\n".join(reasons) + "\n", encoding="utf-8")
    return target
