"""Per-client health for `npf-ecwid status` and the `fleet-status` artifact `serve` refreshes.

Read-only and cheap (a handful of indexed queries per client, the same planning the tracking
push does), computed from the tables the flows write; no Ecwid call, no Prefect import: the
next scheduled run comes in as a plain mapping from the caller (the CLI asks the Prefect API).

What each field means (the operator's questions):
- `last_pull`: when the client's last order pull committed (`orders_watermark.last_run_at`);
  `lag`: how far behind now the pull position is (`updated_from`, minus the overlap window it
  keeps); a lag that grows means pulls are failing.
- `handed_off_today`: orders first handed to the warehouse since midnight in the client's time
  zone (`npf_order.received_at`).
- `quarantined`: orders held back by validation, unresolved.
- `to_push` / `push_failed`: orders with shipments the next tracking push will send, and orders
  whose push failed permanently (held until new numbers or `--retry-failed`): the tracking
  push's own plan (`tracking.plan.plan_pushes`), so the numbers agree with what it will do.
- `stock`: the last stock sync's result and when (`stock_run`), `off` for `stock = "off"`.
- `token`: `token_state` (extend it as new sources of truth appear).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, func, select

from npf_ecwid.breaker.store import REFUSED as BREAKER_REFUSED
from npf_ecwid.breaker.store import TokenBreakerRow
from npf_ecwid.config import ClientConfig, StockMode
from npf_ecwid.local_day import start_of_today
from npf_ecwid.onboarding.check import Verdict
from npf_ecwid.onboarding.check_log import last_check
from npf_ecwid.orders.ports import OrderIntake
from npf_ecwid.orders.state import QUARANTINE, WATERMARK
from npf_ecwid.stock.history import StockRun
from npf_ecwid.tables import NpfOrder
from npf_ecwid.tracking.prepare import prepare_plan
from npf_ecwid.wiring import open_order_intake, stored_shipments

BREAKER = TokenBreakerRow.__table__  # type: ignore[attr-defined]

ORDER = NpfOrder.__table__  # type: ignore[attr-defined]
RUN = StockRun.__table__  # type: ignore[attr-defined]

NOT_CHECKED = "not checked"
REFUSED = "refused"


@dataclass(frozen=True)
class ClientStatus:
    client: str
    last_pull: datetime | None
    lag: timedelta | None
    handed_off_today: int
    quarantined: int
    to_push: int
    push_failed: int
    stock: str
    stock_at: datetime | None
    token: str
    next_run: datetime | None


def token_state(connection: Connection, client: str) -> str:
    """`refused since ...` while the token breaker stands (the flows send nothing to Ecwid),
    else the last `clients check` verdict (`OK`, `refused`, another one) or `not checked`."""
    breaker = connection.execute(
        select(BREAKER.c.state, BREAKER.c.refused_since).where(BREAKER.c.client == client)
    ).first()
    if breaker is not None and breaker.state == BREAKER_REFUSED:
        since = f"{breaker.refused_since:%Y-%m-%d %H:%M}" if breaker.refused_since else "?"
        return f"{REFUSED} since {since} UTC"
    found = last_check(connection, client)
    if found is None:
        return NOT_CHECKED
    verdict = found[0]
    return REFUSED if verdict == Verdict.WRONG_TOKEN.value else verdict


def _stock(connection: Connection, config: ClientConfig) -> tuple[str, datetime | None]:
    if config.stock is StockMode.OFF:
        return "off", None
    row = connection.execute(
        select(RUN.c.status, RUN.c.started_at, RUN.c.finished_at, RUN.c.dry_run)
        .where(RUN.c.client == config.code, RUN.c.dry_run.is_(False))
        .order_by(RUN.c.started_at.desc())
        .limit(1)
    ).first()
    if row is None:
        return "never", None
    return row.status, row.finished_at or row.started_at


def _count(connection: Connection, query: object) -> int:
    return int(connection.execute(query).scalar_one())  # type: ignore[call-overload]


def client_status(
    engine: Engine,
    config: ClientConfig,
    now: datetime,
    next_run: datetime | None = None,
    orders: OrderIntake | None = None,
) -> ClientStatus:
    """One client's health row (see the module docstring). `orders`: the order hand-off (which
    orders the warehouse has), opened once by `all_status`."""
    code = config.code
    orders = orders or open_order_intake(engine=engine)
    # The tracking push's own planning (deleted orders, custom statuses included).
    plan = prepare_plan(engine, config, stored_shipments(engine), orders)
    with engine.connect() as connection:
        mark = connection.execute(
            select(WATERMARK.c.updated_from, WATERMARK.c.last_run_at).where(
                WATERMARK.c.client == code
            )
        ).first()
        today = _count(
            connection,
            select(func.count())
            .select_from(ORDER)
            .where(ORDER.c.client == code, ORDER.c.received_at >= start_of_today(now, config.zone)),
        )
        quarantined = _count(
            connection,
            select(func.count())
            .select_from(QUARANTINE)
            .where(QUARANTINE.c.client == code, QUARANTINE.c.resolved_at.is_(None)),
        )
        stock, stock_at = _stock(connection, config)
        token = token_state(connection, code)
    return ClientStatus(
        client=code,
        last_pull=mark.last_run_at if mark else None,
        lag=now - mark.updated_from if mark else None,
        handed_off_today=today,
        quarantined=quarantined,
        to_push=len(plan.pushes),
        push_failed=len(plan.held),
        stock=stock,
        stock_at=stock_at,
        token=token,
        next_run=next_run,
    )


def fleet_status(
    engine: Engine,
    clients: Iterable[ClientConfig],
    now: datetime,
    next_runs: Mapping[str, datetime] | None = None,
) -> list[ClientStatus]:
    """`client_status` for each client, in the order given."""
    runs, orders = next_runs or {}, open_order_intake(engine=engine)
    return [client_status(engine, c, now, runs.get(c.code), orders) for c in clients]


COLUMNS = (
    "client",
    "last pull (UTC)",
    "lag",
    "handed off today",
    "quarantined",
    "to push",
    "push failed",
    "last stock sync (UTC)",
    "token",
    "next run (UTC)",
)


def _when(value: datetime | None) -> str:
    return "-" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _span(value: timedelta | None) -> str:
    if value is None:
        return "-"
    minutes = max(0, int(value.total_seconds() // 60))
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d{hours:02d}h"
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"


def status_cells(row: ClientStatus) -> tuple[str, ...]:
    """The row as the strings both renderings show, in `COLUMNS` order."""
    stock = row.stock if row.stock_at is None else f"{row.stock} {_when(row.stock_at)}"
    return (
        row.client,
        _when(row.last_pull),
        _span(row.lag),
        str(row.handed_off_today),
        str(row.quarantined),
        str(row.to_push),
        str(row.push_failed),
        stock,
        row.token,
        _when(row.next_run),
    )


def render_text(rows: Iterable[ClientStatus]) -> list[str]:
    """A compact aligned table: a header line, then one line per client."""
    table = [COLUMNS, *(status_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in table
    ]


def render_markdown(rows: Iterable[ClientStatus], now: datetime) -> str:
    """The same table as markdown, for the `fleet-status` Prefect artifact."""
    lines = [
        f"# Fleet status at {_when(now)} UTC",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    lines += ["| " + " | ".join(status_cells(r)) + " |" for r in rows]
    return "\n".join(lines) + "\n"
