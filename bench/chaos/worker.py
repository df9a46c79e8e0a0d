"""`python -m bench.chaos.worker`: a long-lived flow worker for the chaos run.

Why: a fresh interpreter per flow run spends ~3-5 CPU-seconds importing Python and Prefect
before any flow work, ten times the ~0.4 CPU-seconds of the run itself, so 200 chaos cycles
took hours on two cores. This worker imports the CLI and the flows once, then runs the
requested CLI commands one at a time, in-process, through the same Click command the
`npf-ecwid` entry point uses: same flows, same exit codes, same one-line failure messages.

Protocol (JSON lines): the parent writes `{"argv": [...], "log": "/path", "env": {...}}` on
stdin (`env`, optional: variables to set first, as an operator editing `.env` would); the worker
points its stdout and stderr (file descriptors 1 and 2, so Prefect's console handler and any
C-level output land there too) at that log file for the run, then answers
`{"exit_code": N}` on the reply channel (the stdout it was started with, kept as a duplicate
descriptor). At start-up it answers `{"ready": true}` once the imports are done. Between runs
its output goes to the log file named by `--idle-log`.

`Worker` (below) is the parent's handle on one such process. The chaos runner SIGKILLs the
process at random moments during a run (a crashed worker) and carries on with a new one.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import IO, Any

import click


def _point_output_at(path: Path) -> None:
    """Send fds 1 and 2 (and so sys.stdout/sys.stderr) to `path`, appending."""
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
    finally:
        os.close(fd)


def run_command(command: click.Command, argv: list[str]) -> int:
    """Run the CLI as `python -m cli ARGV` would and return its exit status: Click's
    standalone mode (usage errors -> 2, `typer.Exit(n)` -> n), and an uncaught exception prints
    its traceback and gives 1, as the interpreter does."""
    try:
        command.main(args=argv, prog_name="npf-ecwid", standalone_mode=True)
    except SystemExit as done:
        code = done.code
        if code is None:
            return 0
        return code if isinstance(code, int) else 1
    except BaseException:  # the interpreter's own behaviour for an uncaught error
        traceback.print_exc()
        return 1
    return 0


def serve(commands: IO[str], replies: IO[str], idle_log: Path) -> None:
    """Import once, say ready, then run one request per line until stdin closes."""
    import typer

    # Imported now (the CLI commands import them lazily), so no run pays for the imports.
    import flows.orders
    import flows.stock
    import flows.tracking  # noqa: F401
    from cli import app

    command = typer.main.get_command(app)
    replies.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
    replies.flush()
    for line in commands:
        request = json.loads(line)
        os.environ.update(request.get("env") or {})  # e.g. a client's replaced token
        _point_output_at(Path(request["log"]))
        code = run_command(command, list(request["argv"]))
        _point_output_at(idle_log)
        replies.write(json.dumps({"exit_code": code}) + "\n")
        replies.flush()


# --- the parent's side ---------------------------------------------------------------------

START_TIMEOUT_S = 300.0  # imports on a loaded two-core machine


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


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.chaos.worker", description=__doc__)
    parser.add_argument("--idle-log", type=Path, required=True)
    args = parser.parse_args()
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    _point_output_at(args.idle_log)
    serve(sys.stdin, replies, args.idle_log)


if __name__ == "__main__":
    main()
