from pathlib import Path

import pytest

from npf_ecwid.config import ConfigError, StockMode, load_clients, resolve_token

GOOD = """
[clients.ACME]
store_id = 1003
token = "env:ACME_ECWID_TOKEN"
order_start_date = "2026-01-01"
order_prefix = "ACME-"
countries = ["au", "NZ"]
fulfillment_statuses = ["AWAITING_PROCESSING", "PROCESSING"]
payment_statuses = ["PAID"]
push_tracking_url = true
stock = "available"
stock_time = "18:00"
timezone = "Australia/Melbourne"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "clients.toml"
    path.write_text(text)
    return path


def test_design_example_loads(tmp_path: Path) -> None:
    acme = load_clients(write(tmp_path, GOOD))["ACME"]
    assert acme.store_id == 1003
    assert acme.countries == ["AU", "NZ"]
    assert acme.stock is StockMode.AVAILABLE
    assert acme.stock_time.hour == 18


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('countries = ["AUS"]', "client ACME: field countries.0: 'AUS' is not a two-letter"),
        ('payment_statuses = ["PAYED"]', "client ACME: field payment_statuses.0"),
        ('timezone = "Mars/Olympus"', "client ACME: field timezone: 'Mars/Olympus' is not"),
        ('stock = "some"', "client ACME: field stock"),
        ("colour = 1", "client ACME: field colour: unknown field"),
    ],
)
def test_bad_field_names_client_and_field(tmp_path: Path, line: str, expected: str) -> None:
    key = line.split(" = ")[0]
    kept = [old for old in GOOD.splitlines() if not old.startswith(key + " =")]
    with pytest.raises(ConfigError, match=expected.replace(".", r"\.")):
        load_clients(write(tmp_path, "\n".join([*kept, line]) + "\n"))


def test_pasted_token_is_refused_without_echoing_it(tmp_path: Path) -> None:
    text = GOOD.replace('"env:ACME_ECWID_TOKEN"', '"secret_AbCdEf0123456789"')
    with pytest.raises(ConfigError) as caught:
        load_clients(write(tmp_path, text))
    assert "field token" in str(caught.value)
    assert "AbCdEf0123456789" not in str(caught.value)


def test_token_resolves_from_env_and_missing_env_is_clear(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    acme = load_clients(write(tmp_path, GOOD))["ACME"]
    monkeypatch.delenv("ACME_ECWID_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="token variable ACME_ECWID_TOKEN is not set"):
        resolve_token(acme)
    monkeypatch.setenv("ACME_ECWID_TOKEN", "secret_abc")
    token = resolve_token(acme)
    assert token.get_secret_value() == "secret_abc"
    assert "secret_abc" not in repr(token)
