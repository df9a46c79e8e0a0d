"""Flow runs in long-lived worker processes, one per client (`bench.chaos.worker`), some
killed with SIGKILL at a random moment during a run and then restarted, as a crashed worker
would be.

Why workers and not a fresh `python -m cli ...` per run: start-up (Python + Prefect
imports) costs ~3-5 CPU-seconds, ten times a run's own flow work, so with a process per run the
chaos run measured interpreter start-up, not flows, and 200 cycles took hours. A worker runs
the same CLI command in-process (same flows, exit codes and messages), so a kill now always
lands in flow work: kill moments are drawn from [0.3, 1.1] x the median duration of earlier
completed runs of the same step. Each kill costs a worker restart (the imports once more).

Each run's stdout/stderr go to a file under `logs/` (grepped for tokens afterwards). A kill is
counted only when the run had not answered yet when the signal was sent.
"""

from __future__ import annotations

import contextlib
import random
import statistics
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench.chaos.worker import Worker, WorkerGone

COMMANDS: dict[str, list[str]] = {
    "orders": ["orders", "pull"],
    "tracking": ["tracking", "push"],
    "stock": ["stock", "sync"],
    "check": ["clients", "check"],  # takes the client code as an argument, not --client
}


@dataclass(frozen=True)
class RunRecord:
    client: str
    step: str
    cycle: int
    attempt: int
    exit_code: int | None  # None: killed by us
    seconds: float
    log: Path
    revoked: bool  # the client's token was revoked while this run started

    @property
    def killed(self) -> bool:
        return self.exit_code is None

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


class FlowRunner:
    def __init__(
        self,
        env: dict[str, str],
        cwd: Path,
        logs_dir: Path,
        *,
        kill_rate: float = 0.03,
        guaranteed_kills: int = 0,
        max_kills_per_step: int = 3,
        seed: int = 3,
        run_timeout: float = 600.0,
        on_kill: Callable[[str], None] | None = None,
        standby: bool = True,
    ) -> None:
        """`on_kill(client)` runs after each kill, before the restart (the supervisor's
        clean-up, e.g. releasing the dead run's client lane). `standby`: keep one started
        worker per client in reserve, as a supervisor with a warm standby does, so a kill costs
        the cycle the lane release, not the ~5-9 s of imports of a new process (that start
        still happens, in the background, for the next standby)."""
        self.env = env
        self.cwd = cwd
        self.logs_dir = logs_dir
        self.kill_rate = kill_rate
        self.guaranteed_kills = guaranteed_kills  # the first N chaos runs are always killed
        self.max_kills_per_step = max_kills_per_step
        self.rng = random.Random(seed)
        self.run_timeout = run_timeout
        self.on_kill = on_kill
        self.records: list[RunRecord] = []
        self.starts: list[float] = []  # seconds each worker took to start (imports)
        self.standby = standby
        self._workers: dict[str, Worker] = {}
        self._standby: dict[str, Future[Worker]] = {}
        self._starter = ThreadPoolExecutor(thread_name_prefix="chaos-worker-start")
        self._durations: dict[str, list[float]] = defaultdict(list)
        self._lock = threading.Lock()
        self._seq = 0
        self._forced = 0
        self._env_updates: dict[str, str] = {}

    def set_env(self, name: str, value: str) -> None:
        """Set a variable for every later run (live workers get it with each request; new
        ones start with it)."""
        with self._lock:
            self.env[name] = value
            self._env_updates[name] = value

    @property
    def kills(self) -> int:
        return sum(r.killed for r in self.records)

    def median_seconds(self) -> dict[str, float]:
        """Median duration of completed runs per step, and of worker start-ups."""
        with self._lock:
            medians = {step: statistics.median(ds) for step, ds in self._durations.items() if ds}
            if self.starts:
                medians["worker_start"] = statistics.median(self.starts)
        return medians

    def start(self, clients: list[str]) -> None:
        """Start every client's worker now (in parallel), so no run waits for imports."""
        threads = [threading.Thread(target=self._worker, args=(c,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def close(self) -> None:
        for worker in self._workers.values():
            worker.close()
        self._workers.clear()
        for waiting in self._standby.values():
            with contextlib.suppress(WorkerGone):
                waiting.result().close()
        self._standby.clear()
        self._starter.shutdown()

    def _worker(self, client: str) -> Worker:
        """The client's live worker; after a kill its standby (or a new one)."""
        worker = self._workers.get(client)
        if worker is None or worker.process.poll() is not None:
            waiting = self._standby.pop(client, None)
            worker = waiting.result() if waiting is not None else self._new_worker(client)
            self._workers[client] = worker
            if self.standby:
                self._standby[client] = self._starter.submit(self._new_worker, client)
        return worker

    def _new_worker(self, client: str) -> Worker:
        with self._lock:
            self._seq += 1
            idle_log = self.logs_dir / f"{self._seq:06d}-worker-{client}.log"
        started = time.monotonic()
        worker = Worker(self.env, self.cwd, idle_log)
        with self._lock:
            self.starts.append(time.monotonic() - started)
        return worker

    def _kill_at(self, step: str) -> float | None:
        with self._lock:
            forced = self._forced < self.guaranteed_kills
            self._forced += forced
            if not forced and self.rng.random() >= self.kill_rate:
                return None
            seen = self._durations[step][-20:] or [d for ds in self._durations.values() for d in ds]
            typical = statistics.median(seen) if seen else 2.0
            return self.rng.uniform(0.3, 1.1) * typical

    def run_once(
        self, client: str, step: str, cycle: int, attempt: int, *, kill: bool, revoked: bool
    ) -> RunRecord:
        worker = self._worker(client)
        with self._lock:
            self._seq += 1
            log = self.logs_dir / f"{self._seq:06d}-c{cycle}-{client}-{step}-{attempt}.log"
        kill_at = self._kill_at(step) if kill else None
        argv = [*COMMANDS[step], *((client,) if step == "check" else ("--client", client))]
        started = time.monotonic()
        exit_code: int | None
        try:
            worker.send({"argv": argv, "log": str(log), "env": dict(self._env_updates)})
            answer = worker.reply(kill_at if kill_at is not None else self.run_timeout)
            if answer is None:
                worker.kill()
                answer = worker.last_words()  # it may have answered just before the signal
            exit_code = None if answer is None else int(answer["exit_code"])
            if answer is None and kill_at is None:
                exit_code = -9  # ran past run_timeout
        except (
            WorkerGone,
            BrokenPipeError,
        ) as gone:  # died on its own: a crash, not one of our kills
            with log.open("a", encoding="utf-8") as out:
                out.write(f"\n[chaos runner] {gone}\n")
            exit_code = -1
        seconds = time.monotonic() - started
        if exit_code == 0:
            with self._lock:
                self._durations[step].append(seconds)
        record = RunRecord(client, step, cycle, attempt, exit_code, seconds, log, revoked)
        with self._lock:
            self.records.append(record)
        return record

    def run(self, client: str, step: str, cycle: int, *, chaos: bool, revoked: bool) -> RunRecord:
        """Run the step until a run is not killed (killed runs are restarted at once)."""
        attempt = 0
        while True:
            attempt += 1
            kill = chaos and attempt <= self.max_kills_per_step
            record = self.run_once(client, step, cycle, attempt, kill=kill, revoked=revoked)
            if not record.killed:
                return record
            if self.on_kill is not None:
                self.on_kill(client)
