"""The clients file: one `[clients.CODE]` table per Ecwid store the warehouse serves.

Every field is validated once, here, with an error that names the client and the field, so a
typo in one client's table is reported plainly and never reaches a flow. Tokens are never
stored in the file: `token` is a reference, `env:VAR` or `secret:BLOCK` (a Prefect Secret
block), resolved at run time by `resolve_token`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from datetime import date, time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

from npf_ecwid.ecwid.models import FulfillmentStatus, PaymentStatus
from npf_ecwid.settings import check_api_url
from npf_ecwid.toml_file import read_toml
from npf_ecwid.validation_text import describe_validation


class ConfigError(ValueError):
    """A clients file or client table that cannot be used; the message says where and why."""


class StockMode(StrEnum):
    ON_HAND = "on_hand"
    AVAILABLE = "available"
    OFF = "off"


class StatusMeaning(StrEnum):
    """What a merchant's custom status means to the warehouse (`custom_statuses`)."""

    OPEN = "open"  # the default: the order is live (handed off, holds stock)
    SHIPPED = "shipped"  # done: its units are no longer the warehouse's stock
    CANCELLED = "cancelled"  # do not ship: `npf_order.cancelled_at` is set, holds no stock


# Ecwid's custom statuses; each store names them (docs/ecwid/api-reference/rest-api/orders/
# search-orders.md lists them among `paymentStatus` / `fulfillmentStatus` values).
CustomStatus = Literal[
    "CUSTOM_FULFILLMENT_STATUS_1",
    "CUSTOM_FULFILLMENT_STATUS_2",
    "CUSTOM_FULFILLMENT_STATUS_3",
    "CUSTOM_PAYMENT_STATUS_1",
    "CUSTOM_PAYMENT_STATUS_2",
    "CUSTOM_PAYMENT_STATUS_3",
]


_CLIENT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
_TOKEN_REF = re.compile(r"^(env|secret):[A-Za-z0-9_.-]+$")


def _country_code(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z]{2}", value):
        raise ValueError(f"{value!r} is not a two-letter ISO country code")
    return value.upper()


def _time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not a known IANA time zone") from None
    return value


CountryCode = Annotated[str, AfterValidator(_country_code)]

# What an Ecwid token may look like once stripped: printable ASCII, no spaces. Ecwid's are
# `secret_...`/`public_...`; anything with whitespace or control characters inside is a paste
# accident, and sending it fails every call (and puts the raw value into httpcore's logs).
_TOKEN_SHAPE = re.compile(r"^[\x21-\x7e]{1,4096}$")


def clean_token(raw: str, where: str) -> SecretStr:
    """The token with surrounding whitespace (a trailing newline) removed, or a `ConfigError`
    that says what is wrong with it without ever quoting it."""
    value = raw.strip()
    if not value:
        raise ConfigError(f"{where}: the token is empty")
    if not _TOKEN_SHAPE.match(value):
        raise ConfigError(
            f"{where}: the token has spaces, control or non-ASCII characters inside; paste it again"
        )
    return SecretStr(value)


