"""The signature formula against a vector computed independently with openssl:
printf '%s' "1234567.80aece08-40e8-4145-8764-6c2f0d38678" \
  | openssl dgst -sha256 -hmac "app-client-secret" -binary | base64
"""

from __future__ import annotations

from pydantic import SecretStr

from npf_ecwid.webhooks.signature import sign, verify

SECRET = SecretStr("app-client-secret")
EVENT_ID = "80aece08-40e8-4145-8764-6c2f0d38678"
EXPECTED = "MWwRlhNSPUghRih5WEJVok0YMCMM6qDDoQtS4kPQm34="


def test_sign_matches_openssl() -> None:
    assert sign(SECRET, 1234567, EVENT_ID) == EXPECTED


def test_verify_accepts_only_the_exact_signature() -> None:
    assert verify(SECRET, 1234567, EVENT_ID, EXPECTED)
    assert not verify(SECRET, 1234568, EVENT_ID, EXPECTED)
    assert not verify(SECRET, 1234567, EVENT_ID + "x", EXPECTED)
    assert not verify(SecretStr("other"), 1234567, EVENT_ID, EXPECTED)
    assert not verify(SECRET, 1234567, EVENT_ID, EXPECTED[:-2])
    assert not verify(SECRET, 1234567, EVENT_ID, "")
    assert not verify(SECRET, 1234567, EVENT_ID, None)
    assert not verify(SECRET, 1234567, EVENT_ID, "ünïcode")
