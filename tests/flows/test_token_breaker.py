"""A revoked token stops being used (issue #15 item 3), end to end: real Prefect flows, the
sandbox over real HTTP (which blocks an IP that keeps sending dead tokens, as Ecwid does),
SQLite, and the alert webhook receiver.

ACME's token is revoked; 30 scheduled runs of its three flows follow, while BOLT, on the same
sandbox and so the same IP, keeps pulling. Then the token is replaced, `clients check ACME`
passes, and the next run pulls again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from typer.testing import CliRunner

from cli import app
from flows.orders import sync_orders
from flows.stock import sync_stock
from flows.tracking import push_tracking
from npf_ecwid.db import get_engine
from npf_ecwid.sandbox import Faults, Sandbox, create_app, generate_store, serve_in_thread
from tests.dbs import upgraded
from tests.deployments.webhook_receiver import webhook_receiver

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_server")]

ACME_TOKEN, BOLT_TOKEN, NEW_TOKEN = "secret_acme_old", "secret_bolt", "secret_acme_new"


@dataclass
class Two:
    sandbox: Sandbox
    alerts: list[dict]
    database_url: str
    monkeypatch: pytest.MonkeyPatch

    def orders(self, client: str) -> int:
        with get_engine(self.database_url).connect() as connection:
            sql = "SELECT count(*) FROM npf_order WHERE client = ?"
            return connection.exec_driver_sql(sql, (client,)).scalar_one()


@pytest.fixture
def two(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Two]:
    sandbox = Sandbox(
        [generate_store(1003, orders=40, seed=3), generate_store(2004, orders=40, seed=4)],
        Faults(),
    )
    sandbox.add_token(ACME_TOKEN, 1003)
    sandbox.add_token(BOLT_TOKEN, 2004)
    database_url = upgraded(f"sqlite:///{tmp_path}/data/npf.db")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NPF_CLIENTS", str(tmp_path / "clients.toml"))
    monkeypatch.setenv("NPF_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ACME_ECWID_TOKEN", ACME_TOKEN)
    monkeypatch.setenv("BOLT_ECWID_TOKEN", BOLT_TOKEN)
    monkeypatch.delenv("NPF_ORDER_OUTBOX", raising=False)
    with serve_in_thread(create_app(sandbox)) as api_url, webhook_receiver() as (url, alerts):
        monkeypatch.setenv("ECWID_API_URL", api_url)
        monkeypatch.setenv("NPF_ALERT_WEBHOOK_URL", url)
        (tmp_path / "clients.toml").write_text(
            '[clients.ACME]\nstore_id = 1003\ntoken = "env:ACME_ECWID_TOKEN"\n'
            'stock = "on_hand"\n\n'
            '[clients.BOLT]\nstore_id = 2004\ntoken = "env:BOLT_ECWID_TOKEN"\n',
            encoding="utf-8",
        )
        yield Two(sandbox, alerts, database_url, monkeypatch)


def scheduled_runs(count: int) -> list[str]:
    """ACME's flows in schedule order (orders, tracking, stock, orders, ...), as run state
    names; BOLT's order pull after each round of three (same IP), which must keep succeeding."""
    names = []
    flows = (sync_orders, push_tracking, sync_stock)
    for n in range(count):
        state = flows[n % 3](client="ACME", return_state=True)
        names.append(state.name)
        if n % 3 == 2:
            bolt = sync_orders(client="BOLT", return_state=True)
            assert bolt.is_completed() and bolt.name == "Completed", bolt.message
    return names


def test_revoked_token_is_used_a_handful_of_times_over_30_runs_then_resumes(two: Two) -> None:
    two.sandbox.revoke_token(ACME_TOKEN)

    names = scheduled_runs(30)

    # The first run met the 403 (the profile and page 0 go out together) and failed, loudly;
    # every later run sent nothing and ended "Skipped" (not Failed: no alert every 5 minutes).
    assert names[0] == "Failed"
    assert names[1:] == ["Skipped"] * 29
    assert two.sandbox.requests_with(ACME_TOKEN) <= 2
    assert two.sandbox.blocked_until == {}  # the IP was never blocked; BOLT pulled throughout
    assert two.orders("BOLT") > 0
    acme_alerts = [a for a in two.alerts if a.get("client") == "ACME"]
    assert len(acme_alerts) == 1, two.alerts
    assert "rejected the token (403)" in acme_alerts[0]["text"]
    assert ACME_TOKEN not in str(two.alerts)
    listed = CliRunner().invoke(app, ["clients", "list"])
    assert "token refused since" in listed.output and "403 INVALID_API_TOKEN on" in listed.output

    # The merchant re-authorises: a new token, put where the clients file points.
    two.sandbox.replace_token(ACME_TOKEN, NEW_TOKEN)
    two.monkeypatch.setenv("ACME_ECWID_TOKEN", NEW_TOKEN)
    checked = CliRunner().invoke(app, ["clients", "check", "ACME"])
    assert checked.exit_code == 0, checked.output
    assert "ACME: OK" in checked.output
    assert "ACME: token breaker closed: refused since" in checked.output
    assert NEW_TOKEN not in checked.output and ACME_TOKEN not in checked.output

    resumed = sync_orders(client="ACME", return_state=True)
    assert resumed.name == "Completed"
    assert two.orders("ACME") > 0
    assert "token OK (checked" in CliRunner().invoke(app, ["clients", "list"]).output
    assert len([a for a in two.alerts if a.get("client") == "ACME"]) == 1


def test_the_same_token_restored_stays_unused_until_clients_check_passes(two: Two) -> None:
    two.sandbox.revoke_token(ACME_TOKEN)
    assert sync_orders(client="ACME", return_state=True).is_failed()
    two.sandbox.add_token(ACME_TOKEN, 1003)  # Ecwid takes it back; we cannot know
    sent = two.sandbox.requests_with(ACME_TOKEN)
    skipped = sync_orders(client="ACME", return_state=True)
    assert skipped.name == "Skipped"
    assert "clients check ACME" in (skipped.message or "")
    assert two.sandbox.requests_with(ACME_TOKEN) == sent
    cli = CliRunner().invoke(app, ["orders", "pull", "--client", "ACME"])
    assert cli.exit_code == 0 and "skipped: client ACME: not calling Ecwid" in cli.output
    assert two.sandbox.requests_with(ACME_TOKEN) == sent

    assert CliRunner().invoke(app, ["clients", "check", "ACME"]).exit_code == 0
    assert sync_orders(client="ACME", return_state=True).name == "Completed"
    assert two.orders("ACME") > 0


def test_a_replaced_token_gets_its_run_without_a_check(two: Two) -> None:
    two.sandbox.revoke_token(ACME_TOKEN)
    assert sync_orders(client="ACME", return_state=True).is_failed()
    two.sandbox.add_token(NEW_TOKEN, 1003)
    two.monkeypatch.setenv("ACME_ECWID_TOKEN", NEW_TOKEN)
    assert sync_orders(client="ACME", return_state=True).name == "Completed"
    assert two.orders("ACME") > 0


def test_skipped_runs_are_completed_in_prefect_with_the_reason(two: Two) -> None:
    two.sandbox.revoke_token(ACME_TOKEN)
    sync_orders(client="ACME", return_state=True)
    state = push_tracking(client="ACME", return_state=True)
    with get_client(sync_client=True) as prefect:
        run = prefect.read_flow_run(state.state_details.flow_run_id)
    assert run.state is not None and run.state.is_completed() and run.state.name == "Skipped"
    assert (run.state.message or "").startswith("skipped: client ACME: not calling Ecwid")
