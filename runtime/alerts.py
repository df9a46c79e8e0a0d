"""`on_failure` hook shared by every flow: log and (optionally) POST one alert per failed run.

Attach with `@flow(..., on_failure=[alert_on_failure])`. Prefect runs it once, after the
final failure (not on each retry). Hooks run client-side and are best effort (a killed process
runs none); the Prefect Automation in README "Alerts" is the server-side alternative.
"""

from __future__ import annotations

from typing import Any

from prefect.logging.loggers import flow_run_logger
from prefect.settings import PREFECT_UI_URL

from npf_ecwid.alerts import FailureAlert, describe_cause, post_alert
from npf_ecwid.settings import get_settings


def _exception_of(state: Any) -> BaseException | None:
    try:
        outcome = state.result(raise_on_failure=False)
    except Exception as error:  # result not retrievable (e.g. not persisted): keep the message
        return error if state.message is None else None
    return outcome if isinstance(outcome, BaseException) else None


def build_alert(flow: Any, flow_run: Any, state: Any) -> FailureAlert:
    """The alert for a failed run: the `client` parameter, the exception type and message."""
    parameters = getattr(flow_run, "parameters", None) or {}
    ui_base = PREFECT_UI_URL.value()
    return FailureAlert(
        flow=getattr(flow, "name", str(flow)),
        client=parameters.get("client"),
        flow_run=getattr(flow_run, "name", None) or str(flow_run.id),
        cause=describe_cause(_exception_of(state), state.message),
        ui_url=f"{ui_base}/runs/flow-run/{flow_run.id}" if ui_base else None,
    )


def alert_on_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """Log `ALERT ...` on the run (visible in the UI) and POST it to NPF_ALERT_WEBHOOK_URL."""
    alert = build_alert(flow, flow_run, state)
    logger = flow_run_logger(flow_run, flow)
    logger.error("ALERT %s", alert.text)
    url = get_settings().alert_webhook_url
    if url and not post_alert(url.get_secret_value(), alert):
        logger.warning("alert could not be delivered to NPF_ALERT_WEBHOOK_URL")
