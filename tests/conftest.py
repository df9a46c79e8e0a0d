"""Shared fixtures.

Prefect: one session-wide test server (`prefect_test_harness`, ~13 s to start), entered only
by tests that ask for `prefect_server`, never nested (its exit would kill the shared server).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest_plugins = ["tests.postgres", "tests.orders.served"]


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(autouse=True)
def fresh_ecwid_limiters() -> None:
    """Each test's sandbox counts requests from zero, so the process-wide per-token limiters
    (`limiter_for`) start empty too; otherwise one test's requests slow the next ones."""
    from npf_ecwid.ecwid.ratelimit import reset_limiters

    reset_limiters()
