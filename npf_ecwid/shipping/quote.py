"""Pure quoting: a parsed cart and a store's rate card in, Ecwid shipping options out.

Guarantees: no I/O, deterministic; every rate is a `Decimal` rounded to cents half-up; when the
card cannot price a cart truthfully (destination in no zone, heavier than every band, another
currency) the answer has fewer or no options rather than a wrong price, and `Quote.note` says
why (for the server log, never for the customer).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from npf_ecwid.shipping.models import (
    Cart,
    Dimensions,
    FulfilmentType,
    ShippingOption,
    ShippingRequest,
)
from npf_ecwid.shipping.ratecard import RateCard, ZoneRate
from npf_ecwid.shipping.units import to_kg, to_m

CENT = Decimal("0.01")
ZERO = Decimal(0)
# Heavier (dead or cubic) than this no service carries: 100 t. Past it the answer is a 422,
# not a price: 1e9 m boxes are within the per-field bounds, but their cubic weight (1e29 kg)
# has more digits than Decimal's 28-digit context can round to cents (InvalidOperation, a 500).
MAX_CHARGEABLE_KG = Decimal(100_000)


class CartTooHeavy(ValueError):
    """The cart's chargeable weight is beyond any service: the request is wrong, not the card."""


@dataclass(frozen=True)
class Quote:
    options: list[ShippingOption]
    note: str = ""

    def to_ecwid(self) -> dict[str, list[dict[str, object]]]:
        """Ecwid's documented answer: `{"shippingOptions": [...]}`."""
        return {"shippingOptions": [option.to_ecwid() for option in self.options]}


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _cubic_kg(dimensions: Dimensions, unit: str | None, factor: Decimal) -> Decimal:
    volume = dimensions.volume()
    if not volume or unit is None:
        return ZERO
    metre = to_m(Decimal(1), unit)
    return volume * metre * metre * metre * factor


def _kg(weight: Decimal | None, unit: str | None) -> Decimal:
    return ZERO if not weight or unit is None else to_kg(weight, unit)


def chargeable_kg(cart: Cart, cubic_factor: Decimal) -> Decimal:
    """The weight carriers bill: the greater of dead weight and cubic weight.

    With Ecwid's `predictedPackages` (all with weights) each package is billed on its own
    greater weight, as carriers do. Otherwise the cart's `weight` (or the items' weights x
    amount) is compared with the items' summed cubic weight (dimensions x amount x factor).
    """
    packages = cart.predicted_packages or []
    if packages and all(p.weight is not None for p in packages):
        return sum(
            (
                max(
                    _kg(p.weight, cart.weight_unit),
                    _cubic_kg(p, cart.dimension_unit, cubic_factor),
                )
                for p in packages
            ),
            ZERO,
        )
    items = cart.items or []
    if cart.weight is not None:
        actual = _kg(cart.weight, cart.weight_unit)
    else:
        actual = sum((_kg(i.weight, cart.weight_unit) * i.count for i in items), ZERO)
    cubic = sum(
        (
            _cubic_kg(i.dimensions, cart.dimension_unit, cubic_factor) * i.count
            for i in items
            if i.dimensions is not None
        ),
        ZERO,
    )
    return max(actual, cubic)


def band_price(rate: ZoneRate, kg: Decimal) -> Decimal | None:
    """The price for `kg` from the bands (band limits inclusive); beyond the last band each
    started kg costs `extra_per_kg`, or the service is not offered (None)."""
    for band in rate.bands:
        if kg <= band.up_to_kg:
            return band.price
    last = rate.bands[-1]
    if rate.extra_per_kg is None:
        return None
    extra_kg = (kg - last.up_to_kg).to_integral_value(rounding=ROUND_CEILING)
    return last.price + extra_kg * rate.extra_per_kg


def _pickup(card: RateCard) -> Quote:
    if card.pickup is None:
        return Quote([], "pickup chosen but the rate card has no pickup option")
    option = ShippingOption(
        title=card.pickup.title,
        rate=cents(card.pickup.rate),
        transit_days=card.pickup.transit_days,
        description=card.pickup.description,
        fulfilment_type=FulfilmentType.PICKUP,
    )
    return Quote([option])


def quote(request: ShippingRequest, card: RateCard) -> Quote:
    """Shipping options for one checkout. No `shippingAddress` means the customer chose pickup:
    only the pickup option. Otherwise one option per service priced for the matched zone.
    Raises `CartTooHeavy` past `MAX_CHARGEABLE_KG`."""
    cart = request.cart
    if cart.shipping_address is None:
        return _pickup(card)
    if card.currency and cart.currency and cart.currency.strip().upper() != card.currency.upper():
        return Quote([], f"cart currency {cart.currency!r} is not the card's {card.currency}")
    address = cart.shipping_address
    country = (address.country_code or "").strip().upper()
    state = (address.state_or_province_code or "").strip().upper()
    postcode = (address.postal_code or "").strip()
    zone = card.zone_for(country, state, postcode) if country else None
    if zone is None:
        return Quote([], f"no zone for {country or '?'}/{state or '?'}/{postcode or '?'}")
    kg = chargeable_kg(cart, card.cubic_factor)
    if kg > MAX_CHARGEABLE_KG:
        raise CartTooHeavy(
            f"the cart's chargeable weight is over {MAX_CHARGEABLE_KG} kg "
            "(check the weights, dimensions and their units)"
        )
    options: list[ShippingOption] = []
    for service in card.services:
        rate = card.rate_for(service.name, zone.name)
        price = band_price(rate, kg) if rate else None
        if rate is None or price is None:
            continue
        free = service.free_over is not None and (cart.subtotal or ZERO) >= service.free_over
        options.append(
            ShippingOption(
                title=service.title,
                rate=ZERO.quantize(CENT) if free else cents(price + card.handling_fee),
                transit_days=rate.transit_days,
                description=service.description,
                fulfilment_type=service.fulfilment_type,
            )
        )
    note = "" if options else f"no service prices {kg:.3f} kg in zone {zone.name}"
    return Quote(options, note)
