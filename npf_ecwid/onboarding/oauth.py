"""The OAuth authorisation-code exchange for the warehouse's Ecwid app.

Ecwid (api-docs "get token manually"): after the merchant approves the app, Ecwid redirects to
`redirect_uri?code=...`; the code is single-use and short-lived. We exchange it with
`POST {ECWID_OAUTH_URL}/token`, the parameters `client_id, client_secret, code, redirect_uri,
grant_type=authorization_code` as an `application/x-www-form-urlencoded` body (Ecwid changelog
2025-03-20 "OAuth for public apps: GET request type changed to POST": the old GET with query
parameters no longer works, and it put the secret and the code into URLs and access logs),
and get `{access_token, token_type, scope, store_id, ...}`. Exchanging a code twice disables
the first token, so this is done once, by `clients add --oauth-code`.

A plain httpx call, not `EcwidClient`: a different host, no store id, no token yet.
"""

from __future__ import annotations

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from npf_ecwid.alerts import redact
from npf_ecwid.config import ConfigError
from npf_ecwid.settings import Settings


class OAuthError(RuntimeError):
    """The exchange failed; the message never contains the secret, the code or a token."""


class OAuthToken(BaseModel):
    access_token: SecretStr
    token_type: str = "bearer"  # noqa: S105
    scope: str = ""
    store_id: int
    email: str | None = None
    public_token: SecretStr | None = None

    @property
    def scopes(self) -> list[str]:
        return self.scope.split()


def exchange_code(
    code: str, settings: Settings, *, transport: httpx.BaseTransport | None = None
) -> OAuthToken:
    """Trade an authorisation code for the store's access token."""
    if not settings.ecwid_app_client_id or settings.ecwid_app_client_secret is None:
        raise ConfigError("OAuth needs ECWID_APP_CLIENT_ID and ECWID_APP_CLIENT_SECRET")
    form = {
        "client_id": settings.ecwid_app_client_id,
        "client_secret": settings.ecwid_app_client_secret.get_secret_value(),
        "code": code,
        "redirect_uri": settings.ecwid_app_redirect_uri or "",
        "grant_type": "authorization_code",
    }
    url = settings.ecwid_oauth_url.rstrip("/") + "/token"
    try:
        with httpx.Client(transport=transport, timeout=30.0) as http:
            response = http.post(url, data=form)  # a form body: never in the URL
    except httpx.HTTPError as error:
        raise OAuthError(f"OAuth token endpoint unreachable ({type(error).__name__})") from None
    if response.is_error:
        answer = redact(response.text[:200])
        raise OAuthError(f"OAuth code exchange refused: HTTP {response.status_code} {answer}")
    try:
        return OAuthToken.model_validate_json(response.content)
    except ValidationError:
        raise OAuthError("OAuth token endpoint answered without access_token/store_id") from None
