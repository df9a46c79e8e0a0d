"""Process-wide GC tuning happens once, at the command line's start, not in library calls."""

from __future__ import annotations

import subprocess
import sys

from npf_ecwid.gc_tuning import GC_THRESHOLD0

PROBE = """
import gc, sys
from cli import main
untouched = (gc.get_threshold()[0], gc.get_freeze_count())
sys.argv = ["npf-ecwid", "--help"]
try:
    main()
except SystemExit:
    pass
print("GC", *untouched, gc.get_threshold()[0], gc.get_freeze_count() > 0)
"""


def test_the_command_line_tunes_the_collector_once_at_start() -> None:
    """Importing the library changes nothing; `npf-ecwid`'s entry point raises the young
    threshold and freezes what the imports built (`runtime.tune_gc`)."""
    run = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True
    )
    line = next(row for row in run.stdout.splitlines() if row.startswith("GC "))
    assert line.split()[1:] == ["700", "0", str(GC_THRESHOLD0), "True"]
