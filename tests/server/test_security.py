"""Security: every endpoint refuses the anonymous (401) and the unauthorised (403);
injection attempts are stored as text and change nothing else; uploads have a size limit;
exports cannot leave their folder."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import box, gj
from tests.server.conftest import PASSWORD, Server

#: Each endpoint, with a request body where it takes one, and an account that may not use it.
FORBIDDEN: dict[tuple[str, str], tuple[str, dict[str, Any] | None]] = {
    ("POST", "/api/logout"): ("", None),  # any session may end itself: 401 only
    ("GET", "/api/me"): ("", None),
    ("GET", "/api/areas"): ("pd", None),
    ("GET", "/api/areas/{area_id}"): ("pd", None),
    ("GET", "/api/summary"): ("pd", None),
    ("GET", "/api/reports"): ("pd", None),
    ("GET", "/api/reports/{report_id}"): ("pd", None),
    ("GET", "/api/reports/{report_id}/personal"): ("view", None),
    ("POST", "/api/reports"): ("rev", {"kind": "area.register", "payload": {}}),
    ("POST", "/api/uploads/area"): ("view", None),
    ("PUT", "/api/reports/{report_id}"): ("view", {"version": 1, "payload": {}}),
    ("POST", "/api/reports/{report_id}/submit"): ("rev", {"version": 1}),
    ("POST", "/api/reports/{report_id}/approve"): ("fo", {"version": 1}),
    ("POST", "/api/reports/{report_id}/reject"): ("fo", {"version": 1, "reason": "no"}),
    ("GET", "/api/victims"): ("adm", None),
    ("POST", "/api/exports"): ("pd", {"name": "x"}),
    ("GET", "/api/users"): ("rev", None),
    ("POST", "/api/users"): ("fo", {"name": "x", "password": "0123456789ab", "roles": ["admin"]}),
    ("PATCH", "/api/users/{name}"): ("rev", {"version": 1, "roles": ["admin"]}),
    ("GET", "/ogc"): ("pd", None),
    ("GET", "/ogc/conformance"): ("pd", None),
    ("GET", "/ogc/collections"): ("pd", None),
    ("GET", "/ogc/collections/{name}"): ("pd", None),
    ("GET", "/ogc/collections/{name}/items"): ("pd", None),
    ("GET", "/ogc/collections/{name}/items/{fid}"): ("pd", None),
}
PUBLIC = {("POST", "/api/login")}
PARAMS = {"area_id": "HA-000001", "report_id": "1", "name": "hazard_areas", "fid": "HA-000001"}


def _endpoints(server: Server) -> set[tuple[str, str]]:
    """Every operation the API describes (the page and the docs are not in it)."""
    paths = server.app.openapi()["paths"]
    return {(method.upper(), path) for path, ops in paths.items() for method in ops}


def _path(template: str, **override: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: {**PARAMS, **override}[m.group(1)], template)


@pytest.fixture
def seeded(server: Server) -> Server:
    fo = server.client("fo")
    payload = {"name": "a", "hazard_type": "SHA", "geometry": gj(box(0, 0, 100, 100))}
    r = fo.post("/api/reports", json={"kind": "area.register", "payload": payload, "submit": True})
    assert r.json()["id"] == 1
    server.client("rev").post("/api/reports/1/approve", json={"version": 2})
    return server


def test_every_endpoint_is_listed_here(server: Server) -> None:
    assert _endpoints(server) == set(FORBIDDEN) | PUBLIC


def test_every_endpoint_refuses_the_anonymous(seeded: Server) -> None:
    anonymous = seeded.client()
    for (method, template), (_user, body) in FORBIDDEN.items():
        r = anonymous.request(method, _path(template), json=body)
        assert r.status_code == 401, (method, template, r.status_code)
        assert r.headers["www-authenticate"] == "Bearer"
        forged = anonymous.request(
            method, _path(template), json=body, headers={"Authorization": "Bearer forged"}
        )
        assert forged.status_code == 401, (method, template)


def test_every_endpoint_refuses_the_unauthorised(seeded: Server) -> None:
    for (method, template), (user, body) in FORBIDDEN.items():
        if not user:
            continue
        client = seeded.client(user)
        if template == "/api/uploads/area":
            r = client.post(template, files={"file": ("a.geojson", b"{}")}, data={"name": "x"})
        else:
            r = client.request(method, _path(template), json=body)
        assert r.status_code == 403, (method, template, user, r.status_code, r.text)
    # and the refused changes changed nothing
    assert seeded.client("view").get("/api/reports/1").json()["status"] == "approved"
    assert [u["name"] for u in seeded.client("adm").get("/api/users").json()] == sorted(
        ["adm", "both", "fo", "fo2", "med", "pd", "rev", "view"]
    )


INJECTIONS = [
    "'; DROP TABLE reports; --",
    "x' OR '1'='1",
    '<script>alert("x")</script>',
    '"><img src=x onerror=alert(1)>',
    "HA-000001' UNION SELECT password_hash, 1, 1 FROM accounts --",
]


@pytest.mark.parametrize("attack", INJECTIONS)
def test_injection_in_filters_names_and_uploads_is_stored_as_text_and_harmless(
    seeded: Server, attack: str
) -> None:
    fo, view = seeded.client("fo"), seeded.client("view")
    assert view.get("/api/reports", params={"record": attack}).json() == []
    assert view.get("/api/reports", params={"status": attack}).status_code == 422
    assert view.get(f"/api/areas/{attack}").status_code == 404
    assert (
        view.get("/ogc/collections/hazard_areas/items", params={"bbox": attack}).status_code == 400
    )
    assert view.get(f"/ogc/collections/{attack}/items").status_code == 404
    assert (
        seeded.client().post("/api/login", json={"name": attack, "password": attack}).status_code
        == 401
    )
    up = fo.post(
        "/api/uploads/area",
        files={"file": ("a.geojson", _geojson(attack).encode(), "application/geo+json")},
        data={"name": attack, "admin_unit": attack, "submit": "true"},
    )
    assert up.status_code == 201, up.text
    assert up.headers["content-type"] == "application/json"
    stored = view.get(f"/api/reports/{up.json()['id']}").json()
    assert stored["payload"]["name"] == attack  # kept verbatim, as text
    reports = view.get("/api/reports").json()
    assert [r["id"] for r in reports] == [1, up.json()["id"]]  # the table is whole
    assert "argon2" not in str(reports)


def _geojson(name: str) -> str:
    import json

    feature = {"type": "Feature", "properties": {"name": name}, "geometry": gj(box(500, 0, 50, 50))}
    return json.dumps({"type": "FeatureCollection", "features": [feature]})


def test_the_page_allows_no_inline_or_foreign_script(server: Server) -> None:
    page = server.client().get("/")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src" not in policy
    assert "<script>" not in page.text  # every script is a file from this server
    assert "http" not in re.sub(r'href="/[^"]*"|src="/[^"]*"', "", page.text)
    docs = server.client().get("/docs").text
    assert "cdn" not in docs.lower() and "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs
    assert server.client().get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_uploads_over_the_limit_are_refused_before_anything_is_stored(server: Server) -> None:
    fo = server.client("fo")
    big = _geojson("x").encode() + b" " * 300_000  # the test server allows 200,000 bytes
    r = fo.post("/api/uploads/area", files={"file": ("a.geojson", big)}, data={"name": "big"})
    assert r.status_code == 413

    def chunks():  # no Content-Length: counted as it streams
        for _ in range(40):
            yield b"x" * 10_000

    r = fo.post(
        "/api/reports",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert fo.get("/api/reports").json() == []


@pytest.mark.parametrize(
    "name", ["../escape", "/etc/passwd", "a/b", "..", ".", "", "x" * 81, "a\\b", "na\x00me"]
)
def test_export_names_cannot_escape_the_export_folder(seeded: Server, name: str) -> None:
    before = {p for p in seeded.export_dir.parent.rglob("*")}
    r = seeded.client("view").post("/api/exports", json={"name": name, "format": "geojson"})
    assert r.status_code == 422
    assert {p for p in seeded.export_dir.parent.rglob("*")} == before


def test_a_plain_export_name_writes_inside_the_folder_without_personal_data(
    seeded: Server,
) -> None:
    view = seeded.client("view")
    r = view.post("/api/exports", json={"name": "monthly_2025-03", "format": "geojson"})
    assert r.status_code == 200, r.text
    files = [seeded.export_dir / item["file"] for item in r.json()]
    assert all(f.resolve().is_relative_to(seeded.export_dir.resolve()) for f in files)
    assert "victims" not in {item["layer"] for item in r.json()}
    again = view.post("/api/exports", json={"name": "monthly_2025-03", "format": "geojson"})
    assert again.status_code == 409  # never overwritten
    personal = view.post("/api/exports", json={"name": "p", "include_personal": True})
    assert personal.status_code == 403


def test_repeated_failed_logins_are_refused_even_with_the_right_password(server: Server) -> None:
    client = server.client()
    for _ in range(5):
        r = client.post("/api/login", json={"name": "fo", "password": "guess"})
        assert r.status_code == 401
    r = client.post("/api/login", json={"name": "fo", "password": PASSWORD})
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) > 0
    assert "token" not in r.json()
    assert server.client("rev").get("/api/me").status_code == 200  # others log in
