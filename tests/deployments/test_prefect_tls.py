"""`serve`'s Prefect API clients share one TLS context instead of loading the CA bundle each."""

from __future__ import annotations

import inspect
import ssl

import prefect.client.orchestration as prefect_client
from prefect.client.orchestration import PrefectClient, SyncPrefectClient

from deployments.prefect_tls import share_tls_contexts

API = "https://prefect.example/api"


def _tls_context(client: PrefectClient | SyncPrefectClient) -> ssl.SSLContext:
    return client._client._transport._pool._ssl_context  # httpx -> httpcore pool


def test_prefect_clients_share_one_verifying_context(monkeypatch):
    monkeypatch.setattr(prefect_client, "ssl", prefect_client.ssl)  # undone after the test
    before = [_tls_context(PrefectClient(API)) for _ in range(2)]
    assert before[0] is not before[1]  # what Prefect does on its own: one per client

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


def test_prefect_still_builds_its_context_the_way_this_relies_on():
    assert "ssl.create_default_context(cafile=" in inspect.getsource(prefect_client)
