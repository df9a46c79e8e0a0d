"""Misconfiguration made loud without flooding: an ERROR line and an alert per problem, at
most once per `interval` for the same key (a wrong app secret fails every delivery, hundreds
an hour; the operator needs one message, then a reminder, not hundreds).

Repeats inside the interval are counted and the count is given with the next message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from npf_ecwid.logfilter import Throttle

log = logging.getLogger("npf_ecwid.webhooks")

AlertSink = Callable[[str], None]  # posts one alert line (best effort, never raises)


class Loud:
    def __init__(
        self,
        alert: AlertSink | None = None,
        *,
        interval: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.alert = alert
        self.interval = interval
        self._throttle: Throttle[str] = Throttle(interval, clock=clock)
        self.alerts_sent = 0

    def shout(
        self, key: str, message: str, *, level: int = logging.ERROR, alert: bool = True
    ) -> bool:
        """Log (and alert) `message` unless `key` was shouted within `interval`; True if it was."""
        repeats = self._throttle.admit(key)
        if repeats is None:
            return False
        line = message + (f" ({repeats} more since the last message)" if repeats else "")
        log.log(level, "%s", line)
        if alert and self.alert is not None:
            self.alerts_sent += 1
            try:
                self.alert(line)
            except Exception:  # alerting must never break the endpoint
                log.exception("could not send the alert")
        return True
