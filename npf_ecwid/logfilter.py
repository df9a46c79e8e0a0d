"""Rate-limited repeated log records: one place, so a flood of one warning stays one line.

Why: under abuse the same record repeats thousands of times a second ("Too many open files"
from asyncio's accept loop, uvicorn's "Invalid HTTP request received."); every copy costs
disk and hides everything else. `RepeatLimit` lets the first record of each kind through,
drops the copies for `every` seconds, and then lets one through with "(N more like this in
the last S s)" appended, so the operator still sees how often it happened.

A record's kind is (logger, level, message template, exception type): the arguments differ
between copies (peer addresses), the template does not.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

_Kind = tuple[str, int, str, str]
K = TypeVar("K", bound=Hashable)


class Throttle(Generic[K]):
    """Once per `every` seconds per key: `admit(key)` is None for a repeat inside the window,
    else how many repeats were held back since the key was last admitted. Thread-safe; at
    most `max_keys` keys are remembered (an attacker's variety must not grow it without end).
    Shared by the log filter below and `webhooks.loud.Loud` (ERROR line + alert)."""

    def __init__(
        self, every: float, *, clock: Callable[[], float] = time.monotonic, max_keys: int = 1000
    ) -> None:
        self.every = every
        self._clock = clock
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._last: dict[K, float] = {}
        self._held: dict[K, int] = {}

    def admit(self, key: K) -> int | None:
        now = self._clock()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.every:
                self._held[key] = self._held.get(key, 0) + 1
                return None
            self._last[key] = now
            held = self._held.pop(key, 0)
            if len(self._last) > self._max_keys:
                self._last = {key: now}
            return held


class RepeatLimit(logging.Filter):
    def __init__(self, every: float = 10.0, *, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.every = every
        self._throttle: Throttle[_Kind] = Throttle(every, clock=clock)

    @staticmethod
    def _kind(record: logging.LogRecord) -> _Kind:
        exc = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
        if not exc and isinstance(getattr(record, "exception", None), BaseException):
            exc = type(record.exception).__name__  # type: ignore[attr-defined]
        return (record.name, record.levelno, str(record.msg), exc)

    def filter(self, record: logging.LogRecord) -> bool:
        dropped = self._throttle.admit(self._kind(record))
        if dropped is None:
            return False
        if dropped:
            record.msg = f"{record.msg} ({dropped} more like this in the last {self.every:g} s)"
        return True


def limit_repeats(loggers: Iterable[str], every: float = 10.0) -> RepeatLimit:
    """Install one `RepeatLimit` on each named logger (idempotent per logger); returns it."""
    shared = RepeatLimit(every)
    for name in loggers:
        logger = logging.getLogger(name)
        for existing in [f for f in logger.filters if isinstance(f, RepeatLimit)]:
            logger.removeFilter(existing)
        logger.addFilter(shared)
    return shared
