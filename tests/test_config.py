import re
from pathlib import Path

import pytest
from pydantic import SecretStr

from npf_ecwid.config import ConfigError, StatusMeaning, StockMode, load_clients, resolve_token
from npf_ecwid.onboarding.clients_file import add_client
from npf_ecwid.onboarding.tokens import save_token_to_env
from npf_ecwid.settings import SettingsError, get_settings

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


@pytest.mark.parametrize("raw", ["secret_abc\n", "  secret_abc", "secret_abc\r\n"])
def test_token_is_stripped_of_paste_whitespace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    acme = load_clients(write(tmp_path, GOOD))["ACME"]
    monkeypatch.setenv("ACME_ECWID_TOKEN", raw)
    assert resolve_token(acme).get_secret_value() == "secret_abc"


@pytest.mark.parametrize("raw", ["secret_ab c", "secret_ab\x07c", "secret_äbc", "secret\nabc"])
def test_malformed_token_is_refused_without_echoing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    acme = load_clients(write(tmp_path, GOOD))["ACME"]
    monkeypatch.setenv("ACME_ECWID_TOKEN", raw)
    with pytest.raises(ConfigError, match="token variable ACME_ECWID_TOKEN: the token has") as e:
        resolve_token(acme)
    assert "secret" not in str(e.value).replace("ACME_ECWID_TOKEN", "")


def test_saved_token_is_clean_and_env_file_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("OTHER=1\n")
    env_file.chmod(0o644)  # as `cp .env.example .env` under a 022 umask leaves it
    monkeypatch.setenv("ACME_ECWID_TOKEN", "")
    save_token_to_env(env_file, "ACME_ECWID_TOKEN", SecretStr("secret_abc\n"))
    assert env_file.stat().st_mode & 0o777 == 0o600
    assert "ACME_ECWID_TOKEN=secret_abc\n" in env_file.read_text()
    save_token_to_env(env_file, "BETA_ECWID_TOKEN", SecretStr("secret_def"))
    assert env_file.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("api_url", "ok"),
    [
        ("https://app.ecwid.com/api/v3", True),
        ("http://127.0.0.1:8080/api/v3", True),
        ("http://localhost:8080/api/v3", True),
        ("http://[::1]:8080/api/v3", True),
        ("http://app.ecwid.com/api/v3", False),
        ("http://10.0.0.5/api/v3", False),
        ("ftp://127.0.0.1/api/v3", False),
    ],
)
def test_client_api_url_must_be_https_unless_loopback(
    tmp_path: Path, api_url: str, ok: bool
) -> None:
    path = write(tmp_path, GOOD + f'api_url = "{api_url}"\n')
    if ok:
        assert load_clients(path)["ACME"].api_url == api_url
    else:
        with pytest.raises(ConfigError, match="client ACME: field api_url"):
            load_clients(path)


def test_ecwid_api_url_setting_must_be_https_unless_loopback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ECWID_API_URL", "http://app.ecwid.com/api/v3")
    with pytest.raises(SettingsError, match="ECWID_API_URL: must use https"):
        get_settings()


def test_sql_kind_with_an_order_outbox_is_a_clear_settings_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NPF_WAREHOUSE", "sql")
    monkeypatch.setenv("NPF_ORDER_OUTBOX", str(tmp_path / "outbox"))
    with pytest.raises(SettingsError, match=r"NPF_WAREHOUSE=sql .* NPF_ORDER_OUTBOX is set"):
        get_settings()
    monkeypatch.setenv("NPF_WAREHOUSE", "tables")
    monkeypatch.delenv("NPF_ORDER_OUTBOX")
    with pytest.raises(SettingsError, match="NPF_WAREHOUSE: Input should be 'auto', 'sql'"):
        get_settings()


def test_client_codes_differing_only_by_case_are_refused(tmp_path: Path) -> None:
    twin = GOOD + GOOD.replace("[clients.ACME]", "[clients.acme]")
    with pytest.raises(ConfigError, match="client codes ACME and acme differ only by case"):
        load_clients(write(tmp_path, twin))
    path = write(tmp_path, GOOD)
    with pytest.raises(ConfigError, match="differ only by case"):
        add_client(path, "Acme", {"store_id": 1004, "token": "env:ACME2_ECWID_TOKEN"})


def test_database_and_alert_urls_are_secret_in_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://npf:pw-XYZ@db/npf")
    monkeypatch.setenv("NPF_ALERT_WEBHOOK_URL", "https://hooks.example.invalid/T0/B0/hook-XYZ")
    settings = get_settings()
    assert "pw-XYZ" not in repr(settings) and "hook-XYZ" not in repr(settings)
    assert settings.effective_database_url == "postgresql+psycopg://npf:pw-XYZ@db/npf"


def test_custom_statuses_map_to_open_shipped_or_cancelled(tmp_path: Path) -> None:
    text = GOOD + (
        "shipping_rates = true\n"
        "[clients.ACME.custom_statuses]\n"
        'CUSTOM_FULFILLMENT_STATUS_1 = "shipped"\n'
        'CUSTOM_PAYMENT_STATUS_2 = "cancelled"\n'
        'CUSTOM_FULFILLMENT_STATUS_3 = "open"\n'
    )
    acme = load_clients(write(tmp_path, text))["ACME"]
    assert acme.shipping_rates is True
    assert acme.statuses_meaning(StatusMeaning.CANCELLED) == {"CUSTOM_PAYMENT_STATUS_2"}
    done = acme.statuses_meaning(StatusMeaning.SHIPPED, StatusMeaning.CANCELLED)
    assert done == {"CUSTOM_FULFILLMENT_STATUS_1", "CUSTOM_PAYMENT_STATUS_2"}
    plain = load_clients(write(tmp_path, GOOD))["ACME"]
    assert plain.custom_statuses == {} and plain.shipping_rates is False  # default: all open


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            'CUSTOM_FULFILLMENT_STATUS_1 = "gone"',
            "client ACME: field custom_statuses.CUSTOM_FULFILLMENT_STATUS_1: Input should be "
            "'open', 'shipped' or 'cancelled'",
        ),
        (
            'CUSTOM_FULFILLMENT_STATUS_4 = "open"',
            "client ACME: field custom_statuses.CUSTOM_FULFILLMENT_STATUS_4.[key]: Input should "
            "be 'CUSTOM_FULFILLMENT_STATUS_1'",
        ),
        ('PAID = "shipped"', "field custom_statuses.PAID.[key]: Input should be 'CUSTOM_"),
    ],
)
def test_bad_custom_status_mapping_is_a_clear_error(
    tmp_path: Path, entry: str, expected: str
) -> None:
    text = GOOD + f"[clients.ACME.custom_statuses]\n{entry}\n"
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load_clients(write(tmp_path, text))
