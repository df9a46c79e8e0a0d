"""Local midnight, the one definition behind `order_start_date`, `--since` and "today"."""

from __future__ import annotations

from datetime import UTC, date, datetime

from npf_ecwid.local_day import local_midnight, start_of_today
from npf_ecwid.orders.pull import parse_since


def test_a_clients_day_starts_at_its_own_midnight_in_utc() -> None:
    # Melbourne is UTC+11 in March (daylight time) and UTC+10 in July.
    assert local_midnight(date(2026, 3, 1), "Australia/Melbourne") == datetime(
        2026, 2, 28, 13, tzinfo=UTC
    )
    assert local_midnight(date(2026, 7, 1), "Australia/Melbourne") == datetime(
        2026, 6, 30, 14, tzinfo=UTC
    )
    assert parse_since("2026-03-01", "Australia/Melbourne") == local_midnight(
        date(2026, 3, 1), "Australia/Melbourne"
    )


def test_today_is_the_clients_today_not_utcs() -> None:
    # 14:30 UTC on 1 March is already 01:30 on 2 March in Melbourne.
    now = datetime(2026, 3, 1, 14, 30, tzinfo=UTC)
    assert start_of_today(now, "Australia/Melbourne") == datetime(2026, 3, 1, 13, tzinfo=UTC)
    assert start_of_today(now, "UTC") == datetime(2026, 3, 1, tzinfo=UTC)
