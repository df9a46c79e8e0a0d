"""The client's writer lock in the database (`npf_ecwid.locks`), held by the stock sync and the
tracking push beside their Prefect lane: the lane makes runs of one client queue, the lock makes
sure that even when a lane is bypassed (another Prefect home, a lost lease, a freed lane) only
one run writes to the client's Ecwid store. A second run does not wait: it ends at once,
Completed with status `locked` and the holder in its message (nothing went wrong, nothing to
alert on; the holder is doing the work)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prefect import get_run_logger
from prefect.runtime import flow_run

from npf_ecwid.db import get_engine
from npf_ecwid.locks import Fence, client_lock, default_owner


def run_owner() -> str:
    """`host:pid:random`, plus the Prefect flow run id when there is one (to find the run)."""
    run_id = flow_run.get_id()
    return f"{default_owner()}:{run_id}" if run_id else default_owner()


@contextmanager
def writer_lock(client: str, *, dry_run: bool = False) -> Iterator[Fence | None]:
    """Hold `client`'s writer lock for the block (None on a dry run: it writes nothing to
    Ecwid, so it never waits for or blocks a real run). Raises `LockHeld` when taken."""
    if dry_run:
        yield None
        return
    engine = get_engine()
    with client_lock(engine, client, run_owner()) as fence:
        get_run_logger().info(
            "client %s: writer lock taken (owner %s, fence %d)", client, fence.owner, fence.fence
        )
        yield fence
