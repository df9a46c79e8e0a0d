"""Parsing of Ecwid query parameters (dates, comma lists, paging), shared by all endpoints.

Every parser raises `ApiError(400, "WRONG_PARAMETER")` with a message naming the parameter,
which is what Ecwid does for malformed values.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from npf_ecwid.sandbox.errors import bad_param

MAX_LIMIT = 100

# Ecwid accepts UNIX seconds and these three date formats (UTC unless a zone is given).
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


def parse_date(name: str, raw: str) -> float:
    """A date parameter as UNIX seconds: `1714541188`, `2024-05-01`, `2024-05-01 05:26:28`,
    or `2024-05-01 05:26:28 +1000`. Dates without a zone are UTC, as Ecwid documents."""
    value = raw.strip()
    try:
        return float(value)
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    raise bad_param(
        f"Invalid value of parameter '{name}': {raw!r}. Use UNIX seconds or "
        "'yyyy-MM-dd', 'yyyy-MM-dd HH:mm:ss', 'yyyy-MM-dd HH:mm:ss Z'"
    )


def opt_date(query: Mapping[str, str], name: str) -> float | None:
    raw = query.get(name)
    return None if raw is None or raw == "" else parse_date(name, raw)


def comma_list(query: Mapping[str, str], name: str) -> tuple[str, ...] | None:
    """`a, b,c` -> ("a", "b", "c"); absent or empty -> None."""
    raw = query.get(name)
    if raw is None:
        return None
    items = tuple(part.strip() for part in raw.split(",") if part.strip())
    return items or None


def checked_values(
    query: Mapping[str, str], name: str, allowed: frozenset[str]
) -> frozenset[str] | None:
    values = comma_list(query, name)
    if values is None:
        return None
    unknown = [value for value in values if value not in allowed]
    if unknown:
        raise bad_param(f"Invalid value of parameter '{name}': {', '.join(unknown)}")
    return frozenset(values)


def int_param(query: Mapping[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise bad_param(f"Parameter '{name}' must be an integer, got {raw!r}") from None


def paging(query: Mapping[str, str]) -> tuple[int, int]:
    """(offset, limit) with Ecwid's rules: limit 1..100 (default 100), offset >= 0."""
    offset = int_param(query, "offset", 0)
    limit = int_param(query, "limit", MAX_LIMIT)
    if limit > MAX_LIMIT:
        raise bad_param(f"Parameter 'limit' must be at most {MAX_LIMIT}, got {limit}")
    if limit < 1:
        raise bad_param(f"Parameter 'limit' must be positive, got {limit}")
    if offset < 0:
        raise bad_param(f"Parameter 'offset' must not be negative, got {offset}")
    return offset, limit


def bool_param(query: Mapping[str, str], name: str, default: bool) -> bool:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise bad_param(f"Parameter '{name}' must be true or false, got {raw!r}")


def envelope(items: list, total: int, offset: int, limit: int) -> dict:
    """Ecwid's search envelope."""
    return {"total": total, "count": len(items), "offset": offset, "limit": limit, "items": items}
