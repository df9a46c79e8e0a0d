"""The `push-tracking` flow and the `tracking push` CLI on the Prefect test server."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterKey,
    FlowRunFilter,
    TaskRunFilter,
)
from prefect.client.schemas.sorting import ArtifactSort
from prefect.settings import PREFECT_API_URL

from flows.tracking import TrackingPushError, push_tracking
from npf_ecwid.tracking.ledger import load_ledger
from tests.tracking.conftest import TrackingEnv

pytestmark = pytest.mark.prefect


def artifact_rows(key: str) -> list[dict]:
    """The newest version of the artifact `key`."""
    with get_client(sync_client=True) as prefect:
        found = prefect.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
            flow_run_filter=FlowRunFilter(),
            task_run_filter=TaskRunFilter(),
            sort=ArtifactSort.CREATED_DESC,
            limit=1,
            offset=0,
        )
    data = found[0].data
    return json.loads(data) if isinstance(data, str) else data


def cli(env: TrackingEnv, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, **env.env(), "PREFECT_API_URL": PREFECT_API_URL.value()}
    return subprocess.run(
        [sys.executable, "-m", "cli", "tracking", "push", "--client", "ACME", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_flow_pushes_reports_and_a_second_run_sends_nothing(prefect_server, tracking_env) -> None:
    env = tracking_env
    good = env.new_orders(2)
    env.hand_off(["ACME-GONE2"])
    for order_id in [*good, "ACME-GONE2"]:
        env.ship(order_id, f"N-{order_id}")

    report = push_tracking("ACME")
    assert (report.counts["pushed"], report.counts["failed"]) == (2, 1)
    rows = {row["order"]: row for row in artifact_rows("tracking-push-acme")}
    assert {k: r["status"] for k, r in rows.items()} == {
        good[0]: "pushed",
        good[1]: "pushed",
        "ACME-GONE2": "failed",
    }
    assert "404" in rows["ACME-GONE2"]["reason"]
    assert env.puts_by_order() == dict.fromkeys(good, 1)

    again = push_tracking("ACME")
    assert again.counts["pushed"] == 0 and again.counts["up_to_date"] == 2
    assert again.counts["held"] == 1
    assert len(env.puts()) == 2


def test_flow_fails_loudly_when_the_token_is_refused(prefect_server, tracking_env) -> None:
    env = tracking_env
    [order_id] = env.new_orders(1)
    env.ship(order_id, "R1")
    env.sandbox.revoke_token(env.token)
    with pytest.raises(TrackingPushError, match="refused the token"):
        push_tracking("ACME")
    assert load_ledger(env.engine, "ACME") == []
    assert env.token not in str(artifact_rows("tracking-push-acme"))


def test_cli_dry_run_shows_the_body_and_sends_nothing(prefect_server, tracking_env) -> None:
    env = tracking_env
    [order_id] = env.new_orders(1)
    env.ship(order_id, "CLI1")
    result = cli(env, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert f"{order_id}\twould_push\tCLI1" in result.stdout
    assert '"trackingNumber": "CLI1"' in result.stdout
    assert "DRY RUN" in result.stdout
    assert env.store.write_log == [] and load_ledger(env.engine, "ACME") == []

    assert push_tracking("ACME").counts["pushed"] == 1
    assert env.puts_by_order() == {order_id: 1}


def test_cli_unknown_client_is_one_line_and_non_zero(prefect_server, tracking_env) -> None:
    result = cli(tracking_env, "--client", "NOPE")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"tracking push NOPE failed: client NOPE: not in {tracking_env.clients_file} (known: ACME)"
    ]


def test_a_run_that_finds_the_writer_lock_held_sends_nothing(prefect_server, tracking_env) -> None:
    """The lane bypassed (another Prefect home, a lost lease): the database lock still keeps a
    second run from pushing; it ends at once, Completed, naming the holder."""
    from npf_ecwid.locks import client_lock

    env = tracking_env
    [order_id] = env.new_orders(1)
    env.ship(order_id, "L1")
    with client_lock(env.engine, "ACME", "other-host:4242:abc"):
        report = push_tracking("ACME")
        result = cli(env)
    assert (
        report.status == "locked"
        and "another run holds the lock (owner other-host:4242:abc" in (report.reason)
    )
    assert result.returncode == 0, result.stderr
    assert "skipped, client ACME: another run holds the lock" in result.stdout
    assert env.puts() == [] and load_ledger(env.engine, "ACME") == []
    assert push_tracking("ACME").counts["pushed"] == 1  # released: the next run pushes
