"""Counters one `EcwidClient` keeps, for run artifacts and benchmarks."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ClientStats:
    requests: int = 0  # HTTP attempts sent (retries included)
    retries: int = 0
    rate_limited: int = 0  # 429 answers seen
    transport_errors: int = 0  # timeouts, refused or dropped connections
    by_status: Counter[int] = field(default_factory=Counter)
    limiter_wait_s: float = 0.0  # total time callers waited for a rate-limit slot
    invalid_items: int = 0  # list items skipped because they could not be parsed

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "rate_limited": self.rate_limited,
            "transport_errors": self.transport_errors,
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "limiter_wait_s": round(self.limiter_wait_s, 3),
            "invalid_items": self.invalid_items,
        }
