"""The team server's JSON API on both back-ends: roles, four eyes, versions, personal data,
accounts and sessions."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from safeground.server.settings import Settings, SettingsError
from tests.conftest import box, gj
from tests.server.conftest import PASSWORD, Server

W = {"X-Requested-With": "safeground"}


def _area(client: TestClient, name: str = "field", east: float = 0) -> dict[str, Any]:
    payload = {"name": name, "hazard_type": "SHA", "geometry": gj(box(east, 0, 100, 100))}
    r = client.post(
        "/api/reports", json={"kind": "area.register", "payload": payload, "submit": True}
    )
    assert r.status_code == 201, r.text
    return r.json()


def _approve(client: TestClient, report: dict[str, Any]) -> dict[str, Any]:
    r = client.post(f"/api/reports/{report['id']}/approve", json={"version": report["version"]})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_reviewed_area_enters_the_register_and_the_summary(server: Server) -> None:
    fo, rev = server.client("fo"), server.client("rev")
    draft = _area(fo)
    assert draft["status"] == "submitted" and draft["author"] == "fo"
    assert rev.get("/api/areas").json() == []  # not before approval
    approved = _approve(rev, draft)
    assert approved["status"] == "approved" and approved["reviewed_by"] == "rev"
    (total,) = rev.get("/api/summary").json()
    assert total["areas"] == 1 and total["hazard_m2"] == pytest.approx(10_000, rel=0.01)
    area = rev.get(f"/api/areas/{draft['record_id']}").json()
    assert area["version"] == 1 and area["status"] == "open"


def test_a_field_officer_cannot_approve_even_their_own_report(server: Server) -> None:
    fo = server.client("fo")
    draft = _area(fo)
    r = fo.post(f"/api/reports/{draft['id']}/approve", json={"version": draft["version"]})
    assert r.status_code == 403
    assert fo.get(f"/api/reports/{draft['id']}").json()["status"] == "submitted"


def test_a_reviewer_never_approves_or_rejects_their_own_report(server: Server) -> None:
    both = server.client("both")
    draft = _area(both)
    for action, body in (("approve", {}), ("reject", {"reason": "mine"})):
        r = both.post(
            f"/api/reports/{draft['id']}/{action}", json={"version": draft["version"], **body}
        )
        assert r.status_code == 403 and "four eyes" in r.json()["detail"]
    assert _approve(server.client("rev"), draft)["status"] == "approved"


def test_a_stale_write_gets_409_with_the_current_version_and_changes_nothing(
    server: Server,
) -> None:
    fo, rev = server.client("fo"), server.client("rev")
    payload = {"name": "a", "hazard_type": "SHA", "geometry": gj(box(0, 0, 100, 100))}
    draft = fo.post("/api/reports", json={"kind": "area.register", "payload": payload}).json()
    assert draft["version"] == 1
    edited = fo.put(
        f"/api/reports/{draft['id']}", json={"version": 1, "payload": {**payload, "name": "b"}}
    )
    assert edited.status_code == 200 and edited.json()["version"] == 2
    stale = fo.put(
        f"/api/reports/{draft['id']}", json={"version": 1, "payload": {**payload, "name": "c"}}
    )
    assert stale.status_code == 409 and stale.json()["current_version"] == 2
    assert fo.get(f"/api/reports/{draft['id']}").json()["payload"]["name"] == "b"
    submitted = fo.post(f"/api/reports/{draft['id']}/submit", json={"version": 2}).json()
    late = rev.post(f"/api/reports/{draft['id']}/approve", json={"version": 2})
    assert late.status_code == 409 and late.json()["current_version"] == submitted["version"]
    assert rev.get("/api/areas").json() == []


def test_a_report_on_a_record_that_moved_on_is_refused(server: Server) -> None:
    fo, rev = server.client("fo"), server.client("rev")
    area_id = _approve(rev, _area(fo))["record_id"]
    body = {
        "kind": "activity",
        "record_id": area_id,
        "payload": {"activity_type": "non_technical_survey"},
        "record_version": 1,
    }
    assert fo.post("/api/reports", json=body).status_code == 201
    stale = fo.post("/api/reports", json={**body, "record_version": 0})
    assert stale.status_code == 409 and stale.json()["current_version"] == 1


def test_rules_refuse_with_their_name(server: Server) -> None:
    fo, rev = server.client("fo"), server.client("rev")
    area_id = _approve(rev, _area(fo))["record_id"]
    r = fo.post("/api/reports", json={"kind": "area.close", "record_id": area_id, "payload": {}})
    assert r.status_code == 422 and r.json()["rule"] == "area-not-covered"


def test_another_field_officer_cannot_submit_someone_elses_draft(server: Server) -> None:
    draft = _area(server.client("fo"))
    other = server.client("fo2")
    r = other.post(f"/api/reports/{draft['id']}/submit", json={"version": draft["version"]})
    assert r.status_code == 403


def _accident(fo: TestClient, rev: TestClient) -> dict[str, Any]:
    from shapely.geometry import Point

    payload = {"date": "2025-01-05", "killed": 0, "injured": 1, "geometry": gj(Point(30.5, 50.4))}
    personal = {"victims": [{"name": "Olena K.", "sex": "f", "age": 34, "injury": "injured"}]}
    r = fo.post(
        "/api/reports",
        json={"kind": "accident", "payload": payload, "personal": personal, "submit": True},
    )
    assert r.status_code == 201, r.text
    return _approve(rev, r.json())


def test_victims_data_only_with_the_explicit_permission(server: Server) -> None:
    report = _accident(server.client("fo"), server.client("rev"))
    assert "Olena" not in str(server.client("view").get(f"/api/reports/{report['id']}").json())
    for user in ("view", "rev", "adm"):
        client = server.client(user)
        assert client.get(f"/api/reports/{report['id']}/personal").status_code == 403
        assert client.get("/api/victims").status_code == 403
    med = server.client("med")
    assert (
        med.get(f"/api/reports/{report['id']}/personal").json()["personal"]["victims"][0]["name"]
        == "Olena K."
    )
    assert [v["name"] for v in med.get("/api/victims").json()] == ["Olena K."]


def test_admins_manage_accounts_with_versions_and_a_log(server: Server) -> None:
    adm = server.client("adm")
    made = adm.post("/api/users", json={"name": "new", "password": PASSWORD, "roles": ["viewer"]})
    assert made.status_code == 201 and made.json()["version"] == 1
    assert "password" not in str(adm.get("/api/users").json())
    assert adm.patch("/api/users/new", json={"version": 1, "roles": ["reviewer"]}).json()[
        "roles"
    ] == ["reviewer"]
    stale = adm.patch("/api/users/new", json={"version": 1, "active": False})
    assert stale.status_code == 409
    weak = adm.post("/api/users", json={"name": "weak", "password": "short", "roles": ["viewer"]})
    assert weak.status_code == 422
    assert (
        server.client("rev")
        .post("/api/users", json={"name": "x", "password": PASSWORD, "roles": ["admin"]})
        .status_code
        == 403
    )


def test_a_deactivated_account_and_a_logged_out_token_stop_working_at_once(
    server: Server,
) -> None:
    view = server.client("view")
    items = "/ogc/collections/hazard_areas/items"  # its own lean path to the session check
    assert view.get("/api/me").status_code == view.get(items).status_code == 200
    adm = server.client("adm")
    version = next(u["version"] for u in adm.get("/api/users").json() if u["name"] == "view")
    adm.patch("/api/users/view", json={"version": version, "active": False})
    assert view.get("/api/me").status_code == view.get(items).status_code == 401
    assert (
        server.client().post("/api/login", json={"name": "view", "password": PASSWORD}).status_code
        == 401
    )
    rev = server.client("rev")
    assert rev.get(items).status_code == 200
    assert rev.post("/api/logout").status_code == 204
    assert rev.get("/api/me").status_code == rev.get(items).status_code == 401


def test_cookie_sessions_write_only_with_the_page_header(server: Server) -> None:
    client = server.client()
    assert client.post("/api/login", json={"name": "fo", "password": PASSWORD}).status_code == 200
    payload = {"name": "c", "hazard_type": "SHA", "geometry": gj(box(0, 0, 50, 50))}
    body = {"kind": "area.register", "payload": payload}
    assert client.get("/api/me").json()["name"] == "fo"  # the cookie reads
    assert client.post("/api/reports", json=body).status_code == 403  # a forged form would
    assert client.post("/api/reports", json=body, headers=W).status_code == 201


def test_wrong_passwords_and_unknown_names_fail_alike(server: Server) -> None:
    client = server.client()
    a = client.post("/api/login", json={"name": "fo", "password": "wrong password!"})
    b = client.post("/api/login", json={"name": "nobody", "password": "wrong password!"})
    assert a.status_code == b.status_code == 401 and a.json() == b.json()


@pytest.mark.parametrize(
    "secret", ["", "changethis", "secret", "short-but-not-placeholder", "a" * 64]
)
def test_the_server_refuses_a_default_or_weak_secret(secret: str) -> None:
    with pytest.raises(SettingsError):
        Settings(db="x.gpkg", secret_key=secret)


def test_concurrent_approvals_on_one_area_lose_nothing(server: Server) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from safeground.services import register
    from safeground.store import open_store

    fo, rev = server.client("fo"), server.client("rev")
    area_id = _approve(rev, _area(fo))["record_id"]
    drafts = [
        fo.post(
            "/api/reports",
            json={
                "kind": "activity",
                "record_id": area_id,
                "payload": {"activity_type": "non_technical_survey"},
                "submit": True,
            },
        ).json()
        for _ in range(6)
    ]
    clients = [server.client("rev") for _ in drafts]
    with ThreadPoolExecutor(len(drafts)) as pool:
        done = list(
            pool.map(
                lambda pair: pair[0].post(
                    f"/api/reports/{pair[1]['id']}/approve", json={"version": pair[1]["version"]}
                ),
                zip(clients, drafts, strict=True),
            )
        )
    assert [r.status_code for r in done] == [200] * len(drafts)
    with open_store(server.url) as store:
        assert list(register.verify(store)) == []
        assert len(store.layer_page("activities", key=area_id).rows) == len(drafts)
