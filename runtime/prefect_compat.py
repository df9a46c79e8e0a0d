"""Every assumption this project makes about Prefect's internals or its error texts, in one place.

Why one module: each item below leans on behaviour Prefect does not promise (a private module,
the wording of an error, the signature of an engine function, how its API client is built).
Upgrading Prefect then means reading this file and running
`tests/deployments/test_prefect_compat.py`, which has one test per assumption that fails when
Prefect changes it. Nothing else in the code base imports Prefect's internal modules
(`prefect.utilities.engine`, `prefect.flow_engine`, `prefect.utilities.asyncutils`) or matches
Prefect's error strings. All checked on Prefect 3.9.1.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Coroutine
from types import ModuleType
from typing import Any, TypeVar
from uuid import UUID

import httpx
import prefect.client.orchestration as prefect_client
from prefect import Flow
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.objects import FlowRun
from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError
from prefect.exceptions import Abort
from prefect.flow_engine import run_flow
from prefect.states import Pending, State
from prefect.utilities.asyncutils import run_coro_as_sync
from prefect.utilities.engine import propose_state

T = TypeVar("T")

# --- TLS: one verifying context per CA file ------------------------------------------------
#
# Prefect (3.8, and still 3.9.1: `prefect/client/orchestration/__init__.py`, `PrefectClient` and
# `SyncPrefectClient.__init__`) builds a new verifying TLS context with
# `ssl.create_default_context(cafile=certifi.where())`, loading the CA bundle (40-60 ms of CPU),
# for every API client object it opens, and a flow run opens four or five (the engine, the
# concurrency-slot service, the lane release, the suspension observer...). In `serve`, which
# runs hundreds of flow runs an hour in one process, that was 44% of its CPU (py-spy, 40 clients,
# docs/benchmarks.md "Capacity"; re-measured on 3.9.1: 51.5 ms of CPU per `PrefectClient()`
# without the swap, 0.4 ms with it). Prefect only hands the context to httpx as `verify` and never
# changes it, so one per CA file serves every client. If Prefect stops calling
# `ssl.create_default_context` from that module, the swap does nothing (no harm, no gain);
# the tests notice.


class _SharedVerifyingContexts:
    """Stands in for the `ssl` module inside `prefect.client.orchestration` only."""

    def __getattr__(self, name: str) -> Any:
        return getattr(ssl, name)

    def create_default_context(
        self,
        purpose: ssl.Purpose = ssl.Purpose.SERVER_AUTH,
        *,
        cafile: str | None = None,
        capath: str | None = None,
        cadata: str | bytes | None = None,
    ) -> ssl.SSLContext:
        if cafile is None and capath is None and cadata is None:
            # Prefect's "skip verification" path changes this context after creating it.
            return ssl.create_default_context(purpose)
        return _verifying_context(purpose, cafile, capath, cadata)


@functools.cache
def _verifying_context(
    purpose: ssl.Purpose, cafile: str | None, capath: str | None, cadata: str | bytes | None
) -> ssl.SSLContext:
    return ssl.create_default_context(purpose, cafile=cafile, capath=capath, cadata=cadata)


def share_tls_contexts(module: ModuleType = prefect_client) -> None:
    """From now on, Prefect API clients in this process share verifying TLS contexts."""
    module.ssl = _SharedVerifyingContexts()  # type: ignore[attr-defined]


# --- Global concurrency limits (the client lanes) -------------------------------------------


def concurrency_options(*, timeout_seconds: float | None, lease_seconds: float) -> dict[str, Any]:
    """Keyword arguments for `prefect.concurrency.{sync,asyncio}.concurrency` holding one slot.

    `strict=True`: a limit that vanished raises `ConcurrencySlotAcquisitionError` instead of
    Prefect's default (log a warning and run unguarded). `raise_on_lease_renewal_failure=False`:
    Prefect 3.9.1's default (None) follows `strict`, which would cancel the block when one lease
    renewal fails (`prefect/concurrency/_leases.py`); a transient API blip must not abort a push
    half-way.
    If Prefect renames either keyword, `concurrency()` raises TypeError on every run."""
    return {
        "occupy": 1,
        "timeout_seconds": timeout_seconds,
        "lease_duration": lease_seconds,
        "strict": True,
        "raise_on_lease_renewal_failure": False,
    }


def is_missing_limit(error: BaseException) -> bool:
    """Prefect answered that the concurrency limit does not exist.

    Relies on the text of Prefect 3.9.1's strict acquire (`prefect/concurrency/_asyncio.py`:
    "Concurrency limits [...] must be created before acquiring slots"): the exception type is the
    same as for a server error, only the message tells them apart. If the text changes, a lane
    deleted by an operator is no longer re-created mid-run; the run fails instead."""
    return isinstance(error, ConcurrencySlotAcquisitionError) and "must be created" in str(error)


def is_server_hiccup(error: BaseException) -> bool:
    """A 5xx or a connection failure while acquiring a slot (not: the limit is missing, a 4xx).

    Relies on Prefect 3.9.1 raising `ConcurrencySlotAcquisitionError` *from* the httpx error
    (`prefect/concurrency/_asyncio.py` `aacquire_concurrency_slots`: `raise ... from exc`). If
    the cause is no longer chained, a busy server fails the run instead of being retried."""
    if not isinstance(error, ConcurrencySlotAcquisitionError):
        return False
    cause = error.__cause__
    if isinstance(cause, httpx.HTTPStatusError):
        return cause.response.status_code >= 500
    return isinstance(cause, httpx.TransportError)


# --- Server answers and client errors -------------------------------------------------------


def csrf_disabled(response: httpx.Response) -> bool:
    """The answer to `GET /csrf-token` says the server does not check CSRF tokens.

    The same test Prefect 3.9.1's own client makes (`prefect/client/base.py`
    `_add_csrf_headers`): 404 (an older server) or 422 with "CSRF protection is disabled."
    (`prefect/server/api/csrf_token.py`). Prefect learns it once per client object, so `serve`
    asks once and turns CSRF support off for all of them. If the text changes, `serve` fails to
    start with the server's answer (it re-raises), rather than silently sending tokens."""
    return response.status_code == 404 or (
        response.status_code == 422 and "CSRF protection is disabled" in response.text
    )