class ClientConfig(BaseModel):
    """One client store and how the warehouse serves it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    store_id: int = Field(gt=0)
    token: str = Field(description="`env:VAR` or `secret:BLOCK`; never the token itself")
    api_url: str | None = None
    order_start_date: date | None = None
    order_prefix: str = ""
    countries: list[CountryCode] = Field(default_factory=list)
    fulfillment_statuses: list[FulfillmentStatus] = Field(default_factory=list)
    payment_statuses: list[PaymentStatus] = Field(default_factory=list)
    push_tracking_url: bool = False
    disable_customer_notifications: bool = False
    shipping_rates: bool = False  # Ecwid calls our rates endpoint: token needs add_shipping_method
    custom_statuses: dict[CustomStatus, StatusMeaning] = Field(default_factory=dict)
    stock: StockMode = StockMode.OFF
    stock_time: time = time(18, 0)
    timezone: Annotated[str, AfterValidator(_time_zone)] = "Australia/Melbourne"
    order_interval_minutes: int = Field(default=5, ge=1, le=1440)
    stock_max_feed_age_hours: float = Field(default=26.0, gt=0)
    stock_max_zero_share: float = Field(default=0.5, ge=0, le=1)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not _CLIENT_CODE.match(value):
            raise ValueError("use letters, digits, '-' or '_' (at most 40)")
        return value

    @field_validator("token")
    @classmethod
    def _token_ref(cls, value: str) -> str:
        if not _TOKEN_REF.match(value):
            # Never echo the value: someone may have pasted a real token here.
            raise ValueError("must be a reference, 'env:VAR' or 'secret:BLOCK', not a token")
        return value

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, value: str | None) -> str | None:
        return None if value is None else check_api_url(value)

    def statuses_meaning(self, *meanings: StatusMeaning) -> frozenset[str]:
        """The custom statuses this client maps to any of `meanings` (unmapped ones: open)."""
        return frozenset(status for status, m in self.custom_statuses.items() if m in meanings)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def ecwid_base_url(self, default_api_url: str) -> str:
        return (self.api_url or default_api_url).rstrip("/")


def parse_client(code: str, table: dict[str, Any]) -> ClientConfig:
    """Validate one client table; raises `ConfigError` naming the client and field."""
    if not isinstance(table, dict):
        raise ConfigError(f"client {code}: expected a table [clients.{code}]")
    try:
        return ClientConfig.model_validate({**table, "code": code})
    except ValidationError as error:
        detail = describe_validation(error, None, top="(table)", label="field ")
        raise ConfigError(f"client {code}: {detail}") from None


def load_clients(path: Path) -> dict[str, ClientConfig]:
    """All clients in the file, in file order. Fails on the first invalid client table."""
    document = read_toml(path, "clients file", ConfigError, " (set NPF_CLIENTS)")
    tables = document.get("clients", {})
    if not isinstance(tables, dict):
        raise ConfigError(f"clients file {path}: expected [clients.CODE] tables")
    refuse_case_twins(tables, path)
    return {code: parse_client(code, table) for code, table in tables.items()}


def refuse_case_twins(codes: Iterable[str], path: Path) -> None:
    """Client codes that differ only by case name one store twice to an operator (and collide
    in case-insensitive places: Prefect lane and deployment names, file systems): refused."""
    seen: dict[str, str] = {}
    for code in codes:
        twin = seen.setdefault(code.casefold(), code)
        if twin != code:
            raise ConfigError(
                f"clients file {path}: client codes {twin} and {code} differ only by case"
            )


def get_client(path: Path, code: str) -> ClientConfig:
    clients = load_clients(path)
    try:
        return clients[code]
    except KeyError:
        known = ", ".join(clients) or "none"
        raise ConfigError(f"client {code}: not in {path} (known: {known})") from None


SecretLoader = Callable[[str], str]


def resolve_token(client: ClientConfig, load_secret: SecretLoader | None = None) -> SecretStr:
    """The client's Ecwid token. `secret:` references need a loader (Prefect Secret blocks
    live outside this package, which never imports Prefect)."""
    kind, _, name = client.token.partition(":")
    if kind == "env":
        value = os.environ.get(name, "")
        if not value.strip():
            raise ConfigError(f"client {client.code}: token variable {name} is not set")
        return clean_token(value, f"client {client.code}: token variable {name}")
    if load_secret is None:
        raise ConfigError(f"client {client.code}: secret:{name} needs a Prefect Secret loader")
    try:
        value = load_secret(name)
    except Exception as error:  # the block store's own errors vary; name the block, not the value
        raise ConfigError(
            f"client {client.code}: Prefect Secret block {name!r} could not be loaded "
            f"({type(error).__name__})"
        ) from None
    if not value or not value.strip():
        raise ConfigError(f"client {client.code}: Prefect Secret block {name!r} is empty")
    return clean_token(value, f"client {client.code}: Prefect Secret block {name!r}")
