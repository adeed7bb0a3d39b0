"""The store contract, run against every back-end: the GeoPackage file and PostGIS.

What one back-end does, the other does the same way: the same reports back, the same
refusals, the same layers (row for row, geometry for geometry) after the same story.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safeground.domain.model import RecordType, ReportKind, ReportStatus
from safeground.services import example, register
from safeground.services.workflow import Workflow
from safeground.store import open_store
from safeground.store.base import (
    LAYERS,
    Account,
    Conflict,
    ImportLog,
    NewReport,
    NotFound,
    SourceLink,
    Store,
    StoreError,
)
from tests.backends import BACKENDS, store_url
from tests.conftest import box, gj

AT = datetime(2025, 3, 1, 9, 30, 15, 123000, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from store_url(request.param, tmp_path)


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    with open_store(url, create=True) as s:
        yield s


def _new(record_id: str = "HA-000001", **kw: object) -> NewReport:
    fields: dict[str, object] = {
        "kind": ReportKind.AREA_REGISTER,
        "record_id": record_id,
        "report_date": date(2025, 3, 1),
        "payload": {"name": "field", "n": 1.5, "nested": {"a": [1, 2]}},
        "author": "ana",
        "created_at": AT,
    }
    fields.update(kw)
    return NewReport(**fields)  # type: ignore[arg-type]


def test_a_stored_report_reads_back_as_it_was_returned(store: Store) -> None:
    with store.transaction():
        stored = store.add_report(_new())
    assert store.report(stored.id) == stored
    assert stored.status is ReportStatus.DRAFT and stored.created_at == AT


def test_reports_filter_and_stream_in_record_order(store: Store) -> None:
    with store.transaction():
        b = store.add_report(_new("HA-000002"))
        a = store.add_report(_new("HA-000001"))
    assert [r.id for r in store.reports(record_id="HA-000001")] == [a.id]
    assert [r.id for r in store.reports(status=ReportStatus.DRAFT)] == [b.id, a.id]
    assert [r.record_id for r in store.iter_reports()] == ["HA-000001", "HA-000002"]


def test_missing_report_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.report(999)
    with pytest.raises(NotFound):
        store.report_version(999)


def test_status_moves_only_from_the_expected_status(store: Store) -> None:
    with store.transaction():
        r = store.add_report(_new())
        store.set_status(
            r.id, expected=ReportStatus.DRAFT, status=ReportStatus.SUBMITTED, by="ana", at=AT
        )
    with pytest.raises(Conflict), store.transaction():
        store.set_status(
            r.id, expected=ReportStatus.DRAFT, status=ReportStatus.SUBMITTED, by="ana", at=AT
        )
    assert store.report(r.id).submitted_by == "ana"


def test_the_database_refuses_to_change_an_approved_report(store: Store) -> None:
    with store.transaction():
        r = store.add_report(_new(), approved_by="ben", at=AT)
    with pytest.raises(StoreError), store.transaction():
        store.set_status(
            r.id, expected=ReportStatus.APPROVED, status=ReportStatus.REJECTED, by="x", at=AT
        )
    with pytest.raises(Conflict), store.transaction():
        store.update_draft(r.id, {"name": "changed"}, date(2025, 1, 1))
    assert store.report(r.id) == r


def test_each_change_to_a_report_counts_a_version(store: Store) -> None:
    with store.transaction():
        r = store.add_report(_new())
    assert store.report_version(r.id) == 1
    with store.transaction():
        store.update_draft(r.id, {"name": "b"}, date(2025, 3, 2))
        assert store.report_version(r.id) == 2
        store.set_status(
            r.id, expected=ReportStatus.DRAFT, status=ReportStatus.SUBMITTED, by="ana", at=AT
        )
    assert store.report_version(r.id) == 3


def test_a_failed_transaction_stores_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.add_report(_new())
        with store.transaction():
            store.next_number("area")
        raise RuntimeError("boom")
    assert store.reports() == []
    with store.transaction():
        assert store.next_number("area") == 1


def test_inner_transaction_rolls_back_alone(store: Store) -> None:
    with store.transaction():
        store.add_report(_new("HA-000001"))
        with pytest.raises(RuntimeError), store.transaction():
            store.add_report(_new("HA-000002"))
            raise RuntimeError("refused")
    assert [r.record_id for r in store.reports()] == ["HA-000001"]


def test_writes_outside_a_transaction_are_refused(store: Store) -> None:
    with pytest.raises(StoreError):
        store.add_report(_new())


def test_counters_hand_out_blocks_without_overlap(store: Store) -> None:
    with store.transaction():
        assert store.next_number("area") == 1
        assert store.next_number("area", 10) == 2
        assert store.next_number("area") == 12
        assert store.next_number("team") == 1
        with pytest.raises(ValueError):
            store.next_number("area", 0)


def test_taken_record_ids_are_found_among_many(store: Store) -> None:
    with store.transaction():
        store.add_report(_new("HA-000007"))
    ids = [f"HA-{n:06d}" for n in range(1, 1200)]
    assert store.record_ids_taken(RecordType.AREA, ids) == {"HA-000007"}
    assert store.record_ids_taken(RecordType.ASSET, ids) == set()


def test_imports_and_their_source_links_read_back(store: Store) -> None:
    with store.transaction():
        r = store.add_report(_new(), approved_by="ben", at=AT)
        log = ImportLog(
            "a.gpkg",
            "ff" * 32,
            "GPKG",
            "hazard-areas",
            "ds",
            [{"name": "l", "crs": "EPSG:4326", "features": 1}],
            {"name": "NAME"},
            "ana",
            "ben",
            AT,
            1,
            1,
            0,
            0,
        )
        number = store.add_import(
            log, [SourceLink("ds/l/1", RecordType.AREA, r.record_id, "h", r.id)]
        )
    assert store.imports() == [(number, log)]
    links = store.source_links(["ds/l/1", "ds/l/2"])
    assert list(links) == ["ds/l/1"] and links["ds/l/1"].report_id == r.id


def test_personal_data_is_kept_apart_from_the_report(store: Store) -> None:
    with store.transaction():
        r = store.add_report(
            _new(kind=ReportKind.ACCIDENT, record_id="ACC-000001", personal={"victims": []})
        )
    assert store.personal_data(r.id) == {"victims": []}
    assert "victims" not in store.report(r.id).payload


@pytest.fixture
def told(store: Store) -> Store:
    example.run(store)
    return store


def test_the_example_story_leaves_a_projection_that_replays(told: Store) -> None:
    assert list(register.verify(told)) == []
    assert {r.area_id: r.status for r in told.area_rows()} == {
        "HA-000001": "handed_over",
        "HA-000002": "closed",
        "HA-000003": "open",
    }
    assert len(told.release_rows()) >= 3


def test_both_back_ends_keep_the_same_layers(told: Store, tmp_path: Path) -> None:
    with open_store(tmp_path / "reference.gpkg", create=True) as reference:
        example.run(reference)
        for name in (*LAYERS, "victims"):
            want, got = reference.layer(name), told.layer(name)
            assert got.columns == want.columns, name
            assert [tuple(r) for r in got.rows] == [tuple(r) for r in want.rows], name
            assert got.personal == want.personal
            if want.geometries is not None:
                assert got.geometries is not None
                g, w = got.shapes(), want.shapes()
                assert all(shapely.equals_exact(a, b, 0) for a, b in zip(g, w, strict=True))
        assert register.summary(told) == register.summary(reference)


def test_layer_pages_follow_the_spatial_index_and_page_in_order(store: Store) -> None:
    wf = Workflow(store)
    ids = []
    for i in range(5):
        r = wf.draft(
            "area.register",
            author="ana",
            payload={
                "name": f"a{i}",
                "hazard_type": "SHA",
                "geometry": gj(box(i * 1000, 0, 100, 100)),
            },
        )
        wf.submit(r.id, user="ana")
        wf.approve(r.id, user="ben")
        ids.append(r.record_id)
    west, south, *_ = box(0, 0, 1, 1).bounds
    east, north, *_ = box(2050, 50, 1, 1).bounds  # covers areas 0, 1 and 2
    page = store.layer_page("hazard_areas", bbox=(west, south, east, north))
    assert [row[0] for row in page.rows] == ids[:3]
    assert [row[0] for row in store.layer_page("hazard_areas", limit=2, offset=2).rows] == ids[2:4]
    one = store.layer_page("hazard_areas", key=ids[4])
    assert [row[0] for row in one.rows] == ids[4:] and one.shapes()[0] is not None
    assert store.layer_page("hazard_areas", bbox=(0.0, 0.0, 1.0, 1.0)).rows == []
    with pytest.raises(NotFound):
        store.layer_page("victims")


def _account(name: str = "ana") -> Account:
    return Account(name, ("field_officer",), "$argon2id$x", True, 1, AT, "admin")


def test_accounts_refuse_a_taken_name_and_stale_changes(store: Store) -> None:
    with store.transaction():
        a = store.add_account(_account(), by="admin")
    assert a.version == 1 and store.account("ana") == a
    with pytest.raises(Conflict), store.transaction():
        store.add_account(_account(), by="admin")
    with store.transaction():
        b = store.update_account(
            "ana", expected_version=1, by="admin", at=AT, roles=["reviewer", "viewer"]
        )
    assert b.version == 2 and b.roles == ("reviewer", "viewer")
    with pytest.raises(Conflict, match="version 2"), store.transaction():
        store.update_account("ana", expected_version=1, by="admin", at=AT, active=False)
    with pytest.raises(NotFound), store.transaction():
        store.update_account("nobody", expected_version=1, by="admin", at=AT, active=False)
    assert [what for _, _, what in store.account_log("ana")] == [
        "created with roles ['field_officer']",
        "roles ['reviewer', 'viewer']",
    ]
    assert [x.name for x in store.accounts()] == ["ana"]


def test_sessions_end_when_they_expire_or_the_account_is_deactivated(store: Store) -> None:
    with store.transaction():
        store.add_account(_account(), by="admin")
        store.add_session("h1", "ana", AT, AT + timedelta(hours=1))
        store.add_session("h2", "ana", AT, AT + timedelta(hours=1))
    assert store.session_account("h1", AT) is not None
    assert store.session_account("h1", AT + timedelta(hours=2)) is None
    with store.transaction():
        store.delete_session("h1")
    assert store.session_account("h1", AT) is None
    with store.transaction():
        store.update_account("ana", expected_version=1, by="admin", at=AT, active=False)
    assert store.session_account("h2", AT) is None


def test_reopening_applies_no_migration_twice(url: str) -> None:
    with open_store(url, create=True) as s, s.transaction():
        s.add_report(_new())
    with open_store(url) as s:
        assert len(s.reports()) == 1
    with pytest.raises(Conflict):
        open_store(url, create=True)


def test_opening_a_store_that_is_not_there_is_not_found(url: str) -> None:
    with pytest.raises(NotFound):
        open_store(url)


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=st.dictionaries(st.text(max_size=8), _json, max_size=4))
def test_any_json_payload_round_trips(store: Store, payload: dict[str, object]) -> None:
    with store.transaction():
        r = store.add_report(_new(payload=payload))
    assert store.report(r.id).payload == payload
