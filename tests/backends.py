"""Both store back-ends as test parameters: a temporary GeoPackage, and a fresh schema in
the PostgreSQL named by SAFEGROUND_TEST_PG_URL.

Without that variable the PostGIS cases skip, saying how to run them; with
SAFEGROUND_REQUIRE_PG=1 (as CI sets it) they fail instead, so CI never skips them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

BACKENDS = ("sqlite", "postgis")


def pg_url() -> str:
    """The test PostgreSQL's URL, or a skip (a failure where PostGIS is required)."""
    url = os.environ.get("SAFEGROUND_TEST_PG_URL")
    if not url:
        why = (
            "PostGIS tests need SAFEGROUND_TEST_PG_URL (start a throwaway cluster with "
            '`eval "$(bash .ci/pg-start /tmp/sg-pg)"`)'
        )
        if os.environ.get("SAFEGROUND_REQUIRE_PG") == "1":
            pytest.fail(why + "; SAFEGROUND_REQUIRE_PG=1 forbids skipping them")
        pytest.skip(why)
    return url


def store_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A URL for a new, empty store of ``backend``; the PostGIS schema is dropped after."""
    if backend == "sqlite":
        yield f"sqlite:{tmp_path / 'site.gpkg'}"
        return
    import psycopg

    base = pg_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}schema={schema}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
