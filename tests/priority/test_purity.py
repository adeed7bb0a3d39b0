"""The priority and risk cores do no I/O: no store, service, CLI or database imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

# (not "rich": scikit-learn itself imports it)
FORBIDDEN = (
    "sqlite3",
    "typer",
    "pyogrio",
    "skops",
    "safeground.store",
    "safeground.services",
    "safeground.cli",
)


@pytest.mark.parametrize("package", ["safeground.priority", "safeground.risk"])
def test_core_imports_no_storage_service_or_cli(package: str) -> None:
    code = (
        f"import sys, pkgutil, importlib, {package} as p\n"
        f"for m in pkgutil.walk_packages(p.__path__, '{package}.'):\n"
        "    importlib.import_module(m.name)\n"
        f"bad = sorted(m for m in sys.modules if any(m == f or m.startswith(f + '.') "
        f"for f in {FORBIDDEN!r}))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"{package} pulls in: {result.stdout.strip()}"
