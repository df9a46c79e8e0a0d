"""The webhook body and the rule for which events start an order sync.

Which events matter: `order.created`, `order.updated` and `order.deleted` are the ones that can
change what the order pull brings to the warehouse. A deletion is only a nudge: the pull it
starts reads Ecwid's deleted-orders history (the source of truth, `npf_ecwid.orders.deletions`)
and marks the order cancelled if the warehouse has it; the event's own data is not used.
`unfinished_order.*` (abandoned carts), products, customers and the profile are acknowledged
and ignored. App lifecycle events that end the app's access to the store (`token_refusal`)
trip the client's token breaker instead.

Echoes: the integration's own writes fire webhooks too (Ecwid sends them for REST changes).
Our only order write is the tracking push, which sets `fulfillmentStatus=SHIPPED` (and the
tracking number) and never touches the payment status. Rule: an `order.updated` whose payment
status is unchanged and whose new fulfilment status is SHIPPED is treated as an echo. This
holds whoever made the change: an order that has shipped has left the warehouse, so the order
pull has nothing to bring in for it, and skipping such events cannot lose an order. The
interval schedule remains the safety net for anything a webhook does not trigger.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

ORDER_SYNC_EVENTS = frozenset({"order.created", "order.updated", "order.deleted"})
ECHO_FULFILLMENT_STATUSES = frozenset({"SHIPPED"})


class WebhookEvent(BaseModel):
    """One Ecwid webhook delivery; unknown fields are ignored, `data` kept as sent."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    event_id: Annotated[str, Field(min_length=1, max_length=200)]
    event_created: Annotated[int, Field(ge=0, le=2**40)]
    store_id: Annotated[int, Field(gt=0, le=2**63 - 1)]
    event_type: Annotated[str, Field(min_length=1, max_length=100)]
    entity_id: int | str | None = None
    data: dict[str, Any] | None = None


def is_echo(event: WebhookEvent) -> bool:
    """An `order.updated` that only reflects a shipment (see the module docstring)."""
    if event.event_type != "order.updated" or not event.data:
        return False
    data = event.data
    payment_unchanged = data.get("oldPaymentStatus") == data.get("newPaymentStatus")
    return payment_unchanged and data.get("newFulfillmentStatus") in ECHO_FULFILLMENT_STATUSES


def ignore_reason(event: WebhookEvent) -> str | None:
    """Why this event starts no order sync, or None if it should start one."""
    if event.event_type not in ORDER_SYNC_EVENTS:
        return f"{event.event_type[:40]} events do not start an order sync"
    if is_echo(event):
        return "echo of a shipment update"
    return None


# App-level events (list of webhook events, https://docs.ecwid.com/build-apps/webhook-automations/
# learn-ecwid-webhooks/list-of-webhook-events, quoted in shared/research/ecwid-api.md):
# `application.uninstalled` revokes the app's token for that store. An app subscription that
# turns SUSPENDED (statuses ACTIVE, SUSPENDED, TRIAL per
# docs/ecwid/api-reference/rest-api/application/get-app-subscription-status.md) is treated the
# same. The webhook's data field names are not documented here, so any SUSPENDED value in
# `data` counts (UNVERIFIED).
UNINSTALLED = "application.uninstalled"
SUBSCRIPTION_CHANGED = "application.subscriptionStatusChanged"


def token_refusal(event: WebhookEvent) -> str | None:
    """Why this event means the store's token no longer works, or None."""
    at = datetime.fromtimestamp(event.event_created, UTC).strftime("%Y-%m-%d %H:%M UTC")
    if event.event_type == UNINSTALLED:
        return f"the app was uninstalled from store {event.store_id} ({UNINSTALLED} at {at})"
    if event.event_type == SUBSCRIPTION_CHANGED and "SUSPENDED" in _values(event.data):
        return (
            f"the app's subscription in store {event.store_id} is SUSPENDED "
            f"({SUBSCRIPTION_CHANGED} at {at})"
        )
    return None


def _values(data: dict[str, Any] | None) -> set[str]:
    return {str(v).upper() for v in (data or {}).values() if isinstance(v, str)}
