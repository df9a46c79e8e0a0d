"""Rate cards: what the warehouse charges each client store's customers for shipping.

One TOML file (by default `rates.toml` beside the clients file) with one `[stores.STORE_ID]`
table per Ecwid store. Validated once at load, with errors that name the store and field, so a
typo never turns into a wrong price at checkout. Example (see `demo_rates.toml` for a full one):

    [stores.1003]
    currency = "USD"        # optional; a request in another currency gets no options
    cubic_factor = 250      # kg per m3 for cubic (volumetric) weight
    handling_fee = 2.50     # added to every shipped option (not to pickup)

    [stores.1003.pickup]    # offered when the customer chose pickup (no shippingAddress)
    title = "Pick up at NPF Tullamarine"
    description = "Unit 3, 12 Example Rd, Tullamarine VIC 3043, weekdays 9-5"

    [[stores.1003.zones]]   # first matching zone wins: list the narrow ones first
    name = "vic-metro"
    countries = ["AU"]
    states = ["VIC"]        # empty = any state
    postcodes = ["3000-3207", "3800"]   # empty = any postcode

    [[stores.1003.services]]
    name = "standard"
    title = "Standard"
    description = "Tracked parcel"
    free_over = 150         # optional: subtotal >= this ships free

    [[stores.1003.rates]]   # one price table per (service, zone); no table = not offered
    service = "standard"
    zone = "vic-metro"
    transit_days = "1-2"
    bands = [{ up_to_kg = 1, price = 8.95 }, { up_to_kg = 5, price = 12.95 }]
    extra_per_kg = 1.50     # optional: beyond the last band, each started kg; else not offered
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from npf_ecwid.shipping.models import FulfilmentType
from npf_ecwid.toml_file import read_toml
from npf_ecwid.validation_text import describe_validation

DEMO_RATES = Path(__file__).with_name("demo_rates.toml")

Price = Annotated[Decimal, Field(ge=0, le=10**6)]
_POSTCODE_RANGE = re.compile(r"^\s*([A-Za-z0-9]+)\s*(?:-\s*([A-Za-z0-9]+)\s*)?$")


class RateCardError(ValueError):
    """A rate card file or store table that cannot be used; the message says where and why."""


def _upper_all(values: list[str]) -> list[str]:
    return [v.strip().upper() for v in values]


class PostcodeRange(BaseModel):
    """An inclusive range of numeric postcodes, or one exact (possibly alphanumeric) code."""

    model_config = ConfigDict(frozen=True)
    low: str
    high: str

    def contains(self, postcode: str) -> bool:
        """`postcode` as the customer typed it; a ZIP+4 (`10001-1234`) counts as its first part."""
        code = postcode.replace(" ", "").upper().partition("-")[0]
        if self.low.isdigit() and self.high.isdigit():
            return code.isdigit() and len(code) == len(self.low) and self.low <= code <= self.high
        return self.low == code


def _postcode_range(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    match = _POSTCODE_RANGE.match(text)
    if not match:
        raise ValueError(f"postcode range {text!r}: use '3000' or '3000-3207'")
    low, high = match.group(1).upper(), (match.group(2) or match.group(1)).upper()
    if high != low and not (low.isdigit() and high.isdigit() and len(low) == len(high)):
        raise ValueError(f"postcode range {text!r}: ranges need digits of equal length")
    if low > high:
        raise ValueError(f"postcode range {text!r}: start is after end")
    return PostcodeRange(low=low, high=high)


class Zone(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    countries: Annotated[list[str], AfterValidator(_upper_all)] = Field(min_length=1)
    states: Annotated[list[str], AfterValidator(_upper_all)] = Field(default_factory=list)
    postcodes: list[Annotated[PostcodeRange, BeforeValidator(_postcode_range)]] = Field(
        default_factory=list
    )

    def matches(self, country: str, state: str, postcode: str) -> bool:
        """Country in the list (`*` = any), state in the list if any, postcode in a range if any."""
        if "*" not in self.countries and country not in self.countries:
            return False
        if self.states and state not in self.states:
            return False
        return not self.postcodes or any(r.contains(postcode) for r in self.postcodes)


class Band(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    up_to_kg: Annotated[Decimal, Field(gt=0)]
    price: Price


class Service(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    title: str
    description: str = ""
    fulfilment_type: FulfilmentType = FulfilmentType.SHIPPING
    free_over: Price | None = None


class ZoneRate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    service: str
    zone: str
    transit_days: str = ""
    bands: list[Band] = Field(min_length=1)
    extra_per_kg: Price | None = None

    @model_validator(mode="after")
    def _bands_ascending(self) -> ZoneRate:
        limits = [b.up_to_kg for b in self.bands]
        if limits != sorted(set(limits)):
            raise ValueError("bands must be in strictly ascending up_to_kg order")
        return self


class Pickup(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    description: str = ""
    transit_days: str = ""
    rate: Price = Decimal(0)


class RateCard(BaseModel):
    """Everything needed to quote one store; `services` keep their file order in the answer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    store_id: int
    currency: str | None = None
    cubic_factor: Annotated[Decimal, Field(ge=0, le=10**4)] = Decimal(250)
    handling_fee: Price = Decimal(0)
    pickup: Pickup | None = None
    zones: list[Zone] = Field(default_factory=list)
    services: list[Service] = Field(default_factory=list)
    rates: list[ZoneRate] = Field(default_factory=list)
    _rate_index: dict[tuple[str, str], ZoneRate] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _references(self) -> RateCard:
        zones = {z.name for z in self.zones}
        services = {s.name for s in self.services}
        if len(zones) != len(self.zones) or len(services) != len(self.services):
            raise ValueError("zone and service names must be unique")
        seen: set[tuple[str, str]] = set()
        for rate in self.rates:
            if rate.zone not in zones:
                raise ValueError(f"rates: unknown zone {rate.zone!r}")
            if rate.service not in services:
                raise ValueError(f"rates: unknown service {rate.service!r}")
            if (rate.service, rate.zone) in seen:
                raise ValueError(f"rates: {rate.service!r} in {rate.zone!r} is given twice")
            seen.add((rate.service, rate.zone))
        return self

    def zone_for(self, country: str, state: str, postcode: str) -> Zone | None:
        return next((z for z in self.zones if z.matches(country, state, postcode)), None)

    def rate_for(self, service: str, zone: str) -> ZoneRate | None:
        return self._rate_index.get((service, zone))

    def model_post_init(self, _: Any) -> None:
        # A lookup table for the request path (validated unique in `_references`).
        self._rate_index = {(r.service, r.zone): r for r in self.rates}


