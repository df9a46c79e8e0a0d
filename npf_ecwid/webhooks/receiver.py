"""The webhook endpoint's logic, without the web framework: (body, signature) in, answer out.

What each delivery is answered, and why. Ecwid counts only 200/201/202/204/209 as delivered,
retries a failed delivery for about a day, and blocks the app's webhooks when its webhookUrl
has failed for two weeks (https://docs.ecwid.com/webhook-automations/setup-webhooks, quoted in
shared/research/ecwid-api.md; the local docs/ecwid copy has no webhook pages). Webhooks here
only nudge a sync that the 5-minute schedule runs anyway, so a redelivery never recovers
anything: a non-2xx is worth answering only to a caller that is not Ecwid. Everything that
points at OUR misconfiguration is answered 2xx and made loud here instead (ERROR + alert, at
most once an hour per problem: `loud.Loud`).

| case | answer | on our side |
|---|---|---|
| no app secret configured (`shipping/app.py`) | 200 `not_configured` | ERROR + alert |
| body over 64 KB | 413 | warning (Ecwid's are ~1 KB) |
| not JSON, fields missing | 400 / 422 | warning (Ecwid sends them all) |
| bad/missing signature, secret proven (*) | 401 | warning: forged |
| bad/missing signature, secret not proven | 200 `rejected` | ERROR + alert: check the secret |
| signed, over 48 h old or 5 min ahead | 200 `stale` | warning; nothing done |
| signed, event id already seen (48 h) | 200 `duplicate` | nothing done again |
| signed, store in no client table | 200 `ignored` | ERROR + alert, per store |
| app uninstalled / subscription SUSPENDED | 200 `token_refused` | token breaker trips; one alert |
| order event over 15 min old (a retry) | 200 `stale` | nothing started (schedule ran) |
| other events, our own shipment echoes | 200 `ignored` | |
| fresh `order.created` / `order.updated` | 200 `queued` | one debounced sync per client |

(*) proven: a delivery with a valid signature arrived in the last 48 h.

A forged request never reaches Ecwid's retry logic, so the 401 costs nothing; but a 401 to
Ecwid itself (our secret wrong) would, after two weeks, get the app's webhooks blocked, which
is why it is only answered once a valid signature has proven the secret. Ecwid signs
`eventCreated`, so a retry carries the original time: genuine retries (Ecwid's last is at
about 24 h) are accepted and deduplicated up to 48 h. An unexpected exception answers 500
(`shipping/app.py`): Ecwid's retry may then succeed (e.g. the database was down while an
uninstall was being recorded).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

from pydantic import SecretStr

from npf_ecwid.breaker.guard import TokenBreaker
from npf_ecwid.http_answers import Answer, error, parse_json_model
from npf_ecwid.webhooks.debounce import Debouncer
from npf_ecwid.webhooks.events import WebhookEvent, ignore_reason, token_refusal
from npf_ecwid.webhooks.loud import Loud
from npf_ecwid.webhooks.replay import SeenEvents
from npf_ecwid.webhooks.signature import verify
from npf_ecwid.webhooks.stores import StoreLookup

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64_000
RETRY_HORIZON = 48 * 3600.0


class WebhookReceiver:
    def __init__(
        self,
        secret: SecretStr,
        stores: StoreLookup,
        debouncer: Debouncer,
        *,
        breaker: TokenBreaker | Callable[[], TokenBreaker] | None = None,
        loud: Loud | None = None,
        max_age: float = 15 * 60,
        retry_horizon: float = RETRY_HORIZON,
        max_skew: float = 5 * 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret
        self._stores = stores
        self.debouncer = debouncer
        self._breaker = breaker  # a factory is called on the first app event (opens the DB)
        self.loud = loud or Loud()
        self.max_age = max_age
        self.retry_horizon = retry_horizon
        self.max_skew = max_skew
        self._clock = clock
        self._seen = SeenEvents()
        self._good_signature_at: float | None = None
        self.outcomes: Counter[str] = Counter()

    @property
    def breaker(self) -> TokenBreaker | None:
        if callable(self._breaker) and not isinstance(self._breaker, TokenBreaker):
            self._breaker = self._breaker()
        return self._breaker

    def _answer(self, outcome: str, status: int = 200, **extra: str) -> Answer:
        self.outcomes[outcome] += 1
        return status, {"status": outcome, **extra}

    def _secret_proven(self, now: float) -> bool:
        seen = self._good_signature_at
        return seen is not None and now - seen <= self.retry_horizon

    def _bad_signature(self, event: WebhookEvent, now: float) -> Answer:
        if self._secret_proven(now):
            self.outcomes["bad_signature"] += 1
            self.loud.shout(
                "forged",
                f"webhook {event.event_id[:40]!r}: bad signature while the app secret is proven "
                "good: not from Ecwid, answered 401",
                level=logging.WARNING,
                alert=False,
            )
            return error(401, "bad_signature", "missing or invalid X-Ecwid-Webhook-Signature")
        self.loud.shout(
            "bad_signature",
            "webhooks: signatures do not match ECWID_APP_CLIENT_SECRET and none has for 48 h: "
            "check the secret against the app's client secret in Ecwid (deliveries are "
            "acknowledged meanwhile so Ecwid does not block the app's webhooks)",
        )
        return self._answer("rejected", reason="bad signature")

    def handle(self, body: bytes, signature: str | None) -> Answer:
        """Answer one delivery (see the module's table). Call from the event loop (it may arm
        a debounced trigger)."""
        if len(body) > MAX_BODY_BYTES:
            self.outcomes["too_large"] += 1
            self.loud.shout("too_large", "webhook body over 64 KB refused", level=logging.WARNING)
            return error(413, "too_large", f"the webhook body is over {MAX_BODY_BYTES} bytes")
        event, problem = parse_json_model(WebhookEvent, body)
        if problem is not None:
            self.outcomes["invalid"] += 1
            self.loud.shout(
                "invalid",
                f"webhook body refused: {problem[1].get('message')}",
                alert=False,
                level=logging.WARNING,
            )
            return problem
        now = self._clock()
        if not verify(self._secret, event.event_created, event.event_id, signature):
            return self._bad_signature(event, now)
        self._good_signature_at = now
        age = now - event.event_created
        if age > self.retry_horizon or age < -self.max_skew:
            log.warning(
                "webhook %r: eventCreated %s is %.0f s from now; acknowledged, nothing done",
                event.event_id[:40],
                event.event_created,
                age,
            )
            return self._answer("stale")
        forget_after = event.event_created + self.retry_horizon
        if not self._seen.first_time(event.event_id, forget_after, now):
            return self._answer("duplicate")
        codes = self._stores(event.store_id)
        if not codes:
            self.loud.shout(
                f"store:{event.store_id}",
                f"webhook {event.event_type[:40]} for store {event.store_id}, which is in no "
                "client table: onboard it (`npf-ecwid clients add`) or uninstall the app there",
            )
            return self._answer("ignored", reason="unknown store")
        refusal = token_refusal(event)
        if refusal is not None:
            return self._trip(codes, refusal)
        if age > self.max_age:
            log.info(
                "webhook %r: stale (%.0f s old), acknowledged, nothing started",
                event.event_id[:40],
                age,
            )
            return self._answer("stale")
        reason = ignore_reason(event)
        if reason is not None:
            return self._answer("ignored", reason=reason)
        for code in codes:
            self.debouncer.submit(code)
        return self._answer("queued")

    def _trip(self, codes: list[str], reason: str) -> Answer:
        """The app lost access to the store: stop its clients' runs calling Ecwid now."""
        breaker = self.breaker
        for code in codes:
            if breaker is None:
                self.loud.shout(f"refusal:{code}", f"client {code}: {reason}; no breaker here")
                continue
            if breaker.trip(code, reason):
                self.loud.shout(
                    f"refusal:{code}",
                    f"client {code}: {reason}: its runs make no Ecwid calls until "
                    f"`npf-ecwid clients check {code}` passes",
                )
        return self._answer("token_refused")
