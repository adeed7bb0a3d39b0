"""Holding back Python's cyclic garbage collector during bulk work."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_gc_pauses() -> Iterator[None]:
    """Hold back the cyclic garbage collector while bulk work builds many small objects
    (dicts, lists, features; no cycles to speak of), and restore it on exit.

    Python runs a collection every few hundred new container objects, and every so often
    a full pass over all of them: a read or an import of 100,000 features otherwise spends
    a fifth to a third of its CPU time in those passes, finding nothing to free. Reference
    counting still frees everything as usual; only the (rare) cycles wait until the end.

    Nested and concurrent uses are safe: only the use that found the collector enabled
    enables it again, so it is never left off once every use has ended."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
