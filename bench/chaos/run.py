"""The chaos run: N cycles of the whole job for three clients under faults, kills, live store
changes and a revoked token, then a clean operator cycle, then the invariants as figures.

One cycle, per client (clients run side by side, each in its own lane):
    orders pull -> warehouse ships + publishes stock -> tracking push -> [stock sync]
Flows run as child processes of the real CLI (killed and restarted at random), talking over
HTTP to one sandbox (3 stores) served from this process, writing one warehouse database, and
reporting to one Prefect server given by the caller.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine

from bench.chaos.invariants import (
    ClientFigures,
    check_orders,
    check_pushes,
    check_stock,
)
from bench.chaos.leaks import files_with, prefect_with, rows_with
from bench.chaos.mutator import Mutator
from bench.chaos.results import Result, nothing_to_do, says_403, skipped_for_token
from bench.chaos.runner import FlowRunner, RunRecord
from bench.chaos.warehouse import WarehouseSim
from bench.chaos.weather import Climate, Weather
from bench.chaos.world import World, build_world
from npf_ecwid.db import get_engine
from npf_ecwid.migrations import upgrade
from npf_ecwid.sandbox import create_app, serve_in_thread

REPO = Path(__file__).resolve().parents[2]  # children import npf_ecwid/flows from here


@dataclass
class Options:
    root: Path
    cycles: int = 6
    orders_per_store: int = 300
    products: int = 30
    kill_rate: float = 0.03
    min_kills: int = 20
    guaranteed_kills: int = 0
    max_minutes: float | None = None  # stop starting chaos cycles after this long
    mutation_interval: float = 0.2
    stock_every: int = 3
    revoke_client: str = "BETA"
    revoke_from: float = 0.3  # share of the cycles
    revoke_to: float = 0.6
    seed: int = 7
    database_url: str | None = None
    prefect_db: Path | None = None  # Prefect's SQLite file, grepped for tokens when given
    prefect_database_url: str | None = None  # Prefect's database (e.g. PostgreSQL): every row
    climate: Climate = field(default_factory=Climate)


class Chaos:
    def __init__(self, options: Options, prefect_api_url: str, say: Callable[[str], None] = print):
        self.o = options
        self.say = say
        self.prefect_api_url = prefect_api_url
        self.world: World = build_world(
            options.root,
            orders_per_store=options.orders_per_store,
            products=options.products,
            seed=options.seed,
            database_url=options.database_url,
        )
        self.engine = get_engine(self.world.database_url)
        upgrade(self.engine)
        stocked = {
            s.code: sorted(k for k, v in self.world.store(s.code).stock_by_sku().items() if v)
            for s in self.world.specs
        }
        self.sim = WarehouseSim(self.engine, stocked, seed=options.seed)
        self.sim_lock = threading.Lock()
        self.mutator = Mutator(
            [self.world.store(s.code) for s in self.world.specs],
            seed=options.seed,
            interval=options.mutation_interval,
        )
        self.weather = Weather(self.world.sandbox.faults, options.climate, seed=options.seed)
        self.revoked: set[str] = set()
        self.revoked_token: str | None = None  # the token revoked, and when (sandbox clock)
        self.revoked_at: float | None = None
        self.old_tokens: list[str] = []  # every token ever used, for the leak checks
        self.check_records: list[RunRecord] = []
        self.runner: FlowRunner | None = None
        self.cycles_done = 0

    # --- one cycle ------------------------------------------------------------------------

    def _warehouse(self, code: str, ship: bool = True) -> None:
        with self.sim_lock:
            if ship:
                self.sim.ship(code)
            if self.sim.rng.random() < 0.2:
                self.sim.restock(code)
            self.sim.publish_stock(code)

    def client_cycle(self, code: str, cycle: int, *, chaos: bool, final: bool = False) -> None:
        assert self.runner is not None
        revoked = code in self.revoked

        def run(step: str) -> RunRecord:
            assert self.runner is not None
            return self.runner.run(code, step, cycle, chaos=chaos, revoked=revoked)

        run("orders")
        self._warehouse(code)
        run("tracking")
        stock = self.world.spec(code).stock_mode != "off"
        if stock and (final or cycle % self.o.stock_every == self.o.stock_every - 1):
            run("stock")  # its own final order pull sees the SHIPPED statuses just pushed
        elif final:
            run("orders")

    def _toggle_revocation(self, cycle: int) -> None:
        """Revoke the token at cycle `revoke_from * cycles`, add it back at `revoke_to`."""
        code = self.o.revoke_client
        start = int(self.o.cycles * self.o.revoke_from)
        end = max(start + 1, int(self.o.cycles * self.o.revoke_to))
        if cycle == start:
            self.revoked_token = self.world.tokens[code]
            self.revoked_at = self.world.sandbox.clock()
            self.world.sandbox.revoke_token(self.revoked_token)
            self.revoked.add(code)
            self.say(f"cycle {cycle + 1}: token of {code} revoked")
        elif cycle >= end:
            self._restore_token(cycle)

    def _restore_token(self, cycle: int) -> None:
        """What an operator does: get a new token (re-authorisation), put it where the clients
        file points (the workers' environment), then `npf-ecwid clients check CODE`."""
        code = self.o.revoke_client
        if code not in self.revoked:
            return
        assert self.runner is not None
        old = self.world.tokens[code]
        new = f"chaos-{code.lower()}-{secrets.token_hex(16)}"
        self.old_tokens.append(old)
        self.world.sandbox.replace_token(old, new)
        self.world.tokens[code] = new
        self.runner.set_env(self.world.spec(code).token_var, new)
        self.revoked.discard(code)
        check = self.runner.run(code, "check", cycle, chaos=False, revoked=False)
        self.check_records.append(check)
        self.say(f"token of {code} replaced; clients check exit {check.exit_code}")

    def _out_of_time(self, began: float) -> bool:
        budget = self.o.max_minutes
        return budget is not None and time.monotonic() - began > budget * 60

    # --- the whole run --------------------------------------------------------------------

    def run(self) -> Result:
        began = time.monotonic()
        for spec in self.world.specs:
            self._warehouse(spec.code, ship=False)
        app = create_app(self.world.sandbox)
        codes = [s.code for s in self.world.specs]
        with serve_in_thread(app) as api_url, ThreadPoolExecutor(len(codes)) as pool:
            env = self.world.child_env(dict(os.environ), api_url, self.prefect_api_url)
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
            self.runner = FlowRunner(
                env,
                self.o.root,
                self.world.logs_dir,
                kill_rate=self.o.kill_rate,
                guaranteed_kills=self.o.guaranteed_kills,
                seed=self.o.seed,
                on_kill=functools.partial(release_lane, self.prefect_api_url),
            )
            try:
                self.runner.start(codes)
                self.say(f"workers up in {max(self.runner.starts):.1f} s")
                self._chaos_cycles(pool, codes, began)
                self._restore_token(self.o.cycles)
                self.say("final clean cycle (faults off, no kills, no store changes)")
                list(
                    pool.map(
                        lambda c: self.client_cycle(c, self.o.cycles, chaos=False, final=True),
                        codes,
                    )
                )
            finally:
                self.runner.close()
        return self.check(time.monotonic() - began)

    def _chaos_cycles(self, pool: ThreadPoolExecutor, codes: list[str], began: float) -> None:
        assert self.runner is not None
        self.mutator.start()
        self.weather.start()
        try:
            for cycle in range(self.o.cycles):
                if self._out_of_time(began):
                    self.say(f"time budget used: stopping after {cycle} cycles")
                    break
                tick = time.monotonic()
                self._toggle_revocation(cycle)
                list(pool.map(lambda c, n=cycle: self.client_cycle(c, n, chaos=True), codes))
                self.cycles_done = cycle + 1
                changes = sum(self.mutator.counts.values())
                self.say(
                    f"cycle {cycle + 1}/{self.o.cycles}: {time.monotonic() - tick:.1f} s, "
                    f"kills {self.runner.kills}, store changes {changes}"
                )
        finally:
            self.mutator.stop()
            self.weather.stop()

    # --- invariants ---------------------------------------------------------------------

    def _dump_write_logs(self) -> None:
        """Every accepted API write per store, for investigating a failed invariant."""
        for spec in self.world.specs:
            path = self.world.logs_dir / f"sandbox-writes-{spec.code}.jsonl"
            with path.open("w", encoding="utf-8") as out:
                for entry in self.world.store(spec.code).write_log:
                    out.write(json.dumps(dataclasses.asdict(entry), default=str) + "\n")

    def check(self, seconds: float) -> Result:
        assert self.runner is not None
        clients = []
        for spec in self.world.specs:
            figures = ClientFigures(spec.code)
            store = self.world.store(spec.code)
            deleted = self.mutator.deleted
            check_orders(self.engine, spec, store, self.mutator.history, figures, deleted)
            check_pushes(self.engine, spec, store, figures, deleted)
            check_stock(self.engine, spec, store, figures)
            clients.append(figures)
        self._dump_write_logs()
        tokens = list(self.world.tokens.values()) + self.old_tokens
        roots = [self.world.logs_dir, self.world.data_dir]
        if self.o.prefect_db is not None:
            roots += [p for p in self.o.prefect_db.parent.glob(self.o.prefect_db.name + "*")]
        leaks = (
            files_with(tokens, roots)
            + rows_with(tokens, self.engine)
            + prefect_with(tokens, self.prefect_api_url)
        )
        if self.o.prefect_database_url:
            prefect_engine = create_engine(self.o.prefect_database_url)
            try:
                leaks += [f"prefect {hit}" for hit in rows_with(tokens, prefect_engine)]
            finally:
                prefect_engine.dispose()
        records = [r for r in self.runner.records if r.step != "check"]
        finished = [r for r in records if not r.killed]
        revoked = [r for r in finished if r.revoked]
        # The run that met the 403 fails (the one alert); the token breaker then makes every
        # later run skip Ecwid altogether (a clean exit saying why).
        loud = [r for r in revoked if r.exit_code != 0 and says_403(r)]
        skipped = [r for r in revoked if r.exit_code == 0 and skipped_for_token(r)]
        # A tracking push with nothing to push never calls Ecwid: a clean exit is right there.
        quiet = [r for r in revoked if r.exit_code == 0 and nothing_to_do(r) and r not in skipped]
        sandbox = self.world.sandbox
        revoked_requests = (
            sandbox.requests_with(self.revoked_token, since=self.revoked_at)
            if self.revoked_token is not None
            else 0
        )
        window = {r.cycle for r in revoked}
        others = [r for r in finished if r.client != self.o.revoke_client]
        failed: dict[str, int] = {}
        for r in finished:
            if r.exit_code != 0 and not r.revoked:
                key = f"{r.client}/{r.step}"
                failed[key] = failed.get(key, 0) + 1
        return Result(
            cycles=self.cycles_done,
            kills=self.runner.kills,
            seconds=seconds,
            clients=clients,
            token_leaks=leaks,
            revoked_runs=len(revoked),
            revoked_loud=len(loud),
            revoked_quiet=len(quiet),
            revoked_skipped=len(skipped),
            revoked_requests=revoked_requests,
            checks_failed=sum(r.exit_code != 0 for r in self.check_records),
            others_403=sum(r.exit_code != 0 and says_403(r) for r in others),
            others_ok_while_revoked={
                code: sum(
                    r.exit_code == 0 and r.client == code and r.cycle in window for r in others
                )
                for code in {r.client for r in others}
            },
            failed_runs=failed,
            mutations=dict(self.mutator.counts),
            weather=dict(self.weather.counts),
            runs=len(records),
            min_kills=self.o.min_kills,
            median_seconds=self.runner.median_seconds(),
        )


def release_lane(prefect_api_url: str, client: str) -> None:
    """What an operator does after a worker crash: drop the dead run's client lane (a Prefect
    global concurrency limit whose slot the killed process still holds until its 5-minute lease
    expires); the next run recreates it. No-op when the flows hold no lane. Plain HTTP on the
    documented endpoint: Prefect's settings context does not reach this worker thread."""
    from runtime.lanes import lane_name

    url = f"{prefect_api_url.rstrip('/')}/v2/concurrency_limits/{lane_name(client)}"
    for attempt in range(1, 6):  # a busy Prefect server answers 503 now and then
        try:
            response = httpx.delete(url, timeout=60)
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code in (200, 204, 404):
            return
        time.sleep(attempt)
    # Give up quietly: the restarted run then waits for the dead run's lease to expire.
