"""External programs some tests drive (Debian's chromium, pdftotext): found, or the test is
skipped saying why, or, under .ci/run (SAFEGROUND_CI), failed, since CI installs them."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

#: Headless Chromium with nothing that reaches the network on its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_tool(name: str, path: str | None = None) -> str:
    """The path of an external program the test needs. Missing: the test fails when
    SAFEGROUND_CI is set (.ci/run installs the program), else it is skipped, saying why."""
    found = path if path and Path(path).exists() else shutil.which(name)
    if found:
        return found
    why = f"{name} is not installed (Debian: apt-get install {name}); .ci/run installs it"
    if os.environ.get("SAFEGROUND_CI"):
        pytest.fail(why)
    pytest.skip(why)


def chromium() -> str:
    """Debian's chromium ($SAFEGROUND_CHROMIUM, else /usr/bin/chromium or on the PATH)."""
    return require_tool("chromium", os.environ.get("SAFEGROUND_CHROMIUM", "/usr/bin/chromium"))
