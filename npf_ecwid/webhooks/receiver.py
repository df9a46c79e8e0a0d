"""The webhook endpoint's logic, without the web framework: (body, signature) in, answer out.

Order of checks, and why:
1. Parse (400/422): the signature needs `eventCreated` and `eventId` from the body.
2. Signature (401): base64 HMAC-SHA256 with the app client secret, constant-time compare.
   A 4xx makes Ecwid retry, which is right if our secret is misconfigured and then fixed.
3. Freshness. Ecwid signs `eventCreated`, so a retry carries the original time; it retries
   failed deliveries at 15 min, 30 min, ... up to 24 h. "Stale" here means older than
   `max_age` (default 15 min): such an event starts nothing, because the 5-minute schedule has
   synced since, and it is answered 200 so Ecwid stops retrying a delivery we cannot use.
   Older than `retry_horizon` (default 25 h, beyond Ecwid's last retry) or more than
   `max_skew` (5 min) in the future, it cannot be a genuine Ecwid delivery: 403.
4. Replay/duplicate (200, nothing done): a signed event id is remembered until it turns stale,
   so a retry or replay acts once; together with 3 nothing can act twice.
5. Store -> client via the clients file; unknown stores are acknowledged and logged (a store
   that installed the app but is not configured yet; retries would not help).
6. Event filter and echo rule (`events.ignore_reason`), then the debounced trigger.
Every accepted delivery is answered 200 at once; the sync starts off the request path.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

from pydantic import SecretStr

from npf_ecwid.shipping.service import Answer, error, parse_json_model
from npf_ecwid.webhooks.debounce import Debouncer
from npf_ecwid.webhooks.events import WebhookEvent, ignore_reason
from npf_ecwid.webhooks.replay import SeenEvents
from npf_ecwid.webhooks.signature import verify
from npf_ecwid.webhooks.stores import StoreLookup

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64_000


class WebhookReceiver:
    def __init__(
        self,
        secret: SecretStr,
        stores: StoreLookup,
        debouncer: Debouncer,
        *,
        max_age: float = 15 * 60,
        retry_horizon: float = 25 * 3600,
        max_skew: float = 5 * 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret
        self._stores = stores
        self.debouncer = debouncer
        self.max_age = max_age
        self.retry_horizon = retry_horizon
        self.max_skew = max_skew
        self._clock = clock
        self._seen = SeenEvents()
        self.outcomes: Counter[str] = Counter()

    def _answer(self, outcome: str, status: int = 200, **extra: str) -> Answer:
        self.outcomes[outcome] += 1
        return status, {"status": outcome, **extra}

    def handle(self, body: bytes, signature: str | None) -> Answer:
        """Answer one delivery. Call from the event loop (it may arm a debounced trigger)."""
        if len(body) > MAX_BODY_BYTES:
            self.outcomes["too_large"] += 1
            return error(413, "too_large", f"the webhook body is over {MAX_BODY_BYTES} bytes")
        event, problem = parse_json_model(WebhookEvent, body)
        if problem is not None:
            self.outcomes["invalid"] += 1
            return problem
        if not verify(self._secret, event.event_created, event.event_id, signature):
            self.outcomes["bad_signature"] += 1
            log.warning("webhook %r: missing or bad signature", event.event_id[:40])
            return error(401, "bad_signature", "missing or invalid X-Ecwid-Webhook-Signature")
        now = self._clock()
        age = now - event.event_created
        if age > self.retry_horizon or age < -self.max_skew:
            self.outcomes["impossible_time"] += 1
            log.warning(
                "webhook %r: eventCreated %s is %.0f s from now",
                event.event_id[:40],
                event.event_created,
                age,
            )
            return error(403, "stale", "eventCreated is outside the accepted window")
        if age > self.max_age:
            log.info(
                "webhook %r: stale (%.0f s old), acknowledged, nothing started",
                event.event_id[:40],
                age,
            )
            return self._answer("stale")
        if not self._seen.first_time(event.event_id, event.event_created + self.max_age, now):
            return self._answer("duplicate")
        codes = self._stores(event.store_id)
        if not codes:
            log.warning("webhook for store %s, which is in no client table", event.store_id)
            return self._answer("ignored", reason="unknown store")
        reason = ignore_reason(event)
        if reason is not None:
            return self._answer("ignored", reason=reason)
        for code in codes:
            self.debouncer.submit(code)
        return self._answer("queued")
