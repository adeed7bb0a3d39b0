"""The command line of team mode: accounts are added and changed from the shell (the
first admin is made here), and ``safeground serve`` refuses to start without a secret."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safeground.cli import app as cli
from safeground.store import open_store
from tests.backends import BACKENDS, store_url


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    for u in store_url(request.param, tmp_path):
        open_store(u, create=True).close()
        yield u


def test_accounts_are_added_listed_and_deactivated_from_the_shell(url: str) -> None:
    runner = CliRunner()
    env = {"SAFEGROUND_PASSWORD": "a long enough password"}
    add = ["user", "add", "ana", "--role", "admin", "--db", url, "--user", "installer"]
    assert runner.invoke(cli, add, env=env).exit_code == 0
    again = runner.invoke(cli, add, env=env)
    assert again.exit_code == 1 and "exists already" in again.output
    bad = runner.invoke(cli, ["user", "add", "bo", "--role", "king", "--db", url], env=env)
    assert bad.exit_code == 1
    off = runner.invoke(cli, ["user", "set", "ana", "--inactive", "--db", url, "--user", "x"])
    assert off.exit_code == 0, off.output
    listed = json.loads(runner.invoke(cli, ["user", "list", "--db", url, "--json"]).output)
    assert listed == [{"name": "ana", "roles": ["admin"], "active": False}]
    with open_store(url) as store:
        assert [by for _, by, _ in store.account_log("ana")] == ["installer", "x"]
        assert store.account("ana").password_hash.startswith("$argon2id$")


def test_serve_refuses_to_start_without_a_real_secret(tmp_path: Path) -> None:
    db = tmp_path / "site.gpkg"
    open_store(db, create=True).close()
    for secret in ("", "changethis"):
        result = subprocess.run(
            [sys.executable, "-m", "safeground.cli", "serve", "--db", str(db), "--port", "1"],
            env={"SAFEGROUND_SECRET_KEY": secret, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1, result.stdout
        assert "SAFEGROUND_SECRET_KEY" in result.stderr
