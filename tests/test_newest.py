"""`newest_by_id`: the one rule for an item seen twice."""

from __future__ import annotations

from dataclasses import dataclass

from npf_ecwid.newest import newest_by_id


@dataclass(frozen=True)
class Item:
    id: str
    update_timestamp: int | None
    label: str = ""


def test_newer_stamp_wins_at_the_first_seen_position_ties_and_stamps_beat_none() -> None:
    items = [
        Item("A", 5, "a-new"),
        Item("B", None, "b-unstamped"),
        Item("A", 3, "a-old"),
        Item("C", 1, "c-first"),
        Item("B", 2, "b-stamped"),
        Item("C", 1, "c-later"),
        Item("B", None, "b-unstamped-again"),
    ]
    assert [i.label for i in newest_by_id(items)] == ["a-new", "b-stamped", "c-later"]


def test_a_custom_key_and_stamp() -> None:
    rows = [("x", 2), ("y", 1), ("x", 9), ("x", 4)]
    kept = newest_by_id(rows, key=lambda r: r[0], stamp=lambda r: r[1])
    assert kept == [("x", 9), ("y", 1)]
