"""Ecwid's OAuth token endpoint, emulated: `POST /api/oauth/token` on the sandbox app.

Behaves as Ecwid documents it (research §5; Ecwid changelog 2025-03-20 "OAuth for public apps:
GET request type changed to POST"): the parameters come as an
`application/x-www-form-urlencoded` body (a GET, or parameters in the query string, are
refused), the app's `client_id`/`client_secret` must match, a code is single-use,
`grant_type=authorization_code`; the answer is
`{access_token, token_type, scope, store_id, email, public_token}` and the new token is
registered with the sandbox so the API accepts it at once. Errors are 400 `{"error": ...}`
(Ecwid's exact error body is undocumented).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from npf_ecwid.sandbox.control import ALL_SCOPES, Sandbox

FORM = "application/x-www-form-urlencoded"


@dataclass
class OAuthApp:
    """The warehouse's Ecwid app as the sandbox knows it, and the codes merchants granted."""

    sandbox: Sandbox
    client_id: str = "npf-warehouse-app"
    client_secret: str = "sandbox-app-secret"  # noqa: S105 - a test fixture value
    codes: dict[str, tuple[int, frozenset[str]]] = field(default_factory=dict)
    exchanges: int = 0
    urls: list[str] = field(default_factory=list)  # every URL the token endpoint received

    def grant_code(self, store_id: int, scopes: Iterable[str] = ALL_SCOPES) -> str:
        """What Ecwid appends to the redirect URL after the merchant approves the app."""
        code = secrets.token_urlsafe(12)
        self.codes[code] = (store_id, frozenset(scopes))
        return code

    def exchange(self, params: dict[str, str]) -> tuple[int, dict[str, object]]:
        if (params.get("client_id"), params.get("client_secret")) != (
            self.client_id,
            self.client_secret,
        ):
            return 400, {"error": "invalid_client"}
        if params.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        granted = self.codes.pop(params.get("code", ""), None)  # single use
        if granted is None:
            return 400, {"error": "invalid_grant"}
        store_id, scopes = granted
        token = f"secret_{secrets.token_urlsafe(16)}"
        self.sandbox.add_token(token, store_id, scopes)
        self.exchanges += 1
        return 200, {
            "access_token": token,
            "token_type": "bearer",
            "scope": " ".join(sorted(scopes)),
            "store_id": store_id,
            "email": f"owner@store{store_id}.example",
            "public_token": f"public_{secrets.token_urlsafe(8)}",
        }


def add_oauth_routes(app: FastAPI, oauth: OAuthApp) -> FastAPI:
    """Mount `/api/oauth/token` on a sandbox app (additive; the v3 API routes are untouched)."""

    async def token(request: Request) -> JSONResponse:
        oauth.urls.append(str(request.url))
        if request.method != "POST" or request.url.query:
            return JSONResponse(
                {"error": "invalid_request", "error_description": "POST a form body"}, 400
            )
        if request.headers.get("content-type", "").split(";")[0].strip() != FORM:
            return JSONResponse({"error": "invalid_request", "error_description": FORM}, 400)
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        status, body = oauth.exchange({k: v[0] for k, v in form.items()})
        return JSONResponse(body, status)

    app.add_api_route("/api/oauth/token", token, methods=["GET", "POST"])
    return app
