"""One TLS context per CA file for all of `serve`'s Prefect API clients.

Why: Prefect (3.8, and still 3.9.1) builds a new verifying TLS context, loading certifi's CA
bundle (40-60 ms of CPU), for every API client object it opens, and a flow run opens four or
five (the engine, the concurrency-slot service, the lane release, the suspension observer...).
In `serve`, which runs hundreds of flow runs an hour in one process, that was 44% of its CPU
(py-spy, 40 clients, docs/benchmarks.md "Capacity"). Prefect only hands the context to httpx as
`verify` and never changes it, so one per CA file serves every client. Should Prefect start sharing
contexts itself, this becomes a no-op; `tests/deployments/test_prefect_tls.py` notices if
Prefect stops creating them the way this relies on.
"""

from __future__ import annotations

import functools
import ssl
from types import ModuleType
from typing import Any

import prefect.client.orchestration as prefect_client


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
