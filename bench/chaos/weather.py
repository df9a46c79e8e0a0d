"""Fault weather: a thread that keeps changing the sandbox's `Faults` while flows run.

Base: `fail_rate` 5xx, `drop_rate` dropped connections, `timeout_rate` hung requests (the
children's client gives up after `ECWID_TIMEOUT_S`), `drop_after_rate` requests applied whose
answer is lost. Every `period` seconds one of: calm
base, a latency spike (`spike_ms` on every request), or a 429 burst (the rate limit cut to a
few requests per short window, so clients get 429 with `Retry-After`).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from bench.chaos.background import Background
from npf_ecwid.sandbox import Faults


@dataclass(frozen=True)
class Climate:
    fail_rate: float = 0.10
    drop_rate: float = 0.02
    timeout_rate: float = 0.01
    drop_after_rate: float = 0.02  # applied, answer lost: the case blind retries duplicate
    latency_ms: float = 5.0
    spike_ms: float = 400.0
    spike_share: float = 0.15
    burst_share: float = 0.15
    burst_limit: int = 8
    burst_window: float = 2.0
    hang_s: float = 10.0


class Weather(Background):
    thread_name = "chaos-weather"

    def __init__(
        self, faults: Faults, climate: Climate | None = None, *, period: float = 2.0, seed: int = 9
    ):
        self.faults = faults
        self.climate = climate or Climate()
        self.period = period
        self.rng = random.Random(seed)
        self.counts: Counter[str] = Counter()
        super().__init__()

    def roll(self) -> str:
        c, f = self.climate, self.faults
        f.fail_rate, f.drop_rate, f.timeout_rate = c.fail_rate, c.drop_rate, c.timeout_rate
        f.drop_after_rate = c.drop_after_rate
        f.latency_ms, f.hang_s = c.latency_ms, c.hang_s
        f.rate_limit, f.rate_window = 600, 60.0
        roll = self.rng.random()
        kind = "base"
        if roll < c.spike_share:
            kind, f.latency_ms = "latency_spike", c.spike_ms
        elif roll < c.spike_share + c.burst_share:
            kind = "burst_429"
            f.rate_limit, f.rate_window = c.burst_limit, c.burst_window
        self.counts[kind] += 1
        return kind

    def calm(self) -> None:
        """No faults at all (the operator's final clean cycle)."""
        f = self.faults
        f.fail_rate = f.drop_rate = f.timeout_rate = f.drop_after_rate = 0.0
        f.latency_ms = 0.0
        f.rate_limit, f.rate_window = 600, 60.0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.roll()
            self._stop.wait(self.period)

    def stop(self) -> None:
        super().stop()
        self.calm()
