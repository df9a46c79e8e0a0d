"""Unit conversion against hand-computed values (exact Decimal arithmetic)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from npf_ecwid.shipping.units import length_unit, to_kg, to_m, weight_unit


@pytest.mark.parametrize(
    ("value", "unit", "kg"),
    [
        ("2", "KILOGRAM", "2"),
        ("2", "kg", "2"),
        ("1500", "GRAM", "1.5"),
        ("1500", "g", "1.5"),
        ("1", "POUND", "0.45359237"),
        ("10", "lb", "4.5359237"),
        ("3", "LBS", "1.36077711"),
        ("16", "OUNCE", "0.45359237"),  # 16 oz = 1 lb exactly
        ("1", "oz", "0.028349523125"),
        ("5000", "CARAT", "1"),  # 1 ct = 0.2 g
        ("1", "ct", "0.0002"),
    ],
)
def test_weight_to_kg(value: str, unit: str, kg: str) -> None:
    assert to_kg(Decimal(value), unit) == Decimal(kg)


@pytest.mark.parametrize(
    ("value", "unit", "metres"),
    [
        ("10", "IN", "0.254"),
        ("1", "in", "0.0254"),
        ("36", "IN", "0.9144"),  # 36 in = 1 yd
        ("1", "YD", "0.9144"),
        ("2", "yd", "1.8288"),
        ("250", "MM", "0.25"),
        ("30", "CM", "0.3"),
        ("1", "M", "1"),
        ("3", "FT", "0.9144"),
    ],
)
def test_length_to_m(value: str, unit: str, metres: str) -> None:
    assert to_m(Decimal(value), unit) == Decimal(metres)


def test_spellings_are_canonicalised() -> None:
    assert weight_unit(" Kilogram ") == "KILOGRAM"
    assert weight_unit("lbs.") == "POUND"
    assert length_unit("Inches") == "IN"


@pytest.mark.parametrize("unit", ["STONE", "", "tons"])
def test_unknown_weight_unit_is_named(unit: str) -> None:
    with pytest.raises(ValueError, match="unknown weight unit"):
        weight_unit(unit)


def test_unknown_dimension_unit_is_named() -> None:
    with pytest.raises(ValueError, match="unknown dimension unit 'furlong'"):
        length_unit("furlong")
