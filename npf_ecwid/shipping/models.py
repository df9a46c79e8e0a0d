"""Typed views of Ecwid's shipping-rates request and of our answer.

Parse at the edge: the POSTed cart becomes `ShippingRequest` once, in the app. Ecwid sends far
more than a quote needs (coupons, product options, variations, ...) and adds fields over time,
so unknown fields are ignored and every field we do read may be absent or `null`. Only what
would make a price wrong is refused: negative or non-finite weights, sizes and amounts, absurd
magnitudes, and unit names we cannot convert.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from npf_ecwid.ecwid.models import EcwidModel, Person
from npf_ecwid.shipping.units import length_unit, weight_unit

# Upper bound for any weight, size, amount or money value: far above any real cart, low enough
# that Decimal arithmetic on it never overflows the default 28-digit context.
MAX_MAGNITUDE = 10**9
# Lines in one cart. Ecwid documents no limit; 1000 is far above a real checkout and keeps one
# quote to about 5 ms (a 9,000-line cart took 46 ms). The 1 MB body cap allows ~2,000 lines.
MAX_CART_LINES = 1000

Measure = Annotated[Decimal, Field(ge=0, le=MAX_MAGNITUDE)]
Money = Annotated[Decimal, Field(ge=0, le=MAX_MAGNITUDE)]
WeightUnit = Annotated[str, AfterValidator(weight_unit)]
LengthUnit = Annotated[str, AfterValidator(length_unit)]


class _EcwidModel(EcwidModel):
    model_config = ConfigDict(allow_inf_nan=False)  # merged with EcwidModel's camelCase config


class Dimensions(_EcwidModel):
    length: Measure | None = None
    width: Measure | None = None
    height: Measure | None = None

    def volume(self) -> Decimal | None:
        """length x width x height in the request's dimension unit cubed; None if any is missing."""
        if self.length is None or self.width is None or self.height is None:
            return None
        return self.length * self.width * self.height


class CartItem(_EcwidModel):
    product_id: int | None = None
    sku: str | None = None
    name: str | None = None
    price: Decimal | None = None
    weight: Measure | None = None
    amount: Annotated[int, Field(ge=0, le=MAX_MAGNITUDE)] | None = None
    dimensions: Dimensions | None = None
    is_shipping_required: bool | None = None

    @property
    def count(self) -> int:
        """How many of this item are in the cart (`amount`; Ecwid's `quantity` is stock)."""
        return 1 if self.amount is None else self.amount


class PredictedPackage(Dimensions):
    weight: Measure | None = None
    declared_value: Decimal | None = None


class Cart(_EcwidModel):
    id: str | None = None
    subtotal: Money | None = None
    items: Annotated[list[CartItem], Field(max_length=MAX_CART_LINES)] | None = None
    weight: Measure | None = None
    weight_unit: WeightUnit | None = None
    dimension_unit: LengthUnit | None = None
    currency: str | None = None
    shipping_address: Person | None = None
    origin_address: Person | None = None
    predicted_packages: (
        Annotated[list[PredictedPackage], Field(max_length=MAX_CART_LINES)] | None
    ) = None

    @model_validator(mode="after")
    def _units_given_when_needed(self) -> Cart:
        items = self.items or []
        packages = self.predicted_packages or []
        weights = [self.weight, *(i.weight for i in items), *(p.weight for p in packages)]
        if self.weight_unit is None and any(w for w in weights):
            raise ValueError("weightUnit is required when the cart has weights")
        sized = [i.dimensions for i in items if i.dimensions] + list(packages)
        if self.dimension_unit is None and any(d.volume() for d in sized):
            raise ValueError("dimensionUnit is required when the cart has dimensions")
        return self


class ShippingRequest(_EcwidModel):
    """The body Ecwid POSTs to the shipping URL at checkout."""

    store_id: Annotated[int, Field(gt=0, le=2**63 - 1)]
    cart: Cart
    lang: str | None = None
    merchant_app_settings: dict[str, object] | None = None


class FulfilmentType(StrEnum):
    SHIPPING = "SHIPPING"
    DELIVERY = "DELIVERY"
    PICKUP = "PICKUP"


class ShippingOption(BaseModel):
    """One option in Ecwid's documented answer; note the single-l `fulfilmentType` there."""

    model_config = ConfigDict(frozen=True)

    title: str
    rate: Decimal
    transit_days: str = Field(serialization_alias="transitDays")
    description: str
    fulfilment_type: FulfilmentType = Field(serialization_alias="fulfilmentType")

    def to_ecwid(self) -> dict[str, object]:
        """The JSON object Ecwid expects: rate as a number with cents, never a string."""
        return {
            "title": self.title,
            "rate": float(self.rate),
            "transitDays": self.transit_days,
            "description": self.description,
            "fulfilmentType": self.fulfilment_type.value,
        }
