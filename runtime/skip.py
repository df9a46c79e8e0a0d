"""How a run that must not call Ecwid ends: `Completed`, named "Skipped", with the reason.

Why not Failed: the failure alert would fire on every scheduled run (every 5 minutes per flow)
for a problem already alerted once, when the token was refused. Why not Cancelled or Paused:
those say an operator stopped the run, or that it waits for input. "Skipped" is what happened:
the UI shows the state name and the message, the `on_failure` hook stays quiet, and callers get
the flow's usual return value (flagged as skipped).
"""

from __future__ import annotations

from typing import Any

from prefect.states import Completed, State

SKIPPED = "Skipped"


def skipped(reason: str, data: Any) -> State[Any]:
    """The final state for a skipped run (return it from the flow)."""
    return Completed(name=SKIPPED, message=f"skipped: {reason}", data=data)
