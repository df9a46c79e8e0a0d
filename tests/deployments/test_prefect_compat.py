"""One test per assumption in `runtime.prefect_compat`: each fails when Prefect changes what the
module relies on (or stops needing the workaround, where that can be observed)."""

from __future__ import annotations

import asyncio
import inspect
import socket
import ssl
import uuid

import httpx
import prefect.client.orchestration as prefect_client
import pytest
from prefect import flow
from prefect.client.orchestration import PrefectClient, SyncPrefectClient, get_client
from prefect.concurrency.asyncio import ConcurrencySlotAcquisitionError
from prefect.concurrency.asyncio import concurrency as async_concurrency
from prefect.concurrency.sync import concurrency as sync_concurrency
from prefect.exceptions import PrefectHTTPStatusError
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_CLIENT_CSRF_SUPPORT_ENABLED,
    PREFECT_CLIENT_MAX_RETRIES,
    temporary_settings,
)
from prefect.states import Scheduled

from runtime.prefect_compat import (
    claim_pending,
    concurrency_options,
    csrf_disabled,
    is_missing_limit,
    is_server_hiccup,
    run_flow_to_state,
    run_sync,
    share_tls_contexts,
    unreachable_api,
)

API = "https://prefect.example/api"
OPTIONS = concurrency_options(timeout_seconds=5, lease_seconds=60)


def _dead_api_url() -> str:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/api"


# --- TLS ------------------------------------------------------------------------------------


def _tls_context(client: PrefectClient | SyncPrefectClient) -> ssl.SSLContext:
    return client._client._transport._pool._ssl_context  # httpx -> httpcore pool


def test_prefect_still_builds_one_tls_context_per_client_and_the_swap_shares_them(monkeypatch):
    monkeypatch.setattr(prefect_client, "ssl", prefect_client.ssl)  # undone after the test
    before = [_tls_context(PrefectClient(API)) for _ in range(2)]
    # Still needed on this Prefect: left alone, it builds (and loads the CA bundle for) one each.
    assert before[0] is not before[1]

    share_tls_contexts()
    shared = {id(_tls_context(PrefectClient(API))) for _ in range(3)}
    shared.add(id(_tls_context(SyncPrefectClient(API))))
    assert len(shared) == 1
    context = _tls_context(PrefectClient(API))
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_unverified_contexts_are_never_shared(monkeypatch):
    """Prefect's skip-verification path edits the context it gets: each must be its own."""
    monkeypatch.setattr(prefect_client, "ssl", prefect_client.ssl)
    share_tls_contexts()
    made = prefect_client.ssl.create_default_context
    assert made() is not made()


def test_prefect_still_builds_its_context_the_way_the_swap_relies_on():
    assert "ssl.create_default_context(cafile=" in inspect.getsource(prefect_client)


# --- Global concurrency limits ----------------------------------------------------------------


@pytest.mark.parametrize("concurrency", [sync_concurrency, async_concurrency])
def test_concurrency_still_takes_our_options_and_still_kills_on_renewal_failure(concurrency):
    signature = inspect.signature(concurrency)
    signature.bind("client-x", **OPTIONS)  # TypeError if Prefect renamed a keyword
    # Still needed: the default (None) follows `strict`, and strict=True cancels the block
    # when one lease renewal fails.
    assert signature.parameters["raise_on_lease_renewal_failure"].default is None
    assert "follows the `strict` parameter" in inspect.getdoc(concurrency)


def test_a_missing_limit_is_recognised_as_missing_and_not_as_a_hiccup(prefect_server):
    with pytest.raises(ConcurrencySlotAcquisitionError) as caught:  # noqa: SIM117
        with sync_concurrency(f"client-missing-{uuid.uuid4().hex[:8]}", **OPTIONS):
            pass
    assert is_missing_limit(caught.value)
    assert not is_server_hiccup(caught.value)


