"""Load the team server on loopback: bbox queries over a national register and report
submissions, by bounded numbers of concurrent clients, on each back-end; print the table.

    python benchmarks/server_load.py [--areas 100000] [--clients 50] [--requests 40]
        [--backend sqlite|postgis|both] [--pg-url postgresql://...]

The register is recorded as benchmarks/register.py records it (irregular polygons along a
former front line, each by its own report checked by the rules, batches of 1,000). Then
``safeground serve`` runs in its own process on 127.0.0.1 and the clients (one session
each) send:
- bbox queries: OGC API items in a random window of about 1.5 x 2 km on the front line,
  ``limit=100`` (about 15 areas a window at 100,000 areas);
- submissions: a new area's registration drafted and submitted in one request.
Every client sends a fixed number of requests, so a run is bounded in count and time.
Goal: no errors, p99 under 200 ms for bbox queries at 50 concurrent clients.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx2 as httpx
import numpy as np
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from rich.console import Console
from rich.table import Table

from register import areas  # benchmarks/register.py: the same register
from safeground.clock import FixedClock
from safeground.services.accounts import Accounts
from safeground.services.workflow import Draft, Workflow
from safeground.store import open_store

SECRET = "benchmark-secret-not-for-production-0123456789"
PASSWORD = "benchmark password"
BATCH = 1_000
console = Console()


@dataclass
class Result:
    backend: str
    load: str
    clients: int
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        return float(np.percentile(self.latencies, q)) * 1000 if self.latencies else 0.0


def record(url: str, n: int) -> float:
    start = time.perf_counter()
    with open_store(url, create=True) as store:
        wf = Workflow(store, clock=FixedClock(date(2025, 6, 1)))
        payloads = areas(n)
        for first in range(0, n, BATCH):
            drafts = [Draft("area.register", p) for p in payloads[first : first + BATCH]]
            wf.file_many(drafts, author="import", reviewer="reviewer")
        accounts = Accounts(store, SECRET, hasher=PasswordHasher.from_parameters(CHEAPEST))
        accounts.create("bench.viewer", PASSWORD, ["viewer"], by="benchmark")
        accounts.create("bench.officer", PASSWORD, ["field_officer"], by="benchmark")
    return time.perf_counter() - start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "SAFEGROUND_SECRET_KEY": SECRET, "SAFEGROUND_POOL_SIZE": "16"}
    command = [sys.executable, "-m", "safeground.cli", "serve", "--db", url]
    proc = subprocess.Popen(
        [*command, "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/me", timeout=2)
        except urllib.error.HTTPError:
            return proc, base  # 401: up
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("the server did not start") from None
            time.sleep(0.2)


async def run_load(
    base: str, load: str, clients: int, per_client: int, seed: int
) -> tuple[int, int, float, list[float]]:
    user = "bench.viewer" if load == "bbox" else "bench.officer"
    rng = np.random.default_rng(seed)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        login = await client.post("/api/login", json={"name": user, "password": PASSWORD})
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['token']}"}
        latencies: list[float] = []
        errors = 0
        payloads = areas(clients * per_client, seed=seed) if load == "submit" else []

        async def one_client(c: int) -> None:
            nonlocal errors
            for i in range(per_client):
                if load == "bbox":
                    t = rng.uniform(0, 1)
                    lon, lat = 35.0 + 3.5 * t, 47.5 + 3.0 * t
                    bbox = f"{lon:.5f},{lat:.5f},{lon + 0.02:.5f},{lat + 0.015:.5f}"
                    request = client.get(
                        "/ogc/collections/hazard_areas/items",
                        params={"bbox": bbox, "limit": 100},
                        headers=headers,
                    )
                else:
                    body = {
                        "kind": "area.register",
                        "payload": payloads[c * per_client + i],
                        "submit": True,
                    }
                    request = client.post("/api/reports", json=body, headers=headers)
                start = time.perf_counter()
                try:
                    response = await request
                    ok = response.status_code in (200, 201)
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - start)
                errors += not ok

        start = time.perf_counter()
        await asyncio.gather(*(one_client(c) for c in range(clients)))
        return clients * per_client, errors, time.perf_counter() - start, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=40, help="per client, bbox queries")
    parser.add_argument("--submit-clients", type=int, default=10)
    parser.add_argument("--submissions", type=int, default=10, help="per submitting client")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--loads", default="bbox,submit", help="which loads to run")
    parser.add_argument("--backend", choices=("sqlite", "postgis", "both"), default="both")
    parser.add_argument("--pg-url", default=os.environ.get("SAFEGROUND_TEST_PG_URL", ""))
    args = parser.parse_args()
    backends = ["sqlite", "postgis"] if args.backend == "both" else [args.backend]
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            if backend == "sqlite":
                url = f"sqlite:{Path(tmp) / 'load.gpkg'}"
            else:
                if not args.pg_url:
                    sys.exit("PostGIS needs --pg-url or SAFEGROUND_TEST_PG_URL")
                schema = f"bench_{os.getpid()}"
                url = f"{args.pg_url}{'&' if '?' in args.pg_url else '?'}schema={schema}"
            seconds = record(url, args.areas)
            console.print(f"{backend}: recorded {args.areas:,} areas in {seconds:.0f} s")
            proc, base = serve(url, args.workers)
            try:
                asyncio.run(run_load(base, "bbox", 5, 4, seed=1))  # warm the caches
                for load, clients, per in (
                    ("bbox", args.clients, args.requests),
                    ("submit", args.submit_clients, args.submissions),
                ):
                    if load not in args.loads.split(","):
                        continue
                    n, errors, secs, lat = asyncio.run(run_load(base, load, clients, per, 11))
                    results.append(Result(backend, load, clients, n, errors, secs, lat))
            finally:
                proc.terminate()
                proc.wait(timeout=30)
                if backend == "postgis":
                    import psycopg

                    with psycopg.connect(args.pg_url, autocommit=True) as conn:
                        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    table = Table(title=f"Team server on loopback, {args.areas:,} hazard areas")
    for column in (
        "back-end",
        "load",
        "clients",
        "requests",
        "errors",
        "req/s",
        "p50 ms",
        "p99 ms",
    ):
        table.add_column(column, justify="left" if column in ("back-end", "load") else "right")
    for r in results:
        table.add_row(
            r.backend,
            "bbox query" if r.load == "bbox" else "report submission",
            str(r.clients),
            f"{r.requests:,}",
            str(r.errors),
            f"{r.throughput:,.0f}",
            f"{r.pct(50):,.0f}",
            f"{r.pct(99):,.0f}",
        )
    console.print(table)


if __name__ == "__main__":
    main()
