"""Failure alerts name the flow, the client and the cause, and never carry a token."""

from __future__ import annotations

import pytest
from prefect import flow

from npf_ecwid.alerts import FailureAlert, describe_cause, post_alert, redact
from runtime.alerts import alert_on_failure
from tests.deployments.webhook_receiver import webhook_receiver

TOKEN = "secret_AbC123xyz"


def test_redact_blanks_credentials_but_keeps_the_sentence():
    text = f"401 for Bearer {TOKEN} at /orders?token={TOKEN}&limit=5, key {TOKEN}"
    cleaned = redact(text)
    assert TOKEN not in cleaned
    assert cleaned == "401 for Bearer *** at /orders?token=***&limit=5, key ***"


def test_cause_is_one_redacted_line():
    cause = describe_cause(RuntimeError(f"boom\n  with {TOKEN}"))
    assert cause == "RuntimeError: boom with ***"
    assert describe_cause(None, "Flow run crashed") == "Flow run crashed"


def test_post_alert_delivers_json_and_survives_a_dead_endpoint():
    alert = FailureAlert(flow="sync-orders", client="ACME", flow_run="brave-fox", cause="X: y")
    with webhook_receiver() as (url, received):
        assert post_alert(url, alert)
    assert received[0]["client"] == "ACME"
    assert received[0]["text"] == "sync-orders failed for client ACME, run brave-fox: X: y"
    assert not post_alert(url, alert, timeout=1)  # server gone: False, not an exception
    with webhook_receiver(status=500) as (url, _):
        assert not post_alert(url, alert)


@flow(name="alert-probe", on_failure=[alert_on_failure])
def failing_flow(client: str) -> None:
    raise PermissionError(f"Ecwid answered 403 INVALID_API_TOKEN for {TOKEN}")


@pytest.mark.prefect
def test_failed_run_alerts_with_client_and_cause(prefect_server, monkeypatch):
    with webhook_receiver() as (url, received):
        monkeypatch.setenv("NPF_ALERT_WEBHOOK_URL", url)
        state = failing_flow("ACME", return_state=True)
    assert state.is_failed()
    assert len(received) == 1
    alert = received[0]
    assert (alert["flow"], alert["client"]) == ("alert-probe", "ACME")
    assert alert["cause"] == "PermissionError: Ecwid answered 403 INVALID_API_TOKEN for ***"
    assert TOKEN not in str(alert)
    assert alert["ui_url"] is None or "/runs/flow-run/" in alert["ui_url"]
