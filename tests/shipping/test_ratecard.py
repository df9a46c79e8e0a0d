"""Rate card files: the demo card loads; mistakes are reported with store and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from npf_ecwid.shipping.ratecard import (
    DEMO_RATES,
    RateCardError,
    load_rate_cards,
    rates_path_for,
)

MINIMAL = """
[stores.5]
[[stores.5.zones]]
name = "all"
countries = ["*"]
[[stores.5.services]]
name = "std"
title = "Standard"
[[stores.5.rates]]
service = "std"
zone = "all"
bands = [{ up_to_kg = 10, price = 5 }]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rates.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_demo_card_covers_the_sandbox_store() -> None:
    card = load_rate_cards(DEMO_RATES)[1003]
    assert card.pickup is not None
    assert card.zone_for("AU", "VIC", "3043").name == "melbourne-metro"
    assert card.zone_for("AU", "NSW", "2000").name == "east-coast-metro"
    assert card.zone_for("AU", "WA", "6000").name == "australia"
    assert card.zone_for("US", "NY", "10001").name == "international"


def test_rates_file_sits_beside_the_clients_file(tmp_path: Path) -> None:
    assert rates_path_for(tmp_path / "clients.toml") == tmp_path / "rates.toml"


def test_minimal_card_defaults(tmp_path: Path) -> None:
    card = load_rate_cards(write(tmp_path, MINIMAL))[5]
    assert card.cubic_factor == 250 and card.handling_fee == 0 and card.pickup is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("up_to_kg = 10", "up_to_kg = -1"), "store 5: rates.0.bands.0.up_to_kg"),
        (('zone = "all"', 'zone = "moon"'), "unknown zone 'moon'"),
        (('service = "std"', 'service = "fast"'), "unknown service 'fast'"),
        (
            ('countries = ["*"]', 'countries = ["*"]\npostcodes = ["3000-2000"]'),
            "start is after end",
        ),
        (('countries = ["*"]', 'countries = ["*"]\npostcodes = ["30-3000"]'), "equal length"),
        (
            ('title = "Standard"', 'title = "Standard"\ncolour = "red"'),
            "services.0.colour: unknown field",
        ),
        (("[stores.5]", "[stores.abc]"), "the key must be an Ecwid store id"),
        (("price = 5", "price = 5,"), "rates.toml"),
    ],
)
def test_mistakes_name_the_store_and_field(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = write(tmp_path, MINIMAL.replace(*change))
    with pytest.raises(RateCardError, match=message.replace("*", r"\*").replace("[", r"\[")):
        load_rate_cards(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RateCardError, match="not found"):
        load_rate_cards(tmp_path / "nope.toml")


def test_bands_must_ascend(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "bands = [{ up_to_kg = 10, price = 5 }]",
        "bands = [{ up_to_kg = 10, price = 5 }, { up_to_kg = 2, price = 1 }]",
    )
    with pytest.raises(RateCardError, match="ascending"):
        load_rate_cards(write(tmp_path, text))
