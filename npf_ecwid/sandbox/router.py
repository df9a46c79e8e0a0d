"""Framework-free routing of store-relative API calls (`/orders/X8UYE`) to handlers.

The HTTP app and `POST /batch` both go through `dispatch`, so a batched request behaves
exactly like the same request sent on its own (scopes, errors, write log included).
Path patterns use Starlette's own compiler and convertors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from starlette.routing import compile_path

from npf_ecwid.sandbox.errors import ApiError

if TYPE_CHECKING:
    from npf_ecwid.sandbox.control import Sandbox, TokenGrant
    from npf_ecwid.sandbox.core import SandboxStore

WRITE_METHODS = frozenset({"PUT", "POST", "DELETE"})
_compile = lru_cache(maxsize=None)(compile_path)


@dataclass
class Call:
    """One API call against one store, already authenticated."""

    sandbox: Sandbox
    store: SandboxStore
    grant: TokenGrant
    method: str
    path: str
    query: Mapping[str, str]
    body: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    batch_ticket: str | None = None


Handler = Callable[[Call], Any]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str
    scope: str | None
    handler: Handler

    def match(self, path: str) -> dict[str, Any] | None:
        regex, _, convertors = _compile(self.pattern)
        found = regex.match(path)
        if found is None:
            return None
        return {k: convertors[k].convert(v) for k, v in found.groupdict().items()}


ROUTES: list[Route] = []


def route(method: str, pattern: str, scope: str | None) -> Callable[[Handler], Handler]:
    """Register a handler; it returns the JSON payload (status 200) or raises `ApiError`."""

    def register(handler: Handler) -> Handler:
        ROUTES.append(Route(method, pattern, scope, handler))
        return handler

    return register


def dispatch(call: Call) -> tuple[int, Any]:
    """(status, JSON payload) for a call; logs accepted writes in the store's write log."""
    try:
        status, payload = 200, _run(call)
    except ApiError as error:
        status, payload = error.status, error.body()
    if call.method in WRITE_METHODS and 200 <= status < 300:
        call.store.log_write(call.method, call.path, call.body, status, call.batch_ticket)
    return status, payload


def _run(call: Call) -> Any:
    allowed = False
    for candidate in ROUTES:
        params = candidate.match(call.path)
        if params is None:
            continue
        if candidate.method != call.method:
            allowed = True
            continue
        if candidate.scope is not None and candidate.scope not in call.grant.scopes:
            raise ApiError(
                403,
                "INSUFFICIENT_APP_SCOPE",
                f"The access token lacks the scope '{candidate.scope}' for this endpoint",
            )
        call.params = params
        with call.store.lock:
            return candidate.handler(call)
    if allowed:
        raise ApiError(405, None, f"Method {call.method} is not allowed for {call.path}")
    raise ApiError(404, None, f"Resource not found: {call.path}")
