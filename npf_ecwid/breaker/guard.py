"""The breaker as the Ecwid client and the flows use it.

- Before a run calls Ecwid: `TokenBreaker.gate(client, token)` returns None (go) or the
  one-line reason to skip. A refused breaker whose token has since been replaced is closed
  here ("token replaced"), so the new token gets its run at once.
- On an answer that refuses the token: `TokenBreaker.tripped_by(...)` records it. Which answers
  count: 401, and 403 except `INSUFFICIENT_APP_SCOPE` (that token works; it lacks one scope,
  and tripping would also stop the order pull it can do). Error codes per
  docs/ecwid/api-reference/rest-api/rest-api-error-codes.md: 403 `INVALID_API_TOKEN` "Invalid
  access token in the request", 403 `INSUFFICIENT_APP_SCOPE`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import SecretStr
from sqlalchemy import Engine

from npf_ecwid.breaker.store import BreakerState, close, now_utc, read_breaker, trip
from npf_ecwid.db import get_engine
from npf_ecwid.ecwid.errors import EcwidAuthError, EcwidError
from npf_ecwid.settings import Settings, get_settings

log = logging.getLogger("npf_ecwid.breaker")

SCOPE_ERROR = "INSUFFICIENT_APP_SCOPE"


class TokenRefused(EcwidAuthError):
    """Not sent: the client's token was refused before and has not been replaced or checked."""


def is_token_refusal(error: EcwidError) -> bool:
    """A 401/403 that says the token does not work (not a missing scope)."""
    return error.status in (401, 403) and error.error_code != SCOPE_ERROR


def refusal_reason(error: EcwidError, call: str) -> str:
    """`403 INVALID_API_TOKEN on GET /orders` (status, Ecwid's code, the call; no token)."""
    code = f" {error.error_code}" if error.error_code else ""
    return f"{error.status}{code} on {call}"


def skip_message(state: BreakerState) -> str:
    return (
        f"client {state.client}: not calling Ecwid: its token was refused since {state.since} "
        f"({state.reason}); replace the token or run `npf-ecwid clients check {state.client}` "
        "to resume"
    )


def tripped_message(client: str, reason: str) -> str:
    return (
        f"client {client}: Ecwid refused the token ({reason}); its runs make no Ecwid calls "
        f"until the token is replaced or `npf-ecwid clients check {client}` passes"
    )


@dataclass
class TokenBreaker:
    """The breaker table behind `engine`; `clock` is patched in tests only."""

    engine: Engine
    clock: Callable[[], datetime] = field(default=now_utc)

    def state(self, client: str) -> BreakerState | None:
        return read_breaker(self.engine, client)

    def gate(self, client: str, token: Callable[[], SecretStr] | SecretStr) -> str | None:
        """None to go ahead, or why this run must not call Ecwid.

        `token` may be a loader: it is resolved only when the breaker is refused (the common
        case, no row, costs one primary-key read and no Secret block load)."""
        state = self.state(client)
        if state is None or not state.refused:
            return None
        value = token() if callable(token) else token
        if state.refuses(value):
            return skip_message(state)
        close(self.engine, client, "token replaced", self.clock())
        log.warning(
            "client %s: the token refused since %s has been replaced; trying the new one",
            client,
            state.since,
        )
        return None

    def guard(self, client: str, token: SecretStr) -> None:
        """Raise `TokenRefused` (nothing sent) while the breaker refuses `token`."""
        reason = self.gate(client, token)
        if reason is not None:
            raise TokenRefused(reason)

    def tripped_by(
        self, client: str, token: SecretStr | None, error: EcwidError, call: str
    ) -> bool:
        """Record a refusal if `error` is one; True when the breaker newly tripped."""
        if isinstance(error, TokenRefused) or not is_token_refusal(error):
            return False
        reason = refusal_reason(error, call)
        newly = trip(self.engine, client, reason, token, self.clock())
        if newly:
            log.error("%s", tripped_message(client, reason))
        return newly

    def trip(self, client: str, reason: str, token: SecretStr | None = None) -> bool:
        """Trip for a reason that is not an HTTP answer (an uninstall webhook, a failed check)."""
        newly = trip(self.engine, client, reason, token, self.clock())
        if newly:
            log.error("%s", tripped_message(client, reason))
        return newly

    def close(self, client: str, why: str, *, checked: bool = False) -> BreakerState | None:
        return close(self.engine, client, why, self.clock(), checked=checked)


def open_breaker(settings: Settings | None = None) -> TokenBreaker:
    """The breaker in the warehouse database (`DATABASE_URL` or the SQLite default)."""
    settings = settings or get_settings()
    return TokenBreaker(get_engine(settings.effective_database_url))
