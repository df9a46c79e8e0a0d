"""The edges of one Ecwid call: the token on the request, the answer parsed into a model.

The transport underneath (limiter, retries, connection pools, stats) is `transport.py`;
`EcwidClient` composes the two.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TypeVar

import httpx
from pydantic import BaseModel, SecretStr, TypeAdapter, ValidationError

from npf_ecwid.ecwid.errors import EcwidBadResponse

M = TypeVar("M")


class BearerAuth(httpx.Auth):
    """Adds `Authorization: Bearer …` per request, so the token is in no client-level header,
    URL or repr (Ecwid stopped accepting `?token=` in March 2025)."""

    def __init__(self, token: SecretStr) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        yield request

    def __repr__(self) -> str:
        return "BearerAuth(***)"


def describe_validation_error(error: ValidationError) -> str:
    from npf_ecwid.validation_text import describe_validation  # the one wording (#19.6)

    return describe_validation(error, 1, top="(body)")


def parse(target: type[M] | TypeAdapter[M], response: httpx.Response, what: str) -> M:
    """Raw JSON -> typed model, once, at the edge (pydantic's Rust JSON parser, no dict step)."""
    try:
        if isinstance(target, TypeAdapter):
            return target.validate_json(response.content)
        assert issubclass(target, BaseModel)
        return target.model_validate_json(response.content)  # type: ignore[return-value]
    except ValidationError as error:
        raise EcwidBadResponse(
            f"Ecwid sent an unreadable answer for {what} ({describe_validation_error(error)})",
            status=response.status_code,
        ) from None
