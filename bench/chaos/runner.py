"""Flow runs in long-lived worker processes, one per client (`bench.chaos.worker`), some
killed with SIGKILL at a random moment during a run and then restarted, as a crashed worker
would be.

Why workers and not a fresh `python -m npf_ecwid.cli ...` per run: start-up (Python + Prefect
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
import json
import os
import random
import select
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COMMANDS: dict[str, list[str]] = {
    "orders": ["orders", "pull"],
    "tracking": ["tracking", "push"],
    "stock": ["stock", "sync"],
}
START_TIMEOUT_S = 300.0  # imports on a loaded two-core machine


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


class WorkerGone(RuntimeError):
    """The worker process ended without answering (it crashed, or it was killed)."""


class Worker:
    """One `python -m bench.chaos.worker` process and its JSON-lines channel."""

    def __init__(self, env: dict[str, str], cwd: Path, idle_log: Path) -> None:
        with idle_log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bench.chaos.worker", "--idle-log", str(idle_log)],
                cwd=cwd,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                bufsize=0,
                start_new_session=True,
            )
        self._buffer = b""
        ready = self.reply(START_TIMEOUT_S)
        if ready is None or not ready.get("ready"):
            self.kill()
            raise WorkerGone(f"worker did not start within {START_TIMEOUT_S:.0f} s ({idle_log})")

    def send(self, request: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps(request) + "\n").encode())

    def reply(self, timeout: float | None) -> dict[str, Any] | None:
        """The next answer, or None when none came within `timeout` seconds."""
        assert self.process.stdout is not None
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            readable, _, _ = select.select([self.process.stdout], [], [], left)
            if not readable:
                return None
            chunk = os.read(self.process.stdout.fileno(), 4096)
            if not chunk:
                raise WorkerGone(f"worker exited with {self.process.wait()}")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return json.loads(line)

    def last_words(self) -> dict[str, Any] | None:
        """After a kill: the answer it had already written, if any."""
        try:
            return self.reply(0)
        except WorkerGone:
            return None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def close(self) -> None:
        """Let the worker finish (stdin closed), kill it if it does not."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


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
    ) -> None:
        """`on_kill(client)` runs after each kill, before the restart (the supervisor's
        clean-up, e.g. releasing the dead run's client lane)."""
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
        self._workers: dict[str, Worker] = {}
        self._durations: dict[str, list[float]] = defaultdict(list)
        self._lock = threading.Lock()
        self._seq = 0
        self._forced = 0

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

    def _worker(self, client: str) -> Worker:
        worker = self._workers.get(client)
        if worker is None or worker.process.poll() is not None:
            with self._lock:
                self._seq += 1
                idle_log = self.logs_dir / f"{self._seq:06d}-worker-{client}.log"
            started = time.monotonic()
            worker = Worker(self.env, self.cwd, idle_log)
            with self._lock:
                self.starts.append(time.monotonic() - started)
                self._workers[client] = worker
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
        argv = [*COMMANDS[step], "--client", client]
        started = time.monotonic()
        exit_code: int | None
        try:
            worker.send({"argv": argv, "log": str(log)})
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
