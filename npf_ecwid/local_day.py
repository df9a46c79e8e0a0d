"""Local midnight in a client's time zone: one definition for every "from this day on".

Used for `order_start_date` (Ecwid's `createdFrom`), `--since YYYY-MM-DD` and the operator
view's "handed off today". A date means the client's day, not UTC's: an Australian store's
1 March starts on 28 February in UTC. Results are aware UTC datetimes, as everything past the
edge is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


def local_midnight(day: date, zone: str | ZoneInfo) -> datetime:
    """The first instant of `day` in `zone`, as aware UTC (on a day that starts with a DST jump,
    the wall clock's 00:00 is read with `fold=0`, as `zoneinfo` does)."""
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def start_of_today(now: datetime, zone: str | ZoneInfo) -> datetime:
    """Local midnight of the day `now` (aware) falls on in `zone`, as aware UTC."""
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    return local_midnight(now.astimezone(tz).date(), tz)
