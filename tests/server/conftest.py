"""A team server per back-end, with one account per role, driven in-process (TestClient)
or, for GDAL, the browser and the load benchmark, by uvicorn on a loopback port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from fastapi import FastAPI
from fastapi.testclient import TestClient

from safeground.server.app import create_app
from safeground.server.settings import Settings
from safeground.services.accounts import Accounts
from safeground.store import open_store
from tests.backends import BACKENDS, store_url

SECRET = "a-test-secret-that-is-long-and-varied-0123456789"
PASSWORD = "correct horse battery"
USERS = {
    "fo": ["field_officer"],
    "fo2": ["field_officer"],
    "rev": ["reviewer"],
    "both": ["field_officer", "reviewer"],
    "view": ["viewer"],
    "adm": ["admin"],
    "med": ["viewer", "personal_data"],
    "pd": ["personal_data"],  # a grant without a job: reads nothing else
}


@dataclass
class Server:
    url: str  # the store URL
    app: FastAPI
    export_dir: Path

    def client(self, user: str | None = None) -> TestClient:
        """A client logged in as ``user`` (bearer token), or anonymous."""
        client = TestClient(self.app)
        if user is not None:
            r = client.post("/api/login", json={"name": user, "password": PASSWORD})
            assert r.status_code == 200, r.text
            client.cookies.clear()
            client.headers["Authorization"] = f"Bearer {r.json()['token']}"
        return client


def make_server(url: str, tmp_path: Path, **settings: object) -> Server:
    with open_store(url, create=True) as store:
        # the cheapest Argon2 parameters, for speed: logins verify with each hash's own
        accounts = Accounts(store, SECRET, hasher=PasswordHasher.from_parameters(CHEAPEST))
        for name, roles in USERS.items():
            accounts.create(name, PASSWORD, roles, by="setup")
    export_dir = tmp_path / "exports"
    app = create_app(
        Settings(db=url, secret_key=SECRET, export_dir=export_dir, **settings)  # type: ignore[arg-type]
    )
    return Server(url, app, export_dir)


@pytest.fixture(params=BACKENDS)
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from store_url(request.param, tmp_path)


@pytest.fixture
def server(backend_url: str, tmp_path: Path) -> Iterator[Server]:
    s = make_server(backend_url, tmp_path, max_upload_bytes=200_000)
    with TestClient(s.app):  # runs the lifespan: the pool closes at the end
        yield s


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Running:
    """uvicorn serving ``app`` on a loopback port in a thread, until ``stop``."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=20)
