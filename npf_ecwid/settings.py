"""Process-wide settings from the environment and `.env`.

One typed model so every module reads the same names; secrets are `SecretStr` so they
stay out of reprs, logs and artifacts.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import load_dotenv
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from npf_ecwid.validation_text import describe_validation

DEFAULT_ECWID_API_URL = "https://app.ecwid.com/api/v3"
DEFAULT_ECWID_OAUTH_URL = "https://my.ecwid.com/api/oauth"


_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def is_loopback_host(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: traffic that never leaves this machine."""
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_api_url(value: str) -> str:
    """An Ecwid API base carries the store's token in every request: https only, except to a
    loopback address (the sandbox, a local TLS-terminating proxy)."""
    parsed = urlsplit(value)
    if not parsed.hostname or parsed.scheme not in {"https", "http"}:
        raise ValueError("must be an http(s) URL with a host")
    if parsed.scheme == "http" and not is_loopback_host(parsed.hostname):
        raise ValueError("must use https (plain http is allowed only to a loopback address)")
    return value


class WarehouseKind(StrEnum):
    """How the warehouse talks to us, for all three directions at once (`NPF_WAREHOUSE`).

    - `auto` (the default, the behaviour before the setting existed): orders to the `npf_order`
      tables, or as JSON files when `NPF_ORDER_OUTBOX` is set; stock from the client's inbox
      folder `inbox/stock/<CLIENT>/` when it exists, else `npf_stock`; shipments from the CSVs
      in `inbox/shipments/` (if any) added to `npf_shipment`, then `npf_shipment`.
    - `sql`: the interface tables only (`npf_order`/`npf_order_line` out, `npf_stock` and
      `npf_shipment` in); no folder is read or written.
    - `files`: files only: orders as JSON files in `NPF_ORDER_OUTBOX` (default
      `NPF_DATA_DIR/outbox/orders`), stock from `inbox/stock/<CLIENT>/` (no usable file = the
      sync is refused, never a fall-back to the table), shipments from `inbox/shipments/`.
    """

    AUTO = "auto"
    SQL = "sql"
    FILES = "files"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    clients_file: Path = Field(default=Path("clients.toml"), alias="NPF_CLIENTS")
    data_dir: Path = Field(default=Path("data"), alias="NPF_DATA_DIR")
    # Secret types: a database URL carries its password, an alert URL (a Slack/Teams incoming
    # webhook) is itself the credential; neither may show in a repr, a log or an artifact.
    database_url: SecretStr | None = Field(default=None, alias="DATABASE_URL")
    # Which adapters the three directions use (orders, stock, shipments): see `WarehouseKind`;
    # `npf_ecwid.wiring` is the one place that reads it.
    warehouse: WarehouseKind = Field(default=WarehouseKind.AUTO, alias="NPF_WAREHOUSE")
    # The order files' folder (`files`; with `auto`, setting it switches orders to files).
    order_outbox: Path | None = Field(default=None, alias="NPF_ORDER_OUTBOX")
    ecwid_api_url: str = Field(default=DEFAULT_ECWID_API_URL, alias="ECWID_API_URL")
    # Bound on each Ecwid request attempt (seconds); a hung request is retried after this.
    ecwid_timeout_s: float = Field(default=30.0, gt=0, alias="ECWID_TIMEOUT_S")
    ecwid_app_client_id: str | None = Field(default=None, alias="ECWID_APP_CLIENT_ID")
    ecwid_app_client_secret: SecretStr | None = Field(default=None, alias="ECWID_APP_CLIENT_SECRET")
    # OAuth endpoints (/authorize, /token) of the warehouse's Ecwid app; the sandbox emulates it.
    ecwid_oauth_url: str = Field(default=DEFAULT_ECWID_OAUTH_URL, alias="ECWID_OAUTH_URL")
    ecwid_app_redirect_uri: str | None = Field(default=None, alias="ECWID_APP_REDIRECT_URI")
    # Failure alerts are logged always and POSTed here when set (e.g. a Slack incoming webhook).
    alert_webhook_url: SecretStr | None = Field(default=None, alias="NPF_ALERT_WEBHOOK_URL")

    @field_validator("ecwid_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        return check_api_url(value)

    @model_validator(mode="after")
    def _one_warehouse(self) -> Settings:
        # Orders in the tables while an outbox is named: one of the two is a mistake, and
        # guessing which would hand orders to a place the WMS does not read.
        if self.warehouse is WarehouseKind.SQL and self.order_outbox is not None:
            raise ValueError(
                "NPF_WAREHOUSE=sql hands orders off in the npf_order tables, yet "
                "NPF_ORDER_OUTBOX is set: unset it, or use NPF_WAREHOUSE=files (or auto)"
            )
        return self

    @property
    def order_outbox_dir(self) -> Path | None:
        """Where order files go: None = the `npf_order` tables (see `WarehouseKind`)."""
        if self.warehouse is WarehouseKind.FILES:
            return self.order_outbox or self.data_dir / "outbox" / "orders"
        return self.order_outbox if self.warehouse is WarehouseKind.AUTO else None

    @property
    def effective_database_url(self) -> str:
        """`DATABASE_URL`, or an SQLite file under the data dir (the embedded default)."""
        if self.database_url and self.database_url.get_secret_value():
            return self.database_url.get_secret_value()
        return f"sqlite:///{(self.data_dir / 'npf.db').resolve()}"


@lru_cache(maxsize=1)
def _load_dotenv_once() -> None:
    # `.env` fills os.environ (never overriding it) so `env:VAR` token references resolve too.
    load_dotenv(Path.cwd() / ".env", override=False)


class SettingsError(ValueError):
    """A setting in the environment or `.env` that cannot be used; names the variable."""


def get_settings() -> Settings:
    """Settings as the environment says now (after `.env` was loaded once)."""
    _load_dotenv_once()
    try:
        return Settings()
    except ValidationError as error:
        # One line naming each variable; the value is not quoted (DATABASE_URL holds a password).
        problems = describe_validation(error, None)
        raise SettingsError(f"settings: {problems}") from None
