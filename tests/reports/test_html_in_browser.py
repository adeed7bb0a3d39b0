"""The HTML report opened in headless Chromium, from a file, with no network: nothing
is requested from anywhere, nothing fails, the map is drawn, the tables hold the
numbers of ``safeground summary --json``."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from matplotlib.image import imread

from safeground.reports.layers import HAZARD_COLOURS, RELEASE_COLOURS
from tests.reports.shared import VICTIM_NAME, Example
from tests.reports.summary_json import RELEASE_TABLES, assert_table_equals_summary
from tests.tools import CHROMIUM_ARGS, chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    path = chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def opened(browser: Any, example_report: Example) -> Iterator[dict[str, Any]]:
    """The report loaded in a page, with every request, failure and console error."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    seen: dict[str, Any] = {"requests": [], "failed": [], "errors": [], "page": page}
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("requestfailed", lambda r: seen["failed"].append((r.url, r.failure)))
    page.on(
        "console",
        lambda m: seen["errors"].append(m.text) if m.type in ("error", "warning") else None,
    )
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.goto(example_report.report.html.resolve().as_uri(), wait_until="load")
    page.wait_for_function("document.getElementById('map').dataset.ready === 'yes'")
    page.wait_for_timeout(300)  # let the canvas renderer draw its frame
    yield seen
    page.close()


def test_report_opens_from_a_file_without_any_request_or_error(
    opened: dict[str, Any], example_report: Example
) -> None:
    page_url = example_report.report.html.resolve().as_uri()
    elsewhere = [u for u in opened["requests"] if u != page_url and not u.startswith("data:")]
    assert elsewhere == []
    assert opened["failed"] == []
    assert opened["errors"] == []


def _near(pixels: np.ndarray, colour: str, tolerance: float = 40) -> int:
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    return int((np.abs(pixels[..., :3] - rgb).sum(axis=-1) * 255 < tolerance).sum())


def test_map_canvas_draws_outlines_hazards_and_released_land(opened: dict[str, Any]) -> None:
    page = opened["page"]
    assert page.locator("#map canvas").count() >= 1  # vector layers on a canvas
    map_box = page.locator("#map")
    map_box.scroll_into_view_if_needed()
    pixels = imread(io.BytesIO(map_box.screenshot()), format="png")
    colours = np.unique((pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 50, "the map is (nearly) one colour: nothing was drawn"
    # the hazard areas and released land appear in their legend colours (fills blend
    # over the land, so strokes and fills are looked for with a tolerance)
    drawn = {label: _near(pixels, c) for label, c in {**HAZARD_COLOURS, **RELEASE_COLOURS}.items()}
    assert drawn["open, priority (an asset waits for it)"] + drawn["open"] > 20, drawn
    assert sum(drawn[label] for label in RELEASE_COLOURS) > 20, drawn


def _table(page: Any, key: str) -> list[list[tuple[str, float | None]]]:
    rows: list[list[list[Any]]] = page.evaluate(
        """key => [...document.querySelectorAll(`table[data-table="${key}"] tbody tr`)]
            .map(tr => [...tr.cells].map(td => [td.textContent,
                 td.dataset.value === undefined ? null : Number(td.dataset.value)]))""",
        key,
    )
    return [[(text, value) for text, value in row] for row in rows]


@pytest.mark.parametrize("table", sorted(RELEASE_TABLES))
def test_land_release_tables_in_the_browser_equal_the_summary_json(
    opened: dict[str, Any], example_report: Example, table: str
) -> None:
    assert_table_equals_summary(
        _table(opened["page"], table), example_report.db, RELEASE_TABLES[table]
    )


def test_no_victim_name_in_the_page_text(opened: dict[str, Any]) -> None:
    assert VICTIM_NAME not in opened["page"].content()
    assert "accidents" in opened["page"].inner_text("body")