async def test_an_unreachable_server_while_acquiring_is_a_hiccup(prefect_server):
    with (
        temporary_settings(
            updates={PREFECT_API_URL: _dead_api_url(), PREFECT_CLIENT_MAX_RETRIES: 0}
        ),
        pytest.raises(ConcurrencySlotAcquisitionError) as caught,
    ):
        async with async_concurrency(f"client-dead-{uuid.uuid4().hex[:8]}", **OPTIONS):
            pass
    assert isinstance(caught.value.__cause__, httpx.TransportError)
    assert is_server_hiccup(caught.value)
    assert not is_missing_limit(caught.value)


def test_prefect_still_keeps_leases_in_server_memory_so_the_lane_janitor_is_needed():
    """`deployments.stale_lanes`: a server restart forgets in-memory leases, their slots stay."""
    from prefect.settings.models.server.concurrency import ServerConcurrencySettings

    default = ServerConcurrencySettings.model_fields["lease_storage"].default
    assert default == "prefect.server.concurrency.lease_storage.memory"


# --- Server answers and client errors ---------------------------------------------------------


def test_the_servers_csrf_answer_is_recognised_as_disabled(prefect_server):
    with get_client(sync_client=True) as prefect, pytest.raises(PrefectHTTPStatusError) as caught:
        prefect.request("GET", "/csrf-token", params={"client": "compat-test"})
    assert csrf_disabled(caught.value.response)
    assert not csrf_disabled(httpx.Response(422, text="something else"))


def test_prefect_still_learns_about_csrf_per_client_object():
    """Why `serve` asks once: each new client starts out wanting a token (one extra request)."""
    with temporary_settings(updates={PREFECT_CLIENT_CSRF_SUPPORT_ENABLED: True}):
        assert PrefectClient(API)._client.enable_csrf_support is True
        assert SyncPrefectClient(API)._client.enable_csrf_support is True


async def test_an_unreachable_api_url_raises_the_error_the_cli_recognises():
    url = _dead_api_url()
    with temporary_settings(updates={PREFECT_API_URL: url, PREFECT_CLIENT_MAX_RETRIES: 0}):
        async with get_client() as prefect:
            with pytest.raises(RuntimeError) as caught:
                await prefect.raise_for_api_version_mismatch()
    assert unreachable_api(caught.value)
    assert url in str(caught.value)
    assert not unreachable_api(RuntimeError("some other failure"))


# --- Executing deployment runs in this process ------------------------------------------------


@flow(name="compat-probe")
def _probe(fail: bool = False) -> str:
    if fail:
        raise ValueError("probe failed on purpose")
    return "ran"


async def _scheduled_run(prefect: PrefectClient, *, fail: bool = False):
    return await prefect.create_flow_run(_probe, parameters={"fail": fail}, state=Scheduled())


async def test_a_scheduled_run_is_claimed_once(prefect_server):
    async with get_client() as prefect:
        run = await _scheduled_run(prefect)
        assert await claim_pending(prefect, run.id) is True
        assert await claim_pending(prefect, run.id) is False  # a second runner's claim
        assert (await prefect.read_flow_run(run.id)).state.is_pending()


async def test_a_claimed_run_executes_with_prefects_engine_and_failures_come_back_as_state(
    prefect_server,
):
    async with get_client() as prefect:
        good, bad = await _scheduled_run(prefect), await _scheduled_run(prefect, fail=True)
        for run in (good, bad):
            assert await claim_pending(prefect, run.id)
        good, bad = await prefect.read_flow_run(good.id), await prefect.read_flow_run(bad.id)

    # In a thread, as `deployments.runner` does (asyncio.to_thread copies the settings context).
    completed = await asyncio.to_thread(run_flow_to_state, _probe, good)
    failed = await asyncio.to_thread(run_flow_to_state, _probe, bad)  # no raise: a Failed state

    assert completed.is_completed() and await completed.aresult() == "ran"
    assert failed.is_failed() and "probe failed on purpose" in (failed.message or "")
    async with get_client() as prefect:
        assert (await prefect.read_flow_run(good.id)).state.is_completed()
        assert (await prefect.read_flow_run(bad.id)).state.is_failed()


async def _answer(value: int) -> int:
    return value


def test_run_sync_works_outside_and_inside_a_sync_flow(prefect_server):
    @flow
    def inside() -> int:
        return run_sync(_answer(2))

    assert run_sync(_answer(1)) == 1
    assert inside() == 2
