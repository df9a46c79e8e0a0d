"""`python -m bench.chaos [--cycles N] ...`: the chaos run; last line is the summary; exit 1
when any invariant fails.

Prefect: `--prefect-api-url URL` reuses a running server (`prefect server start`); without it
one temporary server (Prefect's test harness: temporary database, one subprocess) is started
for the run and every flow child reports to it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from bench.chaos.results import report
from bench.chaos.run import Chaos, Options


def prefect_db() -> Path | None:
    """Prefect's SQLite database file of the current settings, if it is one."""
    from prefect.settings import get_current_settings

    url = get_current_settings().server.database.connection_url
    text = url.get_secret_value() if url is not None else ""
    _, _, path = text.partition(":///")
    return Path(path) if text.startswith("sqlite") and path else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__)
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--orders", type=int, default=300, help="generated orders per store")
    parser.add_argument("--products", type=int, default=30)
    parser.add_argument("--kill-rate", type=float, default=0.03, help="share of runs killed")
    parser.add_argument("--min-kills", type=int, default=20)
    parser.add_argument("--guaranteed-kills", type=int, default=0, help="first N runs killed")
    parser.add_argument(
        "--max-minutes", type=float, default=None, help="start no chaos cycle after this long"
    )
    parser.add_argument("--stock-every", type=int, default=3, help="stock sync every N cycles")
    parser.add_argument("--mutation-interval", type=float, default=0.2, help="seconds")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=None, help="default: SQLite in the work dir")
    parser.add_argument("--work-dir", type=Path, default=None, help="default: a temp dir")
    parser.add_argument("--prefect-api-url", default=None)
    parser.add_argument(
        "--prefect-db",
        type=Path,
        default=None,
        help="that server's SQLite file, grepped for tokens",
    )
    parser.add_argument(
        "--prefect-database-url",
        default=None,
        help="that server's database as a SQLAlchemy URL (e.g. postgresql+psycopg://...): "
        "every row grepped for tokens",
    )
    args = parser.parse_args(argv)

    with ExitStack() as stack:
        root = args.work_dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        root.mkdir(parents=True, exist_ok=True)
        if args.prefect_api_url:
            from prefect.settings import PREFECT_API_URL, temporary_settings

            stack.enter_context(temporary_settings({PREFECT_API_URL: args.prefect_api_url}))
            api_url = args.prefect_api_url
        else:
            from prefect.settings import PREFECT_API_URL
            from prefect.testing.utilities import prefect_test_harness

            stack.enter_context(prefect_test_harness(server_startup_timeout=120))
            api_url = str(PREFECT_API_URL.value())
        options = Options(
            root=root,
            cycles=args.cycles,
            orders_per_store=args.orders,
            products=args.products,
            kill_rate=args.kill_rate,
            min_kills=args.min_kills,
            guaranteed_kills=args.guaranteed_kills,
            max_minutes=args.max_minutes,
            stock_every=args.stock_every,
            mutation_interval=args.mutation_interval,
            seed=args.seed,
            database_url=args.database_url,
            prefect_db=args.prefect_db or (None if args.prefect_api_url else prefect_db()),
            prefect_database_url=args.prefect_database_url,
        )
        print(f"chaos: work dir {root}, prefect {api_url}", flush=True)
        result = Chaos(options, api_url, say=lambda line: print(line, flush=True)).run()
        report(result, say=lambda line: print(line, flush=True))
        return 1 if result.failures() else 0


if __name__ == "__main__":
    sys.exit(main())