def parse_rate_cards(document: dict[str, Any], source: str = "rate cards") -> dict[int, RateCard]:
    """Validate a parsed rate card document; raises `RateCardError` naming store and field."""
    stores = document.get("stores", {})
    if not isinstance(stores, dict):
        raise RateCardError(f"{source}: expected [stores.STORE_ID] tables")
    cards: dict[int, RateCard] = {}
    for key, table in stores.items():
        if not str(key).isdigit() or int(key) <= 0:
            raise RateCardError(f"{source}: [stores.{key}]: the key must be an Ecwid store id")
        if not isinstance(table, dict):
            raise RateCardError(f"{source}: [stores.{key}] must be a table")
        try:
            cards[int(key)] = RateCard.model_validate({**table, "store_id": int(key)})
        except ValidationError as error:
            raise RateCardError(
                f"{source}: store {key}: {describe_validation(error, 20)}"
            ) from None
    return cards


def load_rate_cards(path: Path) -> dict[int, RateCard]:
    """All stores' rate cards from a TOML file, keyed by Ecwid store id."""
    return parse_rate_cards(read_toml(path, "rate card file", RateCardError), source=str(path))


def rates_path_for(clients_file: Path) -> Path:
    """Where the rate cards live by default: `rates.toml` beside the clients file."""
    return clients_file.with_name("rates.toml")
