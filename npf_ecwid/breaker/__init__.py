"""Per-client token circuit breaker: once Ecwid refuses a client's token, stop using it.

Why: Ecwid blocks the calling IP "for much longer after 20 requests per minute or a total of
600 requests with non-working tokens per IP" (REST API overview, https://docs.ecwid.com/api-reference,
quoted in shared/research/ecwid-api.md; the local copy of docs/ecwid/api-reference.md is empty),
and every client's runs share the warehouse's IP. A revoked token retried every 5 minutes by
three flows would get every other client blocked within a day.

- `store`: the `npf_token_breaker` table and its plain functions (trip, close, read).
- `fingerprint`: a salted hash that tells "the same token" from "a replaced token" without
  keeping the token.
- `guard`: what the Ecwid client factory and the flows use: refuse before sending, trip on 401/403.
"""
