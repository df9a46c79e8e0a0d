"""Weight and length units Ecwid sends in a shipping request, converted exactly.

Ecwid names the store's units in `cart.weightUnit` and `cart.dimensionUnit`. The docs list
KILOGRAM, GRAM, POUND, OUNCE, CARAT and IN, YD, CM, MM, but real requests use other spellings
(the documented example says `"kg"`), so every common spelling and case is accepted. Factors
are exact `Decimal`s (the international yard and pound are defined exactly), so a converted
weight never drifts by a float rounding step across a band edge.
"""

from __future__ import annotations

from decimal import Decimal

# Why a table and not a units library (pint): six exact factors and a spelling map are the
# whole need, and the request path stays free of a heavy import.
_KG_PER_UNIT: dict[str, Decimal] = {
    "KILOGRAM": Decimal(1),
    "GRAM": Decimal("0.001"),
    "POUND": Decimal("0.45359237"),
    "OUNCE": Decimal("0.028349523125"),  # 1/16 lb
    "CARAT": Decimal("0.0002"),
}
_WEIGHT_SPELLINGS: dict[str, str] = {
    **{name: "KILOGRAM" for name in ("KILOGRAM", "KILOGRAMS", "KILO", "KILOS", "KG", "KGS")},
    **{name: "GRAM" for name in ("GRAM", "GRAMS", "G", "GR", "GRS")},
    **{name: "POUND" for name in ("POUND", "POUNDS", "LB", "LBS")},
    **{name: "OUNCE" for name in ("OUNCE", "OUNCES", "OZ")},
    **{name: "CARAT" for name in ("CARAT", "CARATS", "CT", "CTS")},
}

_M_PER_UNIT: dict[str, Decimal] = {
    "MM": Decimal("0.001"),
    "CM": Decimal("0.01"),
    "M": Decimal(1),
    "IN": Decimal("0.0254"),
    "FT": Decimal("0.3048"),
    "YD": Decimal("0.9144"),
}
_LENGTH_SPELLINGS: dict[str, str] = {
    **{name: "MM" for name in ("MM", "MILLIMETER", "MILLIMETERS", "MILLIMETRE", "MILLIMETRES")},
    **{name: "CM" for name in ("CM", "CENTIMETER", "CENTIMETERS", "CENTIMETRE", "CENTIMETRES")},
    **{name: "M" for name in ("M", "METER", "METERS", "METRE", "METRES")},
    **{name: "IN" for name in ("IN", "INCH", "INCHES")},
    **{name: "FT" for name in ("FT", "FOOT", "FEET")},
    **{name: "YD" for name in ("YD", "YDS", "YARD", "YARDS")},
}


def _canonical(value: str, spellings: dict[str, str], kind: str) -> str:
    key = value.strip().upper().rstrip(".")
    try:
        return spellings[key]
    except KeyError:
        known = ", ".join(sorted(set(spellings.values())))
        raise ValueError(f"unknown {kind} unit {value[:20]!r} (expected one of {known})") from None


def weight_unit(value: str) -> str:
    """The canonical weight unit name for any accepted spelling; `ValueError` otherwise."""
    return _canonical(value, _WEIGHT_SPELLINGS, "weight")


def length_unit(value: str) -> str:
    """The canonical length unit name for any accepted spelling; `ValueError` otherwise."""
    return _canonical(value, _LENGTH_SPELLINGS, "dimension")


def to_kg(value: Decimal, unit: str) -> Decimal:
    """`value` in `unit` (any accepted spelling) as kilograms."""
    factor = _KG_PER_UNIT.get(unit)  # already canonical: the common case, parsed requests
    return value * (factor if factor is not None else _KG_PER_UNIT[weight_unit(unit)])


def to_m(value: Decimal, unit: str) -> Decimal:
    """`value` in `unit` (any accepted spelling) as metres."""
    factor = _M_PER_UNIT.get(unit)
    return value * (factor if factor is not None else _M_PER_UNIT[length_unit(unit)])
