"""Process-wide settings, applied once at process start by the command line (`npf-ecwid`),
never from a request path: `serve` runs many flows in threads of one process, and what one
of them changed process-wide would change it for all the others.
"""

from __future__ import annotations

import gc

# Young-generation threshold: a collection after this many net new container objects
# (Python's default is 700). See `tune_gc`.
GC_THRESHOLD0 = 100_000


def tune_gc() -> None:
    """Fewer, larger cyclic garbage collections, and none over what was imported at start.

    Why: an order pull keeps every parsed page until the search returns (~20 objects per
    order: 2 million at 100,000 orders), and with Python's defaults each time the heap grows
    by a quarter the collector scans every object in the process again, holding the GIL, so
    answers are read and rate-limit slots freed late (docs/benchmarks.md, "Order pull").
    `gc.freeze()` moves what exists now (the imported libraries, a few hundred thousand
    objects that live as long as the process) where no collection scans it; reference
    counting still frees everything as before. The larger young threshold makes the scans
    that remain rarer; cyclic garbage then waits a little longer (memory, not correctness).
    Idempotent; call it once, after the imports.
    """
    gc.freeze()
    _, threshold1, threshold2 = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD0, threshold1, threshold2)
