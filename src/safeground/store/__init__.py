"""Storage behind one contract; the back-end is chosen by URL.

``sqlite:PATH`` or a plain path: the embedded GeoPackage store (the default).
"""

from __future__ import annotations

from pathlib import Path

from safeground.store.base import Conflict, InvalidData, NotFound, Store, StoreError


def open_store(url: str | Path, *, create: bool = False) -> Store:
    """Open (or, with ``create``, make) the store at ``url``."""
    text = str(url)
    if text.startswith(("postgresql:", "postgres:")):
        raise StoreError("the PostGIS back-end is not available in this version")
    path = text.removeprefix("sqlite:")
    from safeground.store.sqlite import SQLiteStore

    return SQLiteStore.create(path) if create else SQLiteStore(path)


__all__ = ["Conflict", "InvalidData", "NotFound", "Store", "StoreError", "open_store"]
