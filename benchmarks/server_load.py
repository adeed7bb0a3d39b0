"""Load the team server on loopback: bbox queries over a national register and report
submissions, by bounded numbers of concurrent clients, on each back-end; print the table.

    python benchmarks/server_load.py [--areas 100000] [--clients 50] [--requests 40]
        [--backend sqlite|postgis|both] [--pg-url postgresql://...] [--keep DIR]
        [--client raw|httpx] [--workers 1]

The register is recorded as benchmarks/register.py records it (irregular polygons along a
former front line, each by its own report checked by the rules, batches of 1,000). Then
``safeground serve`` runs in its own process on 127.0.0.1 and the clients (one session
each) send:
- bbox queries: OGC API items in a random window of about 1.5 x 2 km on the front line,
  ``limit=100`` (about 15 areas a window at 100,000 areas);
- submissions: a new area's registration drafted and submitted in one request.
Every client sends a fixed number of requests, so a run is bounded in count and time, and
each waits for its answer before it sends the next (a closed loop with no think time: the
server is saturated, and latency is about clients / throughput).

The clients share the machine's cores with the server. The default ``raw`` clients are
plain asyncio HTTP/1.1 keep-alive connections (one per client), which cost the server's
cores far less than ``httpx`` clients do. Besides latency, the table gives the server's CPU
time per request (all its processes; on PostGIS also the PostgreSQL cluster's, so run
it on a cluster of its own), and the clients' own: the steadier figures on a shared
machine.
``--keep DIR`` records the register once (a GeoPackage in DIR, or a kept PostGIS schema)
and reuses it in later runs.
Goal: no errors, p99 under 200 ms for bbox queries at 50 concurrent clients.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import httpx2 as httpx
import numpy as np
import psutil
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
    server_cpu: float  # seconds of CPU, all the server's processes
    client_cpu: float  # seconds of CPU of the clients (this process)
    db_cpu: float | None  # seconds of CPU of the PostgreSQL cluster, on PostGIS

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


def recorded(url: str) -> bool:
    """Whether ``url`` already holds a recorded register (with the benchmark's accounts)."""
    try:
        with open_store(url) as store:
            store.account("bench.officer")
    except Exception:
        return False
    return True


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and all its descendants (the server's workers)."""
    total = 0.0
    root = psutil.Process(pid)
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def postmaster(pg_url: str) -> int:
    """The process id of the PostgreSQL server behind ``pg_url`` (on this machine)."""
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        row = conn.execute("SELECT pg_backend_pid()").fetchone()
    assert row is not None
    return int(psutil.Process(int(row[0])).parent().pid)


def login(base: str, user: str) -> str:
    body = json.dumps({"name": user, "password": PASSWORD}).encode()
    request = urllib.request.Request(
        f"{base}/api/login", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.load(response)["token"])


class RawConnection:
    """One keep-alive HTTP/1.1 connection that sends a request and reads its whole answer
    (by Content-Length, or chunked): a client that costs next to no CPU."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, target: str, headers: str, body: bytes = b"") -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"{method} {target} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{headers}"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        try:
            self.writer.write(head.encode() + body)
            lines = (await self.reader.readuntil(b"\r\n\r\n")).split(b"\r\n")
            status = int(lines[0].split()[1])
            length, chunked = 0, False
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding":
                    chunked = b"chunked" in value.lower()
            if chunked:
                while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                    await self.reader.readexactly(size + 2)
                await self.reader.readuntil(b"\r\n")
            else:
                await self.reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            self.close()
            raise
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


Send = Callable[[str, str, dict[str, object] | None], Awaitable[int]]


async def run_load(
    base: str,
    load: str,
    clients: int,
    per_client: int,
    seed: int,
    kind: str = "raw",
    think: float = 0.0,
) -> tuple[int, int, float, list[float]]:
    """Send ``per_client`` requests from each of ``clients`` concurrent clients, each
    waiting for its answer (and ``think`` seconds, if any) before sending the next."""
    user = "bench.viewer" if load == "bbox" else "bench.officer"
    rng = np.random.default_rng(seed)
    token = login(base, user)
    latencies: list[float] = []
    errors = 0
    payloads = areas(clients * per_client, seed=seed) if load == "submit" else []
    host, port = base.removeprefix("http://").split(":")
    auth = f"Authorization: Bearer {token}\r\n"
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as shared:

        def sender() -> Send:
            raw = RawConnection(host, int(port))

            async def send(method: str, target: str, body: dict[str, object] | None) -> int:
                if kind == "httpx":
                    r = await shared.request(
                        method, target, json=body, headers={"Authorization": f"Bearer {token}"}
                    )
                    return r.status_code
                data = b"" if body is None else json.dumps(body).encode()
                extra = "Content-Type: application/json\r\n" if body is not None else ""
                return await asyncio.wait_for(raw.request(method, target, auth + extra, data), 30)

            return send

        async def one_client(c: int) -> None:
            nonlocal errors
            send = sender()
            for i in range(per_client):
                if load == "bbox":
                    t = rng.uniform(0, 1)
                    lon, lat = 35.0 + 3.5 * t, 47.5 + 3.0 * t
                    bbox = f"{lon:.5f},{lat:.5f},{lon + 0.02:.5f},{lat + 0.015:.5f}"
                    query = urlencode({"bbox": bbox, "limit": 100})
                    request = send("GET", f"/ogc/collections/hazard_areas/items?{query}", None)
                else:
                    body = {
                        "kind": "area.register",
                        "payload": payloads[c * per_client + i],
                        "submit": True,
                    }
                    request = send("POST", "/api/reports", body)
                start = time.perf_counter()
                try:
                    ok = await request in (200, 201)
                except (TimeoutError, httpx.HTTPError, OSError, ValueError):
                    ok = False
                latencies.append(time.perf_counter() - start)
                errors += not ok
                if think:
                    await asyncio.sleep(think)

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
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes (serve's default: 1)"
    )
    parser.add_argument("--loads", default="bbox,submit", help="which loads to run")
    parser.add_argument("--backend", choices=("sqlite", "postgis", "both"), default="both")
    parser.add_argument("--pg-url", default=os.environ.get("SAFEGROUND_TEST_PG_URL", ""))
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw")
    parser.add_argument(
        "--think-ms",
        type=float,
        default=0.0,
        help="also run the bbox load with this pause between a client's requests",
    )
    parser.add_argument("--keep", type=Path, help="record the register once, reuse it here")
    args = parser.parse_args()
    backends = ["sqlite", "postgis"] if args.backend == "both" else [args.backend]
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            keep = args.keep is not None
            if backend == "sqlite":
                folder = args.keep or Path(tmp)
                folder.mkdir(parents=True, exist_ok=True)
                url = f"sqlite:{folder / f'load-{args.areas}.gpkg'}"
            else:
                if not args.pg_url:
                    sys.exit("PostGIS needs --pg-url or SAFEGROUND_TEST_PG_URL")
                schema = f"bench_keep_{args.areas}" if keep else f"bench_{os.getpid()}"
                url = f"{args.pg_url}{'&' if '?' in args.pg_url else '?'}schema={schema}"
            if keep and recorded(url):
                console.print(f"{backend}: reusing the register recorded at {url}")
            else:
                seconds = record(url, args.areas)
                console.print(f"{backend}: recorded {args.areas:,} areas in {seconds:.0f} s")
            proc, base = serve(url, args.workers)
            db_pid = postmaster(args.pg_url) if backend == "postgis" else None
            try:
                asyncio.run(run_load(base, "bbox", 5, 4, seed=1, kind=args.client))  # warm up
                loads = [
                    ("bbox", args.clients, args.requests, 0.0),
                    ("submit", args.submit_clients, args.submissions, 0.0),
                ]
                if args.think_ms:
                    loads.append(("bbox", args.clients, args.requests, args.think_ms / 1000))
                for load, clients, per, think in loads:
                    if load not in args.loads.split(","):
                        continue
                    cpu, mine = cpu_seconds(proc.pid), time.process_time()
                    db = None if db_pid is None else cpu_seconds(db_pid)
                    n, errors, secs, lat = asyncio.run(
                        run_load(base, load, clients, per, 11, args.client, think)
                    )
                    cpu, mine = cpu_seconds(proc.pid) - cpu, time.process_time() - mine
                    db = None if db_pid is None or db is None else cpu_seconds(db_pid) - db
                    label = load if not think else f"bbox, {think * 1000:.0f} ms think time"
                    results.append(
                        Result(backend, label, clients, n, errors, secs, lat, cpu, mine, db)
                    )
            finally:
                proc.terminate()
                proc.wait(timeout=30)
                if backend == "postgis" and not keep:
                    import psycopg

                    with psycopg.connect(args.pg_url, autocommit=True) as conn:
                        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    title = f"Team server on loopback, {args.areas:,} hazard areas, {args.client} clients"
    table = Table(title=title)
    for column in (
        "back-end",
        "load",
        "clients",
        "requests",
        "errors",
        "req/s",
        "p50 ms",
        "p99 ms",
        "server CPU ms/req",
        "PostgreSQL CPU ms/req",
        "client CPU ms/req",
    ):
        table.add_column(column, justify="left" if column in ("back-end", "load") else "right")
    names = {"bbox": "bbox query", "submit": "report submission"}
    for r in results:
        table.add_row(
            r.backend,
            names.get(r.load, r.load),
            str(r.clients),
            f"{r.requests:,}",
            str(r.errors),
            f"{r.throughput:,.0f}",
            f"{r.pct(50):,.0f}",
            f"{r.pct(99):,.0f}",
            f"{r.server_cpu / r.requests * 1000:.1f}",
            "" if r.db_cpu is None else f"{r.db_cpu / r.requests * 1000:.1f}",
            f"{r.client_cpu / r.requests * 1000:.1f}",
        )
    console.print(table)


if __name__ == "__main__":
    main()
