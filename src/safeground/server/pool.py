"""A bounded pool of open stores: one per request at a time, at most ``size`` open.

A store is one database connection, and a connection is not shared by two requests at
once (a transaction belongs to one unit of work). SQLite readers run side by side in WAL
mode; PostgreSQL readers do anyway. Writers wait for each other inside the stores.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from safeground.store import Store, open_store


class StorePool:
    def __init__(self, url: str, size: int) -> None:
        self.url = url
        self._free: queue.LifoQueue[Store] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._all: list[Store] = []
        self._lock = threading.Lock()
        with self.acquire():
            pass  # open one now: a wrong URL fails at start, not at the first request

    @contextmanager
    def acquire(self) -> Iterator[Store]:
        self._slots.acquire()
        try:
            try:
                store = self._free.get_nowait()
            except queue.Empty:
                store = open_store(self.url)
                with self._lock:
                    self._all.append(store)
            try:
                yield store
            finally:
                self._free.put(store)
        finally:
            self._slots.release()

    def close(self) -> None:
        with self._lock:
            for store in self._all:
                store.close()
            self._all.clear()