def unreachable_api(error: BaseException) -> bool:
    """Prefect's error when `PREFECT_API_URL` points at no server.

    Prefect 3.9.1 raises `RuntimeError("Failed to reach API at <url>")` from the client's version
    check (`prefect/client/orchestration/__init__.py` `raise_for_api_version_mismatch`) when a
    flow is called. The CLI turns it into one line; if the text changes the operator gets the
    traceback instead."""
    return isinstance(error, RuntimeError) and str(error).startswith("Failed to reach API")


# --- Executing deployment runs in this process (`deployments.runner`) -----------------------


async def claim_pending(prefect: PrefectClient, flow_run_id: UUID) -> bool:
    """Propose Pending for a Scheduled run; True when this process may now execute it.

    Uses `prefect.utilities.engine.propose_state` (internal; what Prefect's own runner and
    workers do before starting a run). The server accepts one Pending proposal per run: another
    runner's claim, a cancellation or a deletion comes back as `Abort`, a taken deployment
    concurrency slot as a non-Pending state (e.g. AwaitingConcurrencySlot)."""
    try:
        state = await propose_state(prefect, Pending(), flow_run_id=flow_run_id)
    except Abort:
        return False
    return state.is_pending()


def run_flow_to_state(flow: Flow[..., Any], flow_run: FlowRun) -> State[Any]:
    """Execute a claimed deployment run with Prefect's own engine (blocking; call in a thread).

    `prefect.flow_engine.run_flow(flow, flow_run=..., return_type="state")` is internal: it is
    what the process worker's subprocess runs. A failing flow returns a Failed state; it raises
    only when the engine itself breaks."""
    return run_flow(flow, flow_run=flow_run, return_type="state")  # type: ignore[return-value]


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, inside or outside Prefect's event loops.

    `prefect.utilities.asyncutils.run_coro_as_sync` (internal) works where `asyncio.run` does
    not: inside a sync flow or task, which Prefect may already run on a loop thread."""
    result = run_coro_as_sync(coro)
    return result  # type: ignore[return-value]
