"""The pure core stays pure: the domain imports no database, web or solver library."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = (
    "sqlite3",
    "sqlalchemy",
    "psycopg",
    "psycopg2",
    "fastapi",
    "starlette",
    "uvicorn",
    "httpx",
    "requests",
    "ortools",
    "pyogrio",
    "typer",
    "rich",
    "safeground.store",
    "safeground.services",
    "safeground.cli",
)


def test_domain_imports_no_database_web_or_solver_library() -> None:
    code = (
        "import sys, pkgutil, importlib, safeground.domain as d\n"
        "for m in pkgutil.walk_packages(d.__path__, 'safeground.domain.'):\n"
        "    importlib.import_module(m.name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r} "
        f"or any(m.startswith(f + '.') or m == f for f in {FORBIDDEN!r} if '.' in f))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"the domain pulls in: {result.stdout.strip()}"
