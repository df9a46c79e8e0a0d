"""A config file loaded once and re-read only when it changes on disk.

The rates app and the webhook receiver read the rate cards and the clients file on every
request; an `os.stat` per request (a few microseconds) lets an operator edit either file
without restarting the server. A change that fails validation is logged and the last good
version keeps serving, so a typo never takes checkout down.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class ReloadingFile(Generic[T]):
    def __init__(self, path: Path, load: Callable[[Path], T]) -> None:
        """Loads `path` now: a file that is missing or invalid at start raises `load`'s error."""
        self.path = path
        self._load = load
        self._lock = threading.Lock()
        self._stamp = self._stat()
        self._value = load(path)

    def _stat(self) -> tuple[int, int] | None:
        try:
            info = os.stat(self.path)
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size)

    def get(self) -> T:
        """The current contents; re-read if the file's mtime or size changed since last time."""
        stamp = self._stat()
        if stamp == self._stamp or stamp is None:
            return self._value
        with self._lock:
            if stamp != self._stamp:
                try:
                    self._value = self._load(self.path)
                except Exception as error:  # keep serving the last good version
                    log.error(
                        "%s changed but cannot be used, keeping the old one: %s", self.path, error
                    )
                self._stamp = stamp
        return self._value
