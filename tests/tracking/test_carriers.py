"""Carrier name normalisation and tracking URL templates."""

from __future__ import annotations

import pytest

from npf_ecwid.tracking.carriers import (
    URL_TEMPLATES,
    Carrier,
    normalise_carrier,
    tracking_url,
)


@pytest.mark.parametrize(
    ("name", "carrier"),
    [
        ("AusPost", Carrier.AUSTRALIA_POST),
        ("Australia Post", Carrier.AUSTRALIA_POST),
        ("AUSPOST", Carrier.AUSTRALIA_POST),
        ("australia_post", Carrier.AUSTRALIA_POST),
        ("Australia Post Parcel Post", Carrier.AUSTRALIA_POST),
        ("eParcel", Carrier.AUSTRALIA_POST),
        ("StarTrack", Carrier.STARTRACK),
        ("StarTrack (Australia Post)", Carrier.STARTRACK),
        ("Star Track Express", Carrier.STARTRACK),
        ("Couriers Please", Carrier.COURIERS_PLEASE),
        ("CouriersPlease", Carrier.COURIERS_PLEASE),
        ("CP", Carrier.COURIERS_PLEASE),
        ("Fastway", Carrier.ARAMEX),
        ("Aramex Australia", Carrier.ARAMEX),
        ("DHL Express", Carrier.DHL),
        ("dhl", Carrier.DHL),
        ("TNT Express", Carrier.TNT),
        ("Sendle", Carrier.SENDLE),
        ("FedEx", Carrier.FEDEX),
        ("UPS", Carrier.UPS),
    ],
)
def test_names_normalise_to_one_carrier(name: str, carrier: Carrier) -> None:
    assert normalise_carrier(name) is carrier


@pytest.mark.parametrize("name", [None, "", "   ", "Bob's Van", "groups", "pickup"])
def test_unknown_or_blank_names_are_none(name: str | None) -> None:
    assert normalise_carrier(name) is None


def test_every_carrier_has_an_https_template_with_the_number() -> None:
    for carrier in Carrier:
        url = tracking_url(carrier, "ABC123")
        assert url is not None and url.startswith("https://") and "ABC123" in url
    assert set(URL_TEMPLATES) == set(Carrier)


def test_tracking_url_quotes_the_number_and_knows_the_carrier_by_name() -> None:
    assert tracking_url("AusPost", " 33AB 1/2 ") == (
        "https://auspost.com.au/mypost/track/details/33AB%201%2F2"
    )
    assert tracking_url("Fastway", "XY1") == "https://www.aramex.com.au/tools/track?l=XY1"
    assert tracking_url("Bob's Van", "XY1") is None
    assert tracking_url(Carrier.DHL, "  ") is None
