"""`runtime.artifacts.artifact_key`: every valid client code gives a key Prefect accepts."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from prefect.client.schemas.actions import ArtifactCreate

from runtime.artifacts import artifact_key

CLIENT_CODES = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_-]{0,39}\Z")  # config._CLIENT_CODE


@given(code=CLIENT_CODES, kind=st.sampled_from(["sync-orders", "tracking-push", "stock-sync"]))
def test_every_client_code_gives_a_key_prefect_accepts(code: str, kind: str):
    key = artifact_key(kind, code)
    assert ArtifactCreate(key=key, type="table", data=[]).key == key  # Prefect's own check
    assert key.startswith(f"{kind}-")


def test_keys_read_as_the_client_code():
    assert artifact_key("sync-orders", "ACME") == "sync-orders-acme"
    assert artifact_key("stock-sync", "Big_Shop") == "stock-sync-big-shop"
    assert artifact_key("tracking-push", "a__b-c") == "tracking-push-a-b-c"
