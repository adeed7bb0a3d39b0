"""Storage behind one contract; the back-end is chosen by URL.

``sqlite:PATH`` or a plain path: the embedded GeoPackage store (the default).
``postgresql://user@host:port/db`` (optionally ``?schema=NAME``): the PostGIS store, for a
team server (install the ``server`` extra for its driver).
"""

from __future__ import annotations

import re
from pathlib import Path

from safeground.store.base import Conflict, InvalidData, NotFound, Store, StoreError


def open_store(url: str | Path, *, create: bool = False) -> Store:
    """Open (or, with ``create``, make) the store at ``url``."""
    text = str(url)
    if isinstance(url, Path):  # a URL that went through Path lost a slash: put it back
        text = re.sub(r"^(postgres(?:ql)?):/(?!/)", r"\1://", text)
    if text.startswith(("postgresql:", "postgres:")):
        try:
            from safeground.store.postgis import PostGISStore
        except ImportError as exc:  # psycopg comes with the server extra
            raise StoreError(
                "the PostGIS back-end needs psycopg: pip install 'safeground[server]'"
            ) from exc
        return PostGISStore.create(text) if create else PostGISStore(text)
    path = text.removeprefix("sqlite:")
    from safeground.store.sqlite import SQLiteStore

    return SQLiteStore.create(path) if create else SQLiteStore(path)


__all__ = ["Conflict", "InvalidData", "NotFound", "Store", "StoreError", "open_store"]
