"""Property-based: no request body, however odd, makes the rates endpoint answer 5xx.

Three generators: arbitrary JSON documents, Ecwid's example with random subtrees replaced by
arbitrary JSON, and the example with plausible-but-edgy values in the fields a quote reads.
Every answer must be JSON with either `shippingOptions` in the documented shape (2xx) or an
`error` + `message` (4xx).
"""

from __future__ import annotations

import asyncio
import copy
import json
from decimal import Decimal
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from npf_ecwid.shipping.app import create_app
from npf_ecwid.shipping.ratecard import DEMO_RATES, load_rate_cards
from npf_ecwid.shipping.rates_keys import static_keys
from npf_ecwid.shipping.server import SAMPLE_KEY, sample_request
from npf_ecwid.shipping.service import static_cards

# The whole app (routing, body reading, error handlers) over ASGI, driven from one event loop
# (hypothesis calls sync tests); an exception escaping the app fails the test outright.
LOOP = asyncio.new_event_loop()
APP = httpx.AsyncClient(
    transport=httpx.ASGITransport(
        app=create_app(
            static_cards(load_rate_cards(DEMO_RATES)), rate_keys=static_keys({1003: SAMPLE_KEY})
        )
    ),
    base_url="http://shipping",
)
SEED: dict[str, Any] = json.loads(sample_request(SAMPLE_KEY))
OPTION_KEYS = {"title", "rate", "transitDays", "description", "fulfilmentType"}

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["kg", "LB", "oz", "CARAT", "IN", "YD", "MM", "AU", "VIC", "3000", "", " "])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, child in node.items():
            found += paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += paths(child, (*prefix, index))
    return found


SEED_PATHS = paths(SEED)[1:]


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    copied = copy.deepcopy(document)
    node = copied
    for step in path[:-1]:
        node = node[step]
    if value is DELETE and isinstance(node, dict):
        del node[path[-1]]
    else:
        node[path[-1]] = None if value is DELETE else value
    return copied


DELETE = object()


def check(body: bytes) -> None:
    response = LOOP.run_until_complete(APP.post("/shipping/rates", content=body))
    status, answer = response.status_code, response.json()
    assert status < 500, answer
    json.dumps(answer)  # the answer is JSON-serialisable as sent
    if status == 200:
        for option in answer["shippingOptions"]:
            assert set(option) == OPTION_KEYS
            rate = Decimal(str(option["rate"]))
            assert rate >= 0 and rate == rate.quantize(Decimal("0.01"))
    else:
        assert 400 <= status < 500 and set(answer) == {"error", "message"}


FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(json_values)
def test_arbitrary_json_never_5xx(document: Any) -> None:
    check(json.dumps(document).encode())


@FUZZ
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_5xx(body: bytes) -> None:
    check(body)


@FUZZ
@given(
    st.lists(
        st.tuples(st.sampled_from(SEED_PATHS), json_values | st.just(DELETE)),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_seed_never_5xx(mutations: list[tuple[tuple[Any, ...], Any]]) -> None:
    document: Any = SEED
    for path, value in mutations:
        try:
            document = replaced(document, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path's parent
    check(json.dumps(document).encode())


@FUZZ
@given(
    field=st.sampled_from(["weight", "subtotal", "length", "width", "height", "amount"]),
    literal=st.sampled_from(
        ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1" + "0" * 400, "1e9", "1E+9"]
    ),
)
def test_non_finite_and_huge_literals_never_5xx(field: str, literal: str) -> None:
    document = copy.deepcopy(SEED)
    cart = document["cart"]
    cart["dimensionUnit"] = "M"
    item = cart["items"][0]
    item["dimensions"] = {"length": 1, "width": 1, "height": 1}
    target = item["dimensions"] if field in {"length", "width", "height"} else item
    target = cart if field == "subtotal" else target
    target[field] = "@@"  # replaced by the literal as written (json.dumps cannot write 1e999)
    check(json.dumps(document).replace('"@@"', literal).encode())


@FUZZ
@given(depth=st.integers(min_value=1, max_value=20_000), kind=st.sampled_from("[{"))
def test_deep_nesting_never_5xx(depth: int, kind: str) -> None:
    opened = '{"a":' * depth if kind == "{" else "[" * depth
    closed = "}" * depth if kind == "{" else "]" * depth
    check(('{"storeId":1003,"cart":{"items":' + opened + "1" + closed + "}}").encode())


numbers = st.one_of(
    st.none(),
    st.integers(min_value=-5, max_value=10**12),
    st.floats(min_value=-1, max_value=1e12, allow_nan=False),
    st.decimals(min_value=0, max_value=10**6, places=6, allow_nan=False).map(float),
    # the bounds' edges and past them: 1e9 m boxes were a 500 (Decimal InvalidOperation)
    st.sampled_from([10**9, 1e9, 999_999_999.999, 10**9 + 1, 1e12, 1e308, 10**400, 5e-324]),
    st.floats(min_value=1e8, max_value=1e9),
)


@FUZZ
@given(
    weight=numbers,
    item_weight=numbers,
    amount=st.one_of(st.none(), st.integers(min_value=-2, max_value=10**10)),
    dims=st.lists(numbers, min_size=3, max_size=3),
    weight_unit=st.sampled_from(
        ["kg", "KILOGRAM", "g", "GRAM", "lb", "POUND", "oz", "OUNCE", "CARAT", "ct", None, "?"]
    ),
    dimension_unit=st.sampled_from(
        ["CM", "MM", "IN", "YD", "M", "METRE", "FT", "cm", None, "parsec"]
    ),
    country=st.sampled_from(["AU", "NZ", "US", "au", "", None, "XX"]),
    state=st.sampled_from(["VIC", "NSW", "QLD", "WA", "", None]),
    postcode=st.one_of(st.none(), st.text(max_size=8), st.integers(0, 9999).map(str)),
    subtotal=numbers,
    with_address=st.booleans(),
)
def test_edgy_values_in_the_fields_a_quote_reads(
    weight: Any,
    item_weight: Any,
    amount: Any,
    dims: list[Any],
    weight_unit: Any,
    dimension_unit: Any,
    country: Any,
    state: Any,
    postcode: Any,
    subtotal: Any,
    with_address: bool,
) -> None:
    document = copy.deepcopy(SEED)
    cart = document["cart"]
    cart.update(
        weight=weight, weightUnit=weight_unit, dimensionUnit=dimension_unit, subtotal=subtotal
    )
    item = cart["items"][0]
    item.update(weight=item_weight, amount=amount)
    item["dimensions"] = dict(zip(("length", "width", "height"), dims, strict=True))
    cart["predictedPackages"][0].update(zip(("length", "width", "height"), dims, strict=True))
    cart["predictedPackages"][0]["weight"] = weight
    if with_address:
        cart["shippingAddress"] = {
            "countryCode": country,
            "stateOrProvinceCode": state,
            "postalCode": postcode,
        }
    else:
        del cart["shippingAddress"]
    check(json.dumps(document).encode())
