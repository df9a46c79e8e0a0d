"""Ecwid's webhook signature: `X-Ecwid-Webhook-Signature` =
base64(HMAC-SHA256(key=app client secret, msg=f"{eventCreated}.{eventId}")).

It covers only those two fields, not the body, so a captured signature could be replayed with
another body; the receiver therefore also refuses stale events and remembers event ids.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from pydantic import SecretStr

SIGNATURE_HEADER = "X-Ecwid-Webhook-Signature"


def sign(secret: SecretStr, event_created: int, event_id: str) -> str:
    message = f"{event_created}.{event_id}".encode()
    digest = hmac.new(secret.get_secret_value().encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify(secret: SecretStr, event_created: int, event_id: str, signature: str | None) -> bool:
    """True only for the exact signature; compared in constant time."""
    if not signature:
        return False
    expected = sign(secret, event_created, event_id)
    return hmac.compare_digest(expected.encode("ascii"), signature.strip().encode("utf-8"))
