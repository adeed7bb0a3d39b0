"""Helpers for the planning tests: the PSPLIB data shared next to the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

#: ../shared/data next to the repository (see its SOURCES.md).
SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def psplib(*parts: str) -> Path:
    """A path in the shared PSPLIB data, or a skip saying why the test cannot run."""
    path = SHARED_DATA.joinpath("psplib", *parts)
    if not path.exists():
        pytest.skip(
            f"PSPLIB data not present: {path} (clone the shared data next to the repository "
            "as ../shared to run this test)"
        )
    return path
