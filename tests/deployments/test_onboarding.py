"""Onboarding against the sandbox: check verdicts, clients add (prompt, OAuth), no token leaks."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from cli import app
from npf_ecwid.config import load_clients, parse_client
from npf_ecwid.onboarding.check import Verdict, check_client
from npf_ecwid.sandbox import Sandbox, create_app, generate_store, serve_in_thread
from npf_ecwid.sandbox.app import ALL_SCOPES
from npf_ecwid.sandbox.oauth import OAuthApp, add_oauth_routes
from npf_ecwid.settings import get_settings

GOOD, WRONG, NARROW, OTHER = "secret_good1", "secret_wrong", "secret_narrow", "secret_other"
SHIPPER = "secret_shipper"


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    box = Sandbox([generate_store(1003, orders=5), generate_store(2002, orders=5)])
    box.add_token(GOOD, 1003)
    box.add_token(OTHER, 2002)
    box.add_token(SHIPPER, 1003, scopes=[*ALL_SCOPES, "add_shipping_method"])
    box.add_token(
        NARROW, 1003, scopes=["read_store_profile", "read_orders", "update_orders", "read_catalog"]
    )
    return box


def _client(code: str, var: str, store_id: int = 1003):
    return parse_client(code, {"store_id": store_id, "token": f"env:{var}"})


@pytest.mark.parametrize(
    ("token", "store_id", "verdict", "detail"),
    [
        (GOOD, 1003, Verdict.OK, "store 1003"),
        (WRONG, 1003, Verdict.WRONG_TOKEN, "invalid"),
        (NARROW, 1003, Verdict.MISSING_SCOPES, "update_catalog"),
        (OTHER, 1003, Verdict.WRONG_STORE, "store"),
    ],
)
async def test_check_verdicts(sandbox, monkeypatch, token, store_id, verdict, detail):
    monkeypatch.setenv("CHECK_TOKEN", token)
    transport = httpx.ASGITransport(app=create_app(sandbox))
    result = await check_client(
        _client("ACME", "CHECK_TOKEN", store_id), get_settings(), transport=transport
    )
    assert result.verdict is verdict, result.line
    assert detail in result.detail
    assert token not in result.line


@pytest.mark.parametrize(
    ("token", "shipping_rates", "verdict", "detail"),
    [
        (GOOD, True, Verdict.MISSING_SCOPES, "add_shipping_method"),
        (GOOD, False, Verdict.OK, "store 1003"),
        (SHIPPER, True, Verdict.OK, "store 1003"),
    ],
)
async def test_check_wants_the_shipping_scope_for_rates_clients(
    sandbox, monkeypatch, token, shipping_rates, verdict, detail
):
    """A client whose checkout calls our rates endpoint (`shipping_rates = true`) needs a token
    with `add_shipping_method`; the flows' scopes alone are not enough."""
    monkeypatch.setenv("CHECK_TOKEN", token)
    client = parse_client(
        "ACME", {"store_id": 1003, "token": "env:CHECK_TOKEN", "shipping_rates": shipping_rates}
    )
    transport = httpx.ASGITransport(app=create_app(sandbox))
    result = await check_client(client, get_settings(), transport=transport)
    assert result.verdict is verdict, result.line
    assert detail in result.detail
    if verdict is Verdict.MISSING_SCOPES:
        assert result.line == "ACME: missing scopes (add_shipping_method)"


async def test_check_token_not_set(sandbox, monkeypatch):
    monkeypatch.delenv("UNSET_TOKEN_VAR", raising=False)
    transport = httpx.ASGITransport(app=create_app(sandbox))
    result = await check_client(
        _client("ACME", "UNSET_TOKEN_VAR"), get_settings(), transport=transport
    )
    assert result.verdict is Verdict.TOKEN_NOT_SET
    assert "UNSET_TOKEN_VAR" in result.detail


@pytest.fixture
def served(sandbox, tmp_path, monkeypatch) -> Iterator[tuple[OAuthApp, Path]]:
    """A real HTTP sandbox with the OAuth endpoint; settings point at it; cwd = tmp."""
    oauth = OAuthApp(sandbox)
    with serve_in_thread(add_oauth_routes(create_app(sandbox), oauth)) as api_url:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("ECWID_API_URL", api_url)
        monkeypatch.setenv("ECWID_OAUTH_URL", api_url.removesuffix("/v3") + "/oauth")
        monkeypatch.setenv("ECWID_APP_CLIENT_ID", oauth.client_id)
        monkeypatch.setenv("ECWID_APP_CLIENT_SECRET", oauth.client_secret)
        monkeypatch.setenv("NPF_CLIENTS", str(tmp_path / "clients.toml"))
        for var in ("ACME_ECWID_TOKEN", "BETA_ECWID_TOKEN"):  # `clients add` exports them
            monkeypatch.setenv(var, "")
            monkeypatch.delenv(var)
        yield oauth, tmp_path / "clients.toml"


def test_cli_add_with_prompt_then_check_all(served, monkeypatch):
    _, clients_file = served
    clients_file.write_text('# our clients\n[clients.BAD]\nstore_id = 1003\ntoken = "env:BAD_T"\n')
    monkeypatch.setenv("BAD_T", WRONG)
    runner = CliRunner()
    added = runner.invoke(
        app,
        [
            "clients",
            "add",
            "ACME",
            "--store-id",
            "1003",
            "--order-prefix",
            "ACME-",
            "--countries",
            "AU,nz",
            "--stock",
            "available",
            "--timezone",
            "Europe/Berlin",
        ],
        input=GOOD + "\n",
    )
    assert added.exit_code == 0, added.output
    assert GOOD not in added.output  # hidden prompt: never echoed
    text = clients_file.read_text()
    assert text.startswith("# our clients") and GOOD not in text
    table = tomllib.loads(text)["clients"]["ACME"]
    assert table["token"] == "env:ACME_ECWID_TOKEN"
    assert table["countries"] == ["AU", "NZ"]
    assert load_clients(clients_file)["ACME"].stock.value == "available"
    assert f"ACME_ECWID_TOKEN={GOOD}" in (clients_file.parent / ".env").read_text()

    checked = runner.invoke(app, ["clients", "check"])
    assert checked.exit_code == 1  # BAD is not OK
    assert "BAD: wrong token" in checked.output
    assert "ACME: OK (store 1003" in checked.output
    assert GOOD not in checked.output and WRONG not in checked.output

    again = runner.invoke(app, ["clients", "add", "ACME", "--store-id", "1003"], input="x\n")
    assert again.exit_code == 1 and "already in" in again.output


def test_cli_add_with_oauth_code(served, sandbox):
    oauth, clients_file = served
    code = oauth.grant_code(2002)
    runner = CliRunner()
    added = runner.invoke(app, ["clients", "add", "BETA", "--oauth-code", code])
    assert added.exit_code == 0, added.output
    assert load_clients(clients_file)["BETA"].store_id == 2002
    token_line = (clients_file.parent / ".env").read_text().strip()
    assert token_line.startswith("BETA_ECWID_TOKEN=secret_")
    assert token_line.split("=", 1)[1] not in added.output + clients_file.read_text()
    assert runner.invoke(app, ["clients", "check", "BETA"]).output.startswith("BETA: OK")

    reused = runner.invoke(app, ["clients", "add", "GAMMA", "--oauth-code", code])
    assert reused.exit_code == 1 and "invalid_grant" in reused.output
    assert "GAMMA" not in clients_file.read_text()
