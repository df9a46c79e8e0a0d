"""Keys of the per-client artifacts (`sync-orders-acme`, `tracking-push-acme`, `stock-sync-acme`).

Why keyed: with a key, each run's artifact becomes the next version of one artifact, so the
Artifacts page shows a client's latest pull, push or stock sync and keeps the history. Prefect
accepts only `^[a-z0-9-]*$` (`prefect/types/names.py`), and client codes may carry capitals and
`_`, hence one builder for all of them."""

from __future__ import annotations

import re

_NOT_ALLOWED = re.compile(r"[^a-z0-9]+")


def artifact_key(kind: str, client: str) -> str:
    """`<kind>-<client>`, lowercased, each run of other characters turned into one `-`."""
    return f"{kind}-{_NOT_ALLOWED.sub('-', client.lower())}"
