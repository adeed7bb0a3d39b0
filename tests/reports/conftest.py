"""Fixtures of the report tests."""

from __future__ import annotations

import pytest

from tests.reports.shared import Example, write_example


@pytest.fixture(scope="session")
def example_report(tmp_path_factory: pytest.TempPathFactory) -> Example:
    return write_example(tmp_path_factory)
