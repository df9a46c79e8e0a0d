"""The transport stack under `EcwidClient`: idempotency travels on the request as an
extension, and the retry layer (not the endpoint) decides from it, on every attempt."""

from __future__ import annotations

import httpx
import pytest

from npf_ecwid.ecwid.errors import EcwidUnavailable, EcwidWriteUncertain
from npf_ecwid.ecwid.transport import IDEMPOTENT, is_idempotent, request_extensions
from npf_ecwid.sandbox.app import Sandbox
from tests.ecwid.conftest import Wire

PRODUCT = "/products/500000001"


async def test_a_lost_answer_is_resent_only_when_the_request_says_it_is_idempotent(
    wire: Wire, sandbox: Sandbox
) -> None:
    sandbox.faults.drop_rate = 1.0  # every answer lost after the request arrived
    async with wire.client(max_attempts=3) as ecwid:
        with pytest.raises(EcwidWriteUncertain, match="re-read"):
            await ecwid.call("PUT", PRODUCT, what="a delta", json={}, idempotent=False)
        assert sandbox.count(method="PUT", path_prefix=PRODUCT) == 1
        with pytest.raises(EcwidUnavailable, match="after 3 attempts"):
            await ecwid.call("GET", PRODUCT, what="a read")
        assert sandbox.count(method="GET", path_prefix=PRODUCT) == 3
        assert (ecwid.stats.requests, ecwid.stats.transport_errors) == (4, 4)
        assert ecwid.stats.retries == 2


def test_without_the_extension_the_method_decides() -> None:
    def request(method: str, **extensions: object) -> httpx.Request:
        return httpx.Request(method, "https://app.ecwid.com/api/v3/1/x", extensions=extensions)

    assert is_idempotent(request("GET")) and is_idempotent(request("PUT"))
    assert not is_idempotent(request("POST"))
    assert is_idempotent(request("POST", **{IDEMPOTENT: True}))  # a batch with its key
    assert not is_idempotent(request("PUT", **request_extensions(what="x", idempotent=False)))
