"""Ecwid date strings parse to the same aware UTC instant on the fast path as with strptime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from npf_ecwid.ecwid.models import format_ecwid_datetime, parse_ecwid_datetime

instants = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timedelta(minutes=m))


@given(instants, offsets)
def test_fast_path_matches_strptime(instant: datetime, offset: timedelta) -> None:
    text = instant.astimezone(timezone(offset)).strftime("%Y-%m-%d %H:%M:%S %z")
    parsed = parse_ecwid_datetime(text)
    assert parsed == datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z")
    assert parsed.tzinfo == UTC
    assert format_ecwid_datetime(parsed) == instant.strftime("%Y-%m-%d %H:%M:%S +0000")


def test_other_shapes_still_parse_or_pass_through() -> None:
    assert parse_ecwid_datetime(1714541188) == datetime(2024, 5, 1, 5, 26, 28, tzinfo=UTC)
    assert parse_ecwid_datetime("2024-05-01T05:26:28+00:00") == "2024-05-01T05:26:28+00:00"
    assert parse_ecwid_datetime("2024-05-01 05:26:28 +zzzz") == "2024-05-01 05:26:28 +zzzz"
