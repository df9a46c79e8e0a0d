"""Typed views of the Ecwid v3 JSON we use.

Parse at the edge: responses become these models once, in the client; nothing downstream
reads raw dicts. Unknown fields are ignored and status strings stay plain `str`, because
Ecwid adds statuses (`OUT_FOR_DELIVERY`, `CUSTOM_FULFILLMENT_STATUS_1`, ...) over time.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel


def parse_ecwid_datetime(value: Any) -> Any:
    """Ecwid writes dates as `2024-05-01 05:26:28 +0000`; make them aware UTC datetimes."""
    if isinstance(value, str) and value:
        if len(value) == 25 and value[19] == " ":
            # Ecwid's shape, via fromisoformat: strptime is ~150x slower and was most of the
            # time spent parsing a page of orders.
            try:
                return datetime.fromisoformat(value[:19] + value[20:]).astimezone(UTC)
            except ValueError:
                pass
        try:
            return datetime.strptime(value, "%Y-%m-%d %H:%M:%S %z").astimezone(UTC)
        except ValueError:
            return value  # let pydantic try ISO 8601 and report a clear error otherwise
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    return value


def format_ecwid_datetime(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +0000")


EcwidDateTime = Annotated[datetime, BeforeValidator(parse_ecwid_datetime)]


def number_as_text(value: Any) -> Any:
    """A `number/string` field as text: `5` -> `"5"`, `5.0` -> `"5"`, `"4-9 days"` kept.

    Why: Ecwid documents some fields as either ("Depending on the store settings it can be a
    number, for example, `5` or a string - `4-9 days`": `shippingOption.estimatedTransitTime`,
    docs/ecwid/api-reference/rest-api/orders/search-orders.md, get-order.md). Normalised to one
    type at the edge, so nothing downstream branches on it. Booleans are not numbers here.
    """
    if isinstance(value, bool):
        return value  # let pydantic reject it
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return str(int(value)) if value.is_integer() else repr(value)
    return value


def none_as_empty(value: Any) -> Any:
    """`null` for a list means no entries. The docs type these as arrays and Ecwid omits empty
    ones; a `null` (the Java client's fields are all nullable, `FetchedOrder.kt`) must not make
    a whole order or product unreadable. Only on small lists (an order's items, a line's
    options): on a large one it costs a Python copy of the list first (see `Page`)."""
    return [] if value is None else value


def none_as_false(value: Any) -> Any:
    """A `null` boolean flag such as a product's `unlimited` is the flag not set."""
    return False if value is None else value


NumberOrText = Annotated[str, BeforeValidator(number_as_text)]
_T = TypeVar("_T")
NullableList = Annotated[list[_T], BeforeValidator(none_as_empty)]


class FulfillmentStatus(StrEnum):
    AWAITING_PROCESSING = "AWAITING_PROCESSING"
    PROCESSING = "PROCESSING"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    WILL_NOT_DELIVER = "WILL_NOT_DELIVER"
    RETURNED = "RETURNED"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    CUSTOM_FULFILLMENT_STATUS_1 = "CUSTOM_FULFILLMENT_STATUS_1"
    CUSTOM_FULFILLMENT_STATUS_2 = "CUSTOM_FULFILLMENT_STATUS_2"
    CUSTOM_FULFILLMENT_STATUS_3 = "CUSTOM_FULFILLMENT_STATUS_3"


class PaymentStatus(StrEnum):
    AWAITING_PAYMENT = "AWAITING_PAYMENT"
    PAID = "PAID"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    INCOMPLETE = "INCOMPLETE"
    CUSTOM_PAYMENT_STATUS_1 = "CUSTOM_PAYMENT_STATUS_1"
    CUSTOM_PAYMENT_STATUS_2 = "CUSTOM_PAYMENT_STATUS_2"
    CUSTOM_PAYMENT_STATUS_3 = "CUSTOM_PAYMENT_STATUS_3"


class EcwidModel(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown fields ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


# --- orders -------------------------------------------------------------------------------


class Person(EcwidModel):
    """`shippingPerson` / `billingPerson`. `street` holds address lines 1 and 2 joined by `\\n`."""

    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    street: str | None = None
    city: str | None = None
    country_code: str | None = None
    country_name: str | None = None
    postal_code: str | None = None
    state_or_province_code: str | None = None
    state_or_province_name: str | None = None
    phone: str | None = None


class ShippingOption(EcwidModel):
    shipping_carrier_name: str | None = None
    shipping_method_name: str | None = None
    shipping_method_id: str | None = None
    shipping_rate: float | None = None
    # `number/string` in the docs (orders/search-orders.md, "shippingOption"): always text here.
    estimated_transit_time: NumberOrText | None = None
    is_pickup: bool | None = None
    pickup_instruction: str | None = None
    fulfillment_type: str | None = None  # SHIPPING | PICKUP | DELIVERY


class SelectedOption(EcwidModel):
    name: str | None = None
    value: str | None = None


class OrderItem(EcwidModel):
    id: int | None = None
    product_id: int | None = None
    combination_id: int | None = None
    sku: str | None = None  # the variation's SKU when the chosen options match a variation
    name: str | None = None
    quantity: int | None = None
    price: float | None = None
    weight: float | None = None
    is_shipping_required: bool | None = None
    digital: bool | None = None
    selected_options: NullableList[SelectedOption] = Field(default_factory=list)


class Order(EcwidModel):
    """One Ecwid order. `id` is the string order ID customers see, prefix/suffix included."""

    id: str
    internal_id: int | None = None
    email: str | None = None
    payment_status: str | None = None
    fulfillment_status: str | None = None
    subtotal: float | None = None
    total: float | None = None
    tax: float | None = None
    refunded_amount: float | None = None
    payment_method: str | None = None
    customer_id: int | None = None
    order_comments: str | None = None
    private_admin_notes: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    hidden: bool | None = None
    disable_all_customer_notifications: bool | None = None
    create_date: EcwidDateTime | None = None
    update_date: EcwidDateTime | None = None
    create_timestamp: int | None = None
    update_timestamp: int | None = None
    pickup_time: EcwidDateTime | None = None
    items: NullableList[OrderItem] = Field(default_factory=list)
    shipping_person: Person | None = None
    billing_person: Person | None = None
    shipping_option: ShippingOption | None = None

    @property
    def updated_at(self) -> datetime | None:
        """`updateTimestamp` when present (exact), else the parsed `updateDate`."""
        if self.update_timestamp is not None:
            return datetime.fromtimestamp(self.update_timestamp, tz=UTC)
        return self.update_date


class DeletedOrder(EcwidModel):
    """One entry of `GET /orders/deleted`, the store's deleted-items history
    (docs/ecwid/api-reference/rest-api/store-profile/store-reports/get-deleted-items-history.md).

    `id` is the order's internal id (a number in the docs); `order_id` its string id, prefix
    included, as the official Java client reads it (`DeletedOrder.kt`: `orderId: String?`, so
    it may be missing). `date` is when it was deleted."""

    id: int
    order_id: str | None = None
    date: EcwidDateTime


class OrderUpdate(EcwidModel):
    """The body of `PUT /orders/{id}` as we send it.

    Deliberately has no `items`: Ecwid deletes every item a PUT with `items` leaves out.
    Serialise with `to_body()` so unset fields are not sent (a partial update).
    """

    fulfillment_status: str | None = None
    payment_status: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    disable_all_customer_notifications: bool | None = None
    private_admin_notes: str | None = None
    external_fulfillment: bool | None = None
    external_order_id: str | None = None

    def to_body(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, exclude_none=True)


# --- catalogue ----------------------------------------------------------------------------


class Combination(EcwidModel):
    """A product variation. No `sku` means it inherits the product's SKU and stock."""

    id: int
    combination_number: int | None = None
    sku: str | None = None
    quantity: int | None = None
    unlimited: bool | None = None
    in_stock: bool | None = None


class Product(EcwidModel):
    """`quantity` is absent for unlimited-stock products."""

    id: int
    sku: str | None = None
    name: str | None = None
    quantity: int | None = None
    unlimited: Annotated[bool, BeforeValidator(none_as_false)] = False
    in_stock: bool | None = None
    enabled: bool | None = None
    combinations: NullableList[Combination] = Field(default_factory=list)
    update_timestamp: int | None = None


# --- store profile ------------------------------------------------------------------------


class GeneralInfo(EcwidModel):
    store_id: int
    store_url: str | None = None


class FormatsAndUnits(EcwidModel):
    currency: str | None = None
    weight_unit: str | None = None
    dimensions_unit: str | None = None
    timezone: str | None = None
    order_number_prefix: str | None = None
    order_number_suffix: str | None = None


class StoreSettings(EcwidModel):
    store_name: str | None = None
    closed: bool | None = None


class Profile(EcwidModel):
    general_info: GeneralInfo
    settings: StoreSettings | None = None
    formats_and_units: FormatsAndUnits | None = None


class TokenInfo(EcwidModel):
    """`GET /application/token`: the scopes a token carries."""

    permissions: NullableList[str] = Field(default_factory=list)


# --- envelopes ----------------------------------------------------------------------------

T = TypeVar("T")


class Page(EcwidModel, Generic[T]):
    """Ecwid's search envelope `{total, count, offset, limit, items}`."""

    total: int
    count: int
    offset: int
    limit: int
    # No `null` handling here: a BeforeValidator on the page's `items` makes pydantic turn the
    # whole page into Python objects before validating it (measured: 0.44 -> 0.73 s CPU per
    # 5,000 orders); Ecwid always sends the list.
    items: list[T] = Field(default_factory=list)


class UpdateResult(EcwidModel):
    update_count: int
    warning: str | None = None
