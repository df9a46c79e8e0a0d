"""Remembering signed event ids, so a retry or a replay of one event acts at most once.

An id is kept until its event turns stale (`eventCreated + max_age`): after that the freshness
check rejects it anyway, so memory is bounded by the events Ecwid sends in one window. Only
events with a valid signature are remembered, so nobody without the app secret can fill it.
One process only: several server processes would each need to see every event (documented in
docs; the webhook receiver runs in the single `shipping serve` process).
"""

from __future__ import annotations

import heapq


class SeenEvents:
    def __init__(self) -> None:
        self._expiry: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self._expiry)

    def first_time(self, event_id: str, forget_after: float, now: float) -> bool:
        """True the first time `event_id` is offered (and remembers it until `forget_after`)."""
        self._prune(now)
        if event_id in self._expiry:
            return False
        self._expiry[event_id] = forget_after
        heapq.heappush(self._heap, (forget_after, event_id))
        return True

    def _prune(self, now: float) -> None:
        while self._heap and self._heap[0][0] <= now:
            _, event_id = heapq.heappop(self._heap)
            self._expiry.pop(event_id, None)
