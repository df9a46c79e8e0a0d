"""Carrier names and public tracking-page URLs.

The WMS writes whatever carrier text its operators or label software produce ("AusPost",
"Australia Post eParcel", "AUSPOST", "Fastway"). `normalise_carrier` maps those to one
`Carrier`; `tracking_url` builds the carrier's public tracking page for a parcel when the
warehouse gives no URL of its own. A hand-written table rather than a library: no maintained
Python package covers the Australian carriers, and the templates are plain data.
"""

from __future__ import annotations

import re
from enum import StrEnum
from urllib.parse import quote


class Carrier(StrEnum):
    AUSTRALIA_POST = "australia_post"
    STARTRACK = "startrack"
    COURIERS_PLEASE = "couriers_please"
    ARAMEX = "aramex"  # Aramex Australia, formerly Fastway Couriers
    DHL = "dhl"  # DHL Express
    TNT = "tnt"
    SENDLE = "sendle"
    FEDEX = "fedex"
    UPS = "ups"


# `{number}` is replaced by the URL-quoted tracking number.
URL_TEMPLATES: dict[Carrier, str] = {
    Carrier.AUSTRALIA_POST: "https://auspost.com.au/mypost/track/details/{number}",
    Carrier.STARTRACK: "https://startrack.com.au/track/details/{number}",
    Carrier.COURIERS_PLEASE: "https://www.couriersplease.com.au/tools-track/no/{number}",
    Carrier.ARAMEX: "https://www.aramex.com.au/tools/track?l={number}",
    Carrier.DHL: "https://www.dhl.com/au-en/home/tracking/tracking-express.html"
    "?submit=1&tracking-id={number}",
    Carrier.TNT: "https://www.tnt.com/express/en_au/site/shipping-tools/tracking.html"
    "?searchType=con&cons={number}",
    Carrier.SENDLE: "https://track.sendle.com/tracking?ref={number}",
    Carrier.FEDEX: "https://www.fedex.com/fedextrack/?trknbr={number}",
    Carrier.UPS: "https://www.ups.com/track?tracknum={number}",
}

# Spellings seen in WMS exports and label software, compared on lowercase letters and digits only.
# Order matters for the substring pass: more specific names first ("StarTrack (Australia Post)"
# is StarTrack, "TNT FedEx" is TNT).
_ALIASES: list[tuple[Carrier, tuple[str, ...]]] = [
    (Carrier.STARTRACK, ("startrack", "startrackexpress", "stexpress", "st")),
    (Carrier.COURIERS_PLEASE, ("couriersplease", "courierplease", "cp", "cpl")),
    (Carrier.ARAMEX, ("aramex", "aramexaustralia", "aramexau", "fastway", "fastwaycouriers")),
    (Carrier.SENDLE, ("sendle",)),
    (Carrier.TNT, ("tnt", "tntaustralia", "tntexpress")),
    (Carrier.DHL, ("dhl", "dhlexpress", "dhlecommerce")),
    (Carrier.FEDEX, ("fedex", "federalexpress")),
    (Carrier.UPS, ("ups", "unitedparcelservice")),
    (
        Carrier.AUSTRALIA_POST,
        ("australiapost", "auspost", "austpost", "aupost", "ap", "eparcel", "expresspost"),
    ),
]
_EXACT: dict[str, Carrier] = {
    alias: carrier for carrier, aliases in _ALIASES for alias in (carrier.value, *aliases)
}
_EXACT.update({re.sub(r"[^a-z0-9]", "", c.value): c for c in Carrier})
# Only names long enough not to occur by accident inside other words are matched as substrings.
_SUBSTRINGS: list[tuple[str, Carrier]] = [
    (alias, carrier) for carrier, aliases in _ALIASES for alias in aliases if len(alias) >= 5
]


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def normalise_carrier(name: str | None) -> Carrier | None:
    """The carrier a free-text name means, or None when it is blank or unknown.

    Tries, in turn: the whole name ("AUSPOST", "Australia Post", "australia_post"), each word
    ("DHL eCommerce", "TNT Express"), then known names inside it ("Australia Post Parcel Post").
    """
    if not name or not name.strip():
        return None
    whole = _squash(name)
    if whole in _EXACT:
        return _EXACT[whole]
    for word in re.findall(r"[a-z0-9]+", name.lower()):
        if word in _EXACT and len(word) >= 3:
            return _EXACT[word]
    for alias, carrier in _SUBSTRINGS:
        if alias in whole:
            return carrier
    return None


def tracking_url(carrier: str | Carrier | None, number: str) -> str | None:
    """The carrier's public tracking page for one parcel, or None for an unknown carrier."""
    known = carrier if isinstance(carrier, Carrier) else normalise_carrier(carrier)
    if known is None or not number.strip():
        return None
    return URL_TEMPLATES[known].format(number=quote(number.strip(), safe=""))
