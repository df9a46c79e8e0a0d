"""RepeatLimit: a flood of one record becomes one line per window, with a count."""

from __future__ import annotations

import logging

import pytest

from npf_ecwid.logfilter import RepeatLimit, limit_repeats


def test_repeats_are_dropped_then_summarised(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    logger = logging.getLogger("npf_ecwid.test.flood")
    limit = RepeatLimit(10, clock=lambda: now[0])
    logger.addFilter(limit)
    try:
        with caplog.at_level(logging.WARNING, logger=logger.name):
            for i in range(100_000):
                now[0] = i / 10_000  # 100,000 records over 10 s
                logger.error("socket.accept() out of system resource %s", i)
            logger.warning("another kind")
            now[0] = 10.5
            logger.error("socket.accept() out of system resource %s", "last")
    finally:
        logger.removeFilter(limit)
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "socket.accept() out of system resource 0",
        "another kind",
        "socket.accept() out of system resource last (99999 more like this in the last 10 s)",
    ]


def test_limit_repeats_installs_one_filter_per_logger() -> None:
    name = "npf_ecwid.test.install"
    limit_repeats([name])
    limit_repeats([name])
    assert sum(isinstance(f, RepeatLimit) for f in logging.getLogger(name).filters) == 1
