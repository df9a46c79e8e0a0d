"""Quoting: zones and postcodes, weight bands, cubic weight, fees, free shipping, pickup."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from npf_ecwid.shipping.models import ShippingRequest
from npf_ecwid.shipping.quote import band_price, chargeable_kg, quote
from npf_ecwid.shipping.ratecard import RateCard, parse_rate_cards

CARD = """
[stores.7]
cubic_factor = 250
handling_fee = 1.005
[stores.7.pickup]
title = "Pick up"
description = "Dock 4"
transit_days = "0"
[[stores.7.zones]]
name = "metro"
countries = ["AU"]
states = ["VIC"]
postcodes = ["3000-3207", "3800"]
[[stores.7.zones]]
name = "vic"
countries = ["au"]
states = ["vic"]
[[stores.7.zones]]
name = "nz"
countries = ["NZ"]
[[stores.7.services]]
name = "std"
title = "Standard"
free_over = 100
[[stores.7.services]]
name = "exp"
title = "Express"
fulfilment_type = "DELIVERY"
[[stores.7.rates]]
service = "std"
zone = "metro"
transit_days = "1-2"
bands = [{ up_to_kg = 1, price = 5 }, { up_to_kg = 5, price = 9 }]
extra_per_kg = 2
[[stores.7.rates]]
service = "exp"
zone = "metro"
transit_days = "1"
bands = [{ up_to_kg = 5, price = 20 }]
[[stores.7.rates]]
service = "std"
zone = "vic"
transit_days = "3"
bands = [{ up_to_kg = 5, price = 15 }]
"""


@pytest.fixture(scope="module")
def card() -> RateCard:
    import tomllib

    return parse_rate_cards(tomllib.loads(CARD))[7]


def request(**cart: Any) -> ShippingRequest:
    base: dict[str, Any] = {
        "weightUnit": "KILOGRAM",
        "dimensionUnit": "CM",
        "subtotal": 10,
        "shippingAddress": {
            "countryCode": "AU",
            "stateOrProvinceCode": "VIC",
            "postalCode": "3000",
        },
    }
    return ShippingRequest.model_validate({"storeId": 7, "cart": {**base, **cart}})


def rates(card: RateCard, **cart: Any) -> dict[str, Decimal]:
    return {o.title: o.rate for o in quote(request(**cart), card).options}


def test_metro_postcode_gets_both_services_with_handling_rounded_half_up(card: RateCard) -> None:
    # 0.8 kg -> first band 5.00, + handling 1.005 = 6.005 -> 6.01 (half-up, not banker's 6.00)
    assert rates(card, weight=0.8) == {"Standard": Decimal("6.01"), "Express": Decimal("21.01")}


def test_band_limits_are_inclusive_and_extra_kg_is_charged_per_started_kg(card: RateCard) -> None:
    assert rates(card, weight=1)["Standard"] == Decimal("6.01")
    assert rates(card, weight=1.001)["Standard"] == Decimal("10.01")
    # 6.2 kg: past the 5 kg band by 1.2 -> 2 started kg x 2 = 4, 9 + 4 + 1.005 = 14.005 -> 14.01
    assert rates(card, weight=6.2)["Standard"] == Decimal("14.01")


def test_service_without_extra_per_kg_is_not_offered_when_too_heavy(card: RateCard) -> None:
    assert set(rates(card, weight=6)) == {"Standard"}


@pytest.mark.parametrize(
    ("address", "zone_titles"),
    [
        (
            {"countryCode": "AU", "stateOrProvinceCode": "VIC", "postalCode": "3207"},
            {"Standard", "Express"},
        ),
        (
            {"countryCode": "AU", "stateOrProvinceCode": "VIC", "postalCode": "3800"},
            {"Standard", "Express"},
        ),
        (
            {"countryCode": "au", "stateOrProvinceCode": "vic", "postalCode": " 3000 "},
            {"Standard", "Express"},
        ),
        # just outside the metro range: the state-wide zone (standard only, 15 + 1.005)
        ({"countryCode": "AU", "stateOrProvinceCode": "VIC", "postalCode": "3208"}, {"Standard"}),
        ({"countryCode": "AU", "stateOrProvinceCode": "VIC", "postalCode": None}, {"Standard"}),
        ({"countryCode": "AU", "stateOrProvinceCode": "VIC", "postalCode": "30001"}, {"Standard"}),
        # a zone with no rates (NZ) and a country in no zone: no options, not a wrong price
        ({"countryCode": "NZ", "postalCode": "6011"}, set()),
        ({"countryCode": "US", "stateOrProvinceCode": "NY", "postalCode": "10001"}, set()),
        ({"countryCode": "AU", "stateOrProvinceCode": "NSW", "postalCode": "2000"}, set()),
        ({"countryCode": None}, set()),
        ({}, set()),
    ],
)
def test_zone_and_postcode_matching(
    card: RateCard, address: dict[str, Any], zone_titles: set[str]
) -> None:
    assert set(rates(card, weight=1, shippingAddress=address)) == zone_titles


def test_state_zone_price(card: RateCard) -> None:
    address = {"countryCode": "AU", "stateOrProvinceCode": "VIC", "postalCode": "3550"}
    assert rates(card, weight=1, shippingAddress=address) == {"Standard": Decimal("16.01")}


def test_unknown_destination_note_says_why(card: RateCard) -> None:
    result = quote(
        request(shippingAddress={"countryCode": "US", "stateOrProvinceCode": "NY"}), card
    )
    assert result.options == [] and "no zone for US/NY" in result.note


def test_free_shipping_threshold_on_subtotal(card: RateCard) -> None:
    assert rates(card, weight=1, subtotal=99.99)["Standard"] == Decimal("6.01")
    free = rates(card, weight=1, subtotal=100)
    assert free["Standard"] == Decimal("0.00") and free["Express"] == Decimal("21.01")


def test_no_shipping_address_means_pickup_only(card: RateCard) -> None:
    result = quote(request(shippingAddress=None, weight=50), card)
    assert [(o.title, o.rate, o.fulfilment_type.value) for o in result.options] == [
        ("Pick up", Decimal("0.00"), "PICKUP")
    ]


def test_delivery_fulfilment_type_from_the_card(card: RateCard) -> None:
    options = quote(request(weight=1), card).options
    assert {o.title: o.fulfilment_type.value for o in options} == {
        "Standard": "SHIPPING",
        "Express": "DELIVERY",
    }


def test_card_currency_mismatch_gets_no_options(card: RateCard) -> None:
    priced = card.model_copy(update={"currency": "AUD"})
    assert quote(request(weight=1, currency="aud"), priced).options
    result = quote(request(weight=1, currency="USD"), priced)
    assert result.options == [] and "currency" in result.note


# --- chargeable (cubic) weight --------------------------------------------------------------


def kg(card: RateCard, **cart: Any) -> Decimal:
    return chargeable_kg(request(**cart).cart, card.cubic_factor)


def test_cubic_weight_from_item_dimensions_beats_light_dead_weight(card: RateCard) -> None:
    # 40 x 30 x 20 cm = 0.024 m3 x 250 = 6 kg per item, x2 items = 12 kg > 1 kg dead weight
    item = {"weight": 0.5, "amount": 2, "dimensions": {"length": 40, "width": 30, "height": 20}}
    assert kg(card, items=[item]) == Decimal("12")
    assert kg(card, weight=1, items=[item]) == Decimal("12")


def test_dead_weight_beats_small_cubic_weight(card: RateCard) -> None:
    item = {"weight": 3, "amount": 2, "dimensions": {"length": 10, "width": 10, "height": 10}}
    assert kg(card, items=[item]) == Decimal("6")  # cubic 0.25 kg each


def test_predicted_packages_are_billed_each_on_their_greater_weight(card: RateCard) -> None:
    packages = [
        {"length": 40, "width": 30, "height": 20, "weight": 2},  # cubic 6 > 2
        {"length": 10, "width": 10, "height": 10, "weight": 4},  # 4 > cubic 0.25
    ]
    assert kg(card, weight=6, predictedPackages=packages) == Decimal("10")


def test_cubic_weight_in_inches_and_pounds(card: RateCard) -> None:
    # 10 x 10 x 10 in = 1000 in3 = 0.016387064 m3 x 250 = 4.096766 kg; dead 2 lb = 0.90718474 kg
    item = {"weight": 2, "dimensions": {"length": 10, "width": 10, "height": 10}}
    got = kg(card, weightUnit="lb", dimensionUnit="IN", items=[item])
    assert got == Decimal("4.096766000")


def test_cubic_weight_in_yards_and_millimetres(card: RateCard) -> None:
    yard = {"dimensions": {"length": 1, "width": 1, "height": 1}}  # 0.764554857984 m3
    assert kg(card, dimensionUnit="YD", items=[yard]) == Decimal("191.138714496")
    mm = {"dimensions": {"length": 400, "width": 300, "height": 200}}  # 0.024 m3
    assert kg(card, dimensionUnit="MM", items=[mm]) == Decimal("6")


def test_ounces_select_the_right_band(card: RateCard) -> None:
    # 35 oz = 0.992 kg (first band); 36 oz = 1.0206 kg (second band)
    assert rates(card, weightUnit="oz", weight=35)["Standard"] == Decimal("6.01")
    assert rates(card, weightUnit="OUNCE", weight=36)["Standard"] == Decimal("10.01")


def test_configurable_cubic_factor(card: RateCard) -> None:
    item = {"dimensions": {"length": 100, "width": 100, "height": 100}}  # 1 m3
    heavy = card.model_copy(update={"cubic_factor": Decimal(333)})
    assert chargeable_kg(request(items=[item]).cart, heavy.cubic_factor) == Decimal(333)


def test_band_price_directly(card: RateCard) -> None:
    std = card.rate_for("std", "metro")
    assert std is not None
    assert band_price(std, Decimal(0)) == Decimal(5)
    assert band_price(std, Decimal(7)) == Decimal(13)
