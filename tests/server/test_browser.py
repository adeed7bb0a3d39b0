"""The page in a real browser (Debian's chromium, driven by playwright): a field officer
uploads an area and files a clearance; a reviewer approves; the summary and the map change;
the field officer cannot approve their own report; a name with markup stays text."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import box, gj
from tests.server.conftest import PASSWORD, Running, make_server
from tests.tools import CHROMIUM_ARGS, chromium

ABOUT_20_000 = re.compile(r"^(19,9\d\d|20,0\d\d)$")  # 200 m x 100 m, drawn in degrees
NAME = 'North field <img src=x onerror="window.pwned=1">'


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    chromium()  # fails under .ci/run, skips elsewhere, when it is missing
    url = f"sqlite:{tmp_path / 'site.gpkg'}"
    make_server(url, tmp_path).app.state.pool.close()
    running = Running(url)
    try:
        yield running.base
    finally:
        running.stop()


def test_field_officer_files_reviewer_approves_and_the_page_follows(
    site: str, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect, sync_playwright

    area = tmp_path / "area.geojson"
    area.write_text(
        json.dumps({"type": "Feature", "properties": {}, "geometry": gj(box(0, 0, 200, 100))})
    )

    def login(page: Page, name: str) -> None:
        page.goto(site)
        page.fill("#login-name", name)
        page.fill("#login-password", PASSWORD)
        page.click("#login-submit")
        expect(page.locator("#who")).to_contain_text(name)

    def file_report(
        page: Page, kind: str, payload: dict[str, object], geometry: Path | None
    ) -> None:
        page.select_option("#report-kind", kind)
        page.fill("#report-record", "HA-000001")
        page.fill("#report-payload", json.dumps(payload))
        if geometry is not None:
            page.set_input_files("#report-geometry", str(geometry))
        page.click("#report-send")
        expect(page.locator("#message")).to_contain_text(f"({kind}) on HA-000001: submitted")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS, headless=True)
        try:
            fo = browser.new_context().new_page()
            rev = browser.new_context().new_page()
            dialogs: list[str] = []
            for page in (fo, rev):
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

            # the field officer uploads an area, submitted for review
            login(fo, "fo")
            fo.set_input_files("#upload-file", str(area))
            fo.fill("#upload-name", NAME)
            fo.click("#upload-send")
            expect(fo.locator("#message")).to_contain_text("registers HA-000001: submitted")

            # the reviewer approves it: the summary and the map show the area
            login(rev, "rev")
            expect(rev.locator("#summary-area")).to_have_text("\N{EN DASH}")  # nothing recorded yet
            rev.click('tr[data-report="1"] button[data-action="approve"]')
            expect(rev.locator("#message")).to_contain_text("report 1: approved")
            expect(rev.locator("#summary-area")).to_have_text(ABOUT_20_000)
            expect(rev.locator("path.sg-hazard")).to_have_count(1)
            expect(rev.locator("path.sg-released")).to_have_count(0)
            expect(rev.locator('tr[data-area="HA-000001"]')).to_contain_text(NAME)

            # the field officer files the clearance: the activity and its outcome
            fo.reload()
            expect(fo.locator("#who")).to_contain_text("fo")
            file_report(fo, "activity", {"activity_type": "clearance", "method": "manual"}, None)
            file_report(
                fo, "outcome", {"outcome": "cleared", "activity_id": "A1", "depth_cm": 20}, area
            )
            # no approve button for their own reports, and the server refuses them anyway
            expect(fo.locator('tr[data-report="3"] button[data-action="approve"]')).to_have_count(0)
            status = fo.evaluate(
                """async () => (await fetch('/api/reports/3/approve', {method: 'POST',
                    headers: {'Content-Type': 'application/json', 'X-Requested-With': 'x'},
                    body: JSON.stringify({version: 2})})).status"""
            )
            assert status == 403
            expect(fo.locator('tr[data-report="3"] .status')).to_have_text("submitted")

            # the reviewer approves both: the land shows as cleared
            rev.reload()
            expect(rev.locator("#who")).to_contain_text("rev")
            for report_id in (2, 3):
                rev.click(f'tr[data-report="{report_id}"] button[data-action="approve"]')
                expect(rev.locator("#message")).to_contain_text(f"report {report_id}: approved")
            expect(rev.locator("#summary-cleared")).to_have_text(ABOUT_20_000)
            expect(rev.locator("#summary-remaining")).to_have_text("0")
            expect(rev.locator("path.sg-released")).to_have_count(1)

            # markup in a name stayed text: nothing ran
            assert fo.evaluate("window.pwned") is None and rev.evaluate("window.pwned") is None
            assert dialogs == []
            rev.screenshot(path=str(tmp_path / "page.png"))
        finally:
            browser.close()
