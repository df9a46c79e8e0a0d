"""Flow runs as child processes (`python -m npf_ecwid.cli ...`), some killed with SIGKILL at a
random moment and then restarted, as a crashed worker would be.

Each run's stdout/stderr go to a file under `logs/` (grepped for tokens afterwards). A kill is
counted only when the signal reached a process that was still running. Kill moments are drawn
from [0.3, 1.1] x the median duration of earlier completed runs of the same step, so most
kills land inside the flow's work, not during interpreter start-up.
"""

from __future__ import annotations

import os
import random
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

COMMANDS: dict[str, list[str]] = {
    "orders": ["orders", "pull"],
    "tracking": ["tracking", "push"],
    "stock": ["stock", "sync"],
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
        kill_rate: float = 0.15,
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
        self._durations: dict[str, list[float]] = defaultdict(list)
        self._lock = threading.Lock()
        self._seq = 0
        self._forced = 0

    @property
    def kills(self) -> int:
        return sum(r.killed for r in self.records)

    def _kill_at(self, step: str) -> float | None:
        with self._lock:
            forced = self._forced < self.guaranteed_kills
            self._forced += forced
            if not forced and self.rng.random() >= self.kill_rate:
                return None
            seen = self._durations[step][-20:]
            typical = statistics.median(seen) if seen else 4.0
            return self.rng.uniform(0.3, 1.1) * typical

    def run_once(
        self, client: str, step: str, cycle: int, attempt: int, *, kill: bool, revoked: bool
    ) -> RunRecord:
        with self._lock:
            self._seq += 1
            log = self.logs_dir / f"{self._seq:06d}-c{cycle}-{client}-{step}-{attempt}.log"
        kill_at = self._kill_at(step) if kill else None
        command = [sys.executable, "-m", "npf_ecwid.cli", *COMMANDS[step], "--client", client]
        started = time.monotonic()
        with log.open("wb") as out:
            child = subprocess.Popen(
                command,
                cwd=self.cwd,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            exit_code: int | None
            try:
                child.wait(timeout=kill_at if kill_at is not None else self.run_timeout)
                exit_code = child.returncode
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
                exit_code = None if kill_at is not None else -9
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
