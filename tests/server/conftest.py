"""A team server per back-end, with one account per role, driven in-process (TestClient)
or, for GDAL, the browser and the load benchmark, by uvicorn on a loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
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
    """``safeground serve`` on a loopback port, in its own process (GDAL holds the GIL
    while it reads, so a server in a thread of the test process would stall), until
    ``stop``."""

    def __init__(self, url: str, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        environ = {**os.environ, "SAFEGROUND_SECRET_KEY": SECRET, **env}
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "safeground.cli",
                "serve",
                "--db",
                url,
                "--port",
                str(self.port),
            ],
            env=environ,
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/api/me", timeout=2):
                    pass
            except urllib.error.HTTPError as exc:
                if exc.code == 401:
                    break  # up, and refusing the anonymous
                raise
            except OSError:
                if time.monotonic() > deadline or self._proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        self._proc.terminate()
        try:
            self._proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
