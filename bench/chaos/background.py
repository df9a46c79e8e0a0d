"""A restartable daemon thread for the chaos run's background actors (store changes, faults)."""

from __future__ import annotations

import threading


class Background:
    """Subclasses implement `_run`, looping until `self._stop` is set."""

    thread_name = "chaos-background"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
