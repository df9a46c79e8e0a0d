"""A token's fingerprint: `salt$hash`, a salted SHA-256 of the token, never the token.

The breaker stores the fingerprint of the token Ecwid refused, so a run can tell whether the
token in env/.env/the Secret block is still that one (keep skipping) or has been replaced
(try it). Tokens are long random strings (`secret_` + 32 characters), so a salted hash cannot
be reversed or guessed; the per-row salt keeps equal tokens of two clients from looking equal.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from pydantic import SecretStr

_HASH_CHARS = 32


def _digest(salt: str, token: SecretStr) -> str:
    material = f"{salt}:{token.get_secret_value()}".encode()
    return hashlib.sha256(material).hexdigest()[:_HASH_CHARS]


def fingerprint(token: SecretStr, salt: str | None = None) -> str:
    """`salt$hash` for `token` (a fresh random salt unless given)."""
    salt = salt or secrets.token_hex(8)
    return f"{salt}${_digest(salt, token)}"


def same_token(stored: str | None, token: SecretStr) -> bool:
    """True when `token` is the one `stored` was taken from (constant-time compare)."""
    if not stored or "$" not in stored:
        return False
    salt, _, digest = stored.partition("$")
    return hmac.compare_digest(digest, _digest(salt, token))
