"""The `fleet-status` markdown artifact: `npf-ecwid status` for every client, in the Prefect UI.

`serve` refreshes it every `REFRESH_SECONDS` (a few indexed queries per client and one page of
scheduled runs: cheap next to the flow runs themselves). With a key, each refresh is a new
version of the same artifact, so the Artifacts page shows the latest and keeps the history.
A failed refresh is logged and retried at the next tick; it never stops `serve`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import ArtifactCreate

from deployments.schedule import next_runs
from npf_ecwid.config import load_clients
from npf_ecwid.db import get_engine
from npf_ecwid.settings import get_settings
from npf_ecwid.status import fleet_status, render_markdown

KEY = "fleet-status"
REFRESH_SECONDS = 300.0

log = logging.getLogger(__name__)


def publish_fleet_status(now: datetime | None = None) -> str:
    """Compute every client's status and store it as the `fleet-status` artifact; returns the
    markdown."""
    settings = get_settings()
    now = now or datetime.now(UTC)
    clients = list(load_clients(settings.clients_file).values())
    runs = next_runs({c.code for c in clients})
    rows = fleet_status(get_engine(settings.effective_database_url), clients, now, runs)
    markdown = render_markdown(rows, now)
    # Through the client API: `create_markdown_artifact` outside a flow run is deprecated, and
    # this artifact belongs to the fleet, not to a run.
    artifact = ArtifactCreate(
        key=KEY,
        type="markdown",
        data=markdown,
        description=f"npf-ecwid status of {len(rows)} clients",
    )
    with get_client(sync_client=True) as prefect:
        prefect.create_artifact(artifact)
    return markdown


async def refresh_forever(stop: asyncio.Event, every: float = REFRESH_SECONDS) -> None:
    """Publish now and then every `every` seconds until `stop` is set."""
    while not stop.is_set():
        try:
            await asyncio.to_thread(publish_fleet_status)
        except Exception:  # a busy server or a locked database: try again next tick
            log.exception("fleet-status refresh failed; next try in %.0f s", every)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)
