"""Who may ask for rates, end to end: onboard with the CLI against the sandbox (over HTTP), then
ask the rates app with what Ecwid would send: the store's app storage as `merchantAppSettings`.

Also: the OAuth code exchange is a POST form body, never a URL.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from cli import app as cli
from npf_ecwid.db import get_engine
from npf_ecwid.sandbox import Sandbox
from npf_ecwid.sandbox.oauth import OAuthApp
from npf_ecwid.shipping.app import create_app as create_rates_app
from npf_ecwid.shipping.ratecard import DEMO_RATES, load_rate_cards
from npf_ecwid.shipping.rates_keys import STORAGE_KEY, db_keys
from npf_ecwid.shipping.server import sample_request
from npf_ecwid.shipping.service import static_cards
from tests.dbs import upgraded
from tests.deployments import test_onboarding as onboarding

# The onboarding tests' fixtures: a module-wide sandbox (stores 1003, 2002; token GOOD for
# 1003) and `served`, that sandbox over HTTP with OAuth, settings and the clients file in tmp.
sandbox = onboarding.sandbox
served = onboarding.served
GOOD = onboarding.GOOD

CARDS = load_rate_cards(DEMO_RATES)
FORBIDDEN = {
    "error": "forbidden",
    "message": "no rates for this request: the store is not set up or its rates key is wrong",
}


@pytest.fixture
def world(
    served: tuple[OAuthApp, Path], sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> tuple[Sandbox, OAuthApp]:
    """The onboarding tests' sandbox over HTTP with OAuth (settings, clients file in tmp), plus
    a database in tmp and ACME's token in the environment. Stores 1003 and 2002 start with no
    app storage."""
    oauth, clients_file = served
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{clients_file.parent / 'npf.db'}")
    monkeypatch.setenv("ACME_ECWID_TOKEN", GOOD)
    for store in (1003, 2002):
        sandbox.store(store).app_storage.clear()
    return sandbox, oauth


def ecwid_request(sandbox: Sandbox, store_id: int) -> bytes:
    """Ecwid's example request for `store_id`, with that store's app storage as Ecwid sends it."""
    document: dict[str, Any] = copy.deepcopy(json.loads(sample_request()))
    document["storeId"] = store_id
    document["merchantAppSettings"] = sandbox.store(store_id).merchant_app_settings()
    return json.dumps(document).encode()


def ask(body: bytes, tmp: Path) -> httpx.Response:
    """The rates app (keys from the database the CLI wrote) answers `body`; sync because the
    tests drive the CLI, which runs its own event loop."""
    return asyncio.run(_ask(body, tmp))


async def _ask(body: bytes, tmp: Path) -> httpx.Response:
    cards = {1003: CARDS[1003], 2002: CARDS[1003]}
    rates = create_rates_app(
        static_cards(cards), rate_keys=db_keys(get_engine(upgraded(f"sqlite:///{tmp / 'npf.db'}")))
    )
    transport = httpx.ASGITransport(app=rates)
    async with httpx.AsyncClient(transport=transport, base_url="http://shipping") as http:
        return await http.post("/shipping/rates", content=body)


def test_onboarded_store_gets_rates_and_others_get_the_same_403(world, tmp_path) -> None:
    sandbox, _ = world
    added = CliRunner().invoke(
        cli, ["clients", "add", "ACME", "--store-id", "1003", "--token-env", "ACME_ECWID_TOKEN"]
    )
    assert added.exit_code == 0, added.output
    assert "ACME: rates key issued" in added.output
    key = sandbox.store(1003).app_storage[STORAGE_KEY]
    assert len(key) >= 40 and key not in added.output
    assert key not in (tmp_path / "clients.toml").read_text()

    keyed = ask(ecwid_request(sandbox, 1003), tmp_path)
    assert keyed.status_code == 200 and keyed.json()["shippingOptions"]

    unkeyed = json.loads(ecwid_request(sandbox, 1003))
    answers = []
    for settings in ({}, {STORAGE_KEY: key[:-1] + "x"}, {STORAGE_KEY: 12345}, None):
        unkeyed["merchantAppSettings"] = settings
        answers.append(ask(json.dumps(unkeyed).encode(), tmp_path))
    unknown = ask(ecwid_request(sandbox, 2002), tmp_path)  # a store never onboarded
    copied = json.loads(ecwid_request(sandbox, 2002))
    copied["merchantAppSettings"] = {STORAGE_KEY: key}  # 1003's key does not open 2002
    stolen = ask(json.dumps(copied).encode(), tmp_path)
    for response in [*answers, unknown, stolen]:
        assert (response.status_code, response.json()) == (403, FORBIDDEN)


def test_rates_key_reissue_replaces_the_old_key(world, tmp_path) -> None:
    sandbox, _ = world
    (tmp_path / "clients.toml").write_text(
        '[clients.ACME]\nstore_id = 1003\ntoken = "env:ACME_ECWID_TOKEN"\n'
    )
    old_body = None
    for _ in range(2):
        issued = CliRunner().invoke(cli, ["clients", "rates-key", "ACME"])
        assert issued.exit_code == 0, issued.output
        assert (ask(ecwid_request(sandbox, 1003), tmp_path)).status_code == 200
        if old_body is not None:
            assert (ask(old_body, tmp_path)).status_code == 403  # the old key is dead
        old_body = ecwid_request(sandbox, 1003)


def test_rates_key_without_the_storage_scope_fails_clearly(world) -> None:
    sandbox, _ = world
    sandbox.add_token("secret_no_profile_scope", 1003, scopes=["read_orders", "read_catalog"])
    Path("clients.toml").write_text(
        '[clients.ACME]\nstore_id = 1003\ntoken = "env:NARROW_TOKEN"\n', encoding="utf-8"
    )
    result = CliRunner(env={"NARROW_TOKEN": "secret_no_profile_scope"}).invoke(
        cli, ["clients", "rates-key"]
    )
    assert result.exit_code == 1
    assert "update_store_profile" in result.output
    assert "secret_no_profile_scope" not in result.output
    assert STORAGE_KEY not in sandbox.store(1003).app_storage


def test_oauth_onboarding_posts_the_code_in_a_form_body(world, tmp_path) -> None:
    sandbox, oauth = world
    code = oauth.grant_code(2002)
    added = CliRunner().invoke(cli, ["clients", "add", "BETA", "--oauth-code", code])
    assert added.exit_code == 0, added.output
    assert oauth.exchanges == 1 and oauth.urls
    for url in oauth.urls:
        assert code not in url and oauth.client_secret not in url and "?" not in url
    # the OAuth path issues the key too
    assert (ask(ecwid_request(sandbox, 2002), tmp_path)).status_code == 200


def test_sandbox_token_endpoint_refuses_the_old_get(world) -> None:
    _, oauth = world
    code = oauth.grant_code(2002)
    oauth_url = os.environ["ECWID_OAUTH_URL"] + "/token"
    params = {
        "client_id": oauth.client_id,
        "client_secret": oauth.client_secret,
        "code": code,
        "grant_type": "authorization_code",
    }
    assert httpx.get(oauth_url, params=params).status_code == 400  # Ecwid no longer takes it
    assert code in oauth.codes  # ... and the refused GET did not use the code up
    assert httpx.post(oauth_url, data=params).status_code == 200
