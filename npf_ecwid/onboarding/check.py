"""`clients check`: does each client's token open its store with the scopes the flows need?

Two read-only calls per client: `GET /application/token` (which scopes; needs no scope itself)
and `GET /profile` (the store the token opens). Verdicts, in the order they are decided:
`token not set` (reference unresolvable), `wrong token` (Ecwid refuses it), `missing scopes X`,
`wrong store` (token opens another store, or profile says another id), `unreachable`, `OK`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import httpx

from npf_ecwid.config import ClientConfig, ConfigError, SecretLoader
from npf_ecwid.connect import open_ecwid
from npf_ecwid.ecwid.errors import EcwidAuthError, EcwidError, EcwidNotFound
from npf_ecwid.settings import Settings

# What the flows call: orders (read, then PUT tracking) and the catalogue (read, stock update).
REQUIRED_SCOPES: tuple[str, ...] = (
    "read_orders",
    "update_orders",
    "read_catalog",
    "update_catalog",
)


# Ecwid calls an app's shipping URL at checkout only if the app has this scope (Ecwid's
# "Online shipping methods" guide, quoted in the project's research/ecwid-api.md §7; the REST
# reference under docs/ecwid/ does not cover the shipping app).
SHIPPING_SCOPE = "add_shipping_method"


def required_scopes(client: ClientConfig) -> tuple[str, ...]:
    """What this client's token must carry: the flows' scopes, plus `add_shipping_method`
    when the client uses our rates endpoint (`shipping_rates = true`)."""
    return REQUIRED_SCOPES + ((SHIPPING_SCOPE,) if client.shipping_rates else ())


class Verdict(StrEnum):
    OK = "OK"
    TOKEN_NOT_SET = "token not set"  # noqa: S105 - a verdict label, not a password
    WRONG_TOKEN = "wrong token"  # noqa: S105
    MISSING_SCOPES = "missing scopes"
    WRONG_STORE = "wrong store"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class CheckResult:
    client: str
    verdict: Verdict
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.OK

    @property
    def line(self) -> str:
        """`ACME: OK (store 1003 "Acme Store")` - one line, no token."""
        return f"{self.client}: {self.verdict.value}" + (f" ({self.detail})" if self.detail else "")


async def check_client(
    client: ClientConfig,
    settings: Settings,
    *,
    load_secret: SecretLoader | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> CheckResult:
    """The verdict for one client. Never raises for Ecwid or token problems."""
    try:
        ecwid = open_ecwid(
            client, settings, load_secret=load_secret, transport=transport, max_attempts=2
        )
    except ConfigError as error:
        return CheckResult(client.code, Verdict.TOKEN_NOT_SET, str(error))
    async with ecwid:
        try:
            info = await ecwid.get_token_info()
        except EcwidAuthError as error:
            wrong = Verdict.WRONG_STORE if "store" in (error.error_message or "") else None
            return CheckResult(
                client.code, wrong or Verdict.WRONG_TOKEN, error.error_message or str(error)
            )
        except EcwidNotFound:
            return CheckResult(
                client.code, Verdict.WRONG_STORE, f"store {client.store_id} not found"
            )
        except EcwidError as error:
            return CheckResult(client.code, Verdict.UNREACHABLE, str(error))
        missing = [scope for scope in required_scopes(client) if scope not in info.permissions]
        if missing:
            return CheckResult(client.code, Verdict.MISSING_SCOPES, ", ".join(missing))
        try:
            profile = await ecwid.get_profile()
        except EcwidAuthError as error:
            # `read_store_profile` is granted to every app; without it we can't confirm the store.
            return CheckResult(client.code, Verdict.MISSING_SCOPES, error.error_code or str(error))
        except EcwidError as error:
            return CheckResult(client.code, Verdict.UNREACHABLE, str(error))
    store_id = profile.general_info.store_id
    if store_id != client.store_id:
        return CheckResult(
            client.code,
            Verdict.WRONG_STORE,
            f"token opens store {store_id}, clients file says {client.store_id}",
        )
    name = profile.settings.store_name if profile.settings else None
    return CheckResult(
        client.code, Verdict.OK, f"store {store_id}" + (f' "{name}"' if name else "")
    )
