"""Benchmark: two gunicorn hosts on one PostgreSQL under a realistic mix of requests (issue 15, Load).

Builds a world (bench/load_world.py: a spec with history on a remote, owners, accounts), starts two
hosts as docs/deploy.md describes (bench/hosts.py), and runs N concurrent clients (threads, one
http.client connection per request, loopback only) that send a fixed number of requests, or stop at
the time limit, alternating between the hosts as a load balancer would. The mix: clause pages,
history, diffs, search, the home page, logins, and proposals that go through proposing, reviewing
and merging. Prints throughput and p50/p95/p99 per request type, then checks: no 5xx, `verify`
passes on both hosts after a sync, and every merge that answered success has exactly one commit
naming its proposal on the remote. Exit 1 when a check fails.

    .venv/bin/python bench/load.py [--clients 8] [--requests 1500] [--time-limit 180] [--workers 2] [--threads 8]
"""
from __future__ import annotations

import argparse
import math
import os
import random
import re
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.hosts import Host, Reply, call, commits_naming, host_env
from bench.load_world import PASSWORD, Shape, World, create_database, drop_database, populate
from registry import wiring
from registry.cli.web import DEFAULT_THREADS

ADMIN_URL = os.environ.get("SPECREG_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
READS = ("home", "clause page", "history", "diff", "search")
# Relative weights of what a client does next; reviewing and merging fall back to a read while
# nothing waits for them.
MIX = {"home": 5, "clause page": 30, "history": 12, "diff": 10, "search": 15, "login": 5,
       "propose": 8, "review": 8, "merge": 8}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SEARCH_WORDS = ("privacy", "honest", "refuse", "context", "tool", "verify", "brief data")


@dataclass
class Sample:
    """One request's outcome."""

    kind: str
    status: int
    ms: float
    path: str


@dataclass
class Run:
    """Shared state of the clients: the work left, the proposal pipeline, every sample, merges answered."""

    world: World
    hosts: list[Host]
    budget: int
    deadline: float
    samples: list[Sample] = field(default_factory=list)
    to_review: list[int] = field(default_factory=list)  # open proposals
    reviewer: dict[int, str] = field(default_factory=dict)  # proposal -> the owner who approves it
    to_merge: list[int] = field(default_factory=list)  # approved proposals
    proposer: dict[int, str] = field(default_factory=dict)  # proposal -> who proposed it (and merges it)
    merged: dict[int, str] = field(default_factory=dict)  # proposal -> commit the merge answered
    unused: list[tuple[str, str]] = field(default_factory=list)  # (document, clause) nobody proposed on yet
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: int = 0

    def take(self) -> int | None:
        """The next request's number, or None when the budget or the time is spent."""
        with self.lock:
            if self.sent >= self.budget or time.monotonic() > self.deadline:
                return None
            self.sent += 1
            return self.sent

    def timed(self, kind: str, host: Host, method: str, path: str, **kwargs: object) -> Reply:
        """Send one request and record it (a transport failure is recorded as status 0)."""
        start = time.perf_counter()
        try:
            reply = call(host.base, method, path, **kwargs)  # type: ignore[arg-type]
        except OSError as exc:
            reply = Reply(0, str(exc).encode())
        with self.lock:
            self.samples.append(Sample(kind, reply.status, (time.perf_counter() - start) * 1000, path))
        return reply


def _token(run: Run, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {run.world.tokens[email]}"}


def _clause(run: Run, rng: random.Random) -> str:
    return rng.choice(run.world.clauses[rng.choice(list(run.world.clauses))])


def _read(run: Run, kind: str, host: Host, rng: random.Random) -> None:
    cid = _clause(run, rng)
    path = {"home": "/", "clause page": f"/clauses/{cid}", "history": f"/api/v1/clauses/{cid}/history",
            "diff": f"/clauses/{cid}/diff", "search": f"/search?{urlencode({'q': rng.choice(SEARCH_WORDS)})}"}[kind]
    run.timed(kind, host, "GET", path)


def _login(run: Run, host: Host, rng: random.Random) -> None:
    form = run.timed("login page", host, "GET", "/login")
    cookie = (form.cookie or "").split(";")[0]
    token = CSRF.search(form.body.decode("utf-8", "replace"))
    body = urlencode({"email": rng.choice(run.world.readers), "password": PASSWORD,
                      "csrf_token": token.group(1) if token else ""})
    run.timed("login", host, "POST", "/login", form=body, headers={"Cookie": cookie})


def _propose(run: Run, host: Host, rng: random.Random) -> None:
    with run.lock:
        picked = run.unused.pop() if run.unused else None
    if picked is None:
        return _read(run, "clause page", host, rng)
    doc, cid = picked
    who = rng.choice(run.world.proposers)
    text = f"## {cid.replace('_', ' ').title()} {{#{cid}}}\n\nRevised under load by {who}.\n"
    reply = run.timed("propose", host, "POST", "/api/v1/proposals", headers=_token(run, who), body={
        "title": f"Revise {cid}", "rationale": "Load.", "changes": [{"kind": "change", "id": cid, "text": text}]})
    if reply.status == 201:
        with run.lock:
            run.to_review.append(reply.json()["id"])
            run.reviewer[reply.json()["id"]] = run.world.owner[doc]
            run.proposer[reply.json()["id"]] = who
    return None


def _advance(run: Run, kind: str, host: Host, rng: random.Random) -> None:
    """Review (as its owner) the oldest proposal waiting for a review, or merge (as its proposer) the
    oldest approved one; a read while nothing waits."""
    queue, who, body = (run.to_review, run.reviewer, {"kind": "approve"}) if kind == "review" else \
        (run.to_merge, run.proposer, {})
    with run.lock:
        n = queue.pop(0) if queue else None
    if n is None:
        return _read(run, "search", host, rng)
    path = f"/api/v1/proposals/{n}/{'reviews' if kind == 'review' else 'merge'}"
    reply = run.timed(kind, host, "POST", path, headers=_token(run, who[n]), body=body)
    with run.lock:
        if kind == "review" and reply.status == 201:
            run.to_merge.append(n)
        elif kind == "merge" and reply.status == 200 and reply.json().get("state") == "merged":
            run.merged[n] = reply.json()["commit"]
    return None


ACTIONS: dict[str, Callable[[Run, Host, random.Random], None]] = {
    "login": _login, "propose": _propose, "review": lambda r, h, g: _advance(r, "review", h, g),
    "merge": lambda r, h, g: _advance(r, "merge", h, g)}


def client(run: Run, seed: int) -> None:
    """One client: pick what to do next by the mix, on the next host in turn, until the work runs out."""
    rng = random.Random(seed)
    kinds, weights = list(MIX), list(MIX.values())
    while (number := run.take()) is not None:
        kind = rng.choices(kinds, weights)[0]
        host = run.hosts[number % len(run.hosts)]
        ACTIONS.get(kind, lambda r, h, g, k=kind: _read(r, k, h, g))(run, host, rng)


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank p-th percentile of `values` (not empty)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))]


def report(samples: list[Sample], seconds: float) -> str:
    """One line per request type, the reads together and all: count, failures (5xx or no answer),
    throughput, p50/p95/p99."""
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        by_kind[s.kind].append(s)
    lines = [f"{'request':<12} {'count':>6} {'5xx':>4} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"]
    order = [k for k in (*READS, "login page", "login", "propose", "review", "merge") if k in by_kind]
    # "reads": every read together, the samples the target's p95 is about
    by_kind["reads"] = [s for s in samples if s.kind in READS]
    for kind in [*order, "reads", "all"]:
        got = samples if kind == "all" else by_kind[kind]
        if not got:
            continue
        ms = [s.ms for s in got]
        failed = sum(s.status >= 500 or s.status == 0 for s in got)
        lines.append(f"{kind:<12} {len(got):>6} {failed:>4} {len(got) / seconds:>7.1f} {percentile(ms, 50):>8.1f} "
                     f"{percentile(ms, 95):>8.1f} {percentile(ms, 99):>8.1f}")
    return "\n".join(lines)


def check_answers(samples: list[Sample]) -> list[str]:
    """A problem for every request answered 5xx or not at all."""
    return [f"{s.kind} {s.path}: {'no answer' if s.status == 0 else s.status}" for s in samples
            if s.status >= 500 or s.status == 0]


def check_merges(merged: dict[int, str], on_remote: dict[int, list[str]]) -> list[str]:
    """A problem for every merge that answered success without exactly that one commit on the remote."""
    return [f"proposal {n}: the merge answered {sha[:12]}, the remote has {on_remote.get(n, [])}"
            for n, sha in sorted(merged.items()) if on_remote.get(n, []) != [sha]]


def check_hosts(hosts: list[Host]) -> list[str]:
    """Sync each host, then a problem for each sync that failed and each finding `verify` reports there."""
    problems = []
    for host in hosts:
        code, out = host.cli("sync")
        if code:
            problems.append(f"{host.name}: sync failed: {out}")
        code, out = host.cli("verify")
        if "findings" not in out:
            problems.append(f"{host.name}: verify could not run: {out}")
        problems += [f"{host.name}: verify: {f['check']}: {f['where']}: {f['message']}" for f in out.get("findings", [])]
    return problems


def run_load(root: Path, clients: int, requests: int, limit: float, workers: int, shape: Shape,
             admin_url: str = ADMIN_URL, threads: int = DEFAULT_THREADS,
             database_url: str | None = None) -> tuple[str, list[str], Run]:
    """Build, serve, load, check: (the report, the problems found, the run). The world goes into
    `database_url` (empty and migrated; its caller drops it), or into a database made on the server of
    `admin_url` and dropped here."""
    # The setup records events in this process: the hosts must MAC with the same key.
    audit_key = os.environ.setdefault("SPECREG_AUDIT_KEY", "load-bench-audit-key-0123456789abcdef0123456789")
    url = database_url or create_database(admin_url)
    hosts = [Host(n, host_env(root / n, url, (root / "remote.git").as_uri(), "load-bench-session-key-0123456789",
                              audit_key)) for n in ("host-a", "host-b")]
    try:
        world = populate(url, hosts[0].clone, root, shape)
        if hosts[1].cli("sync")[0]:
            raise RuntimeError("the second host could not sync")
        for host in hosts:
            host.start(workers, threads)
        run = Run(world, hosts, requests, time.monotonic() + limit)
        run.unused = [(doc, cid) for doc, ids in world.clauses.items() for cid in ids]
        random.Random(1).shuffle(run.unused)
        runners = [threading.Thread(target=client, args=(run, seed)) for seed in range(clients)]
        started = time.monotonic()
        for t in runners:
            t.start()
        for t in runners:
            t.join()
        seconds = time.monotonic() - started
        problems = check_answers(run.samples)
        problems += check_merges(run.merged, commits_naming(world.remote, "main"))
        problems += check_hosts(hosts)
        summary = (f"{len(run.samples)} requests in {seconds:.1f} s ({len(run.samples) / seconds:.1f} req/s), "
                   f"{clients} clients, 2 hosts x {workers} workers x {threads} threads, {len(run.merged)} merges")
        return summary + "\n" + report(run.samples, seconds), problems, run
    finally:
        for host in hosts:
            host.stop()
        if database_url is None:
            drop_database(admin_url, url)


def main() -> int:
    """Parse the options, run, print the report and the checks."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=1500, help="requests in all (a login counts two)")
    parser.add_argument("--time-limit", type=float, default=180, help="seconds; no request starts after it")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per host")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                        help=f"threads per worker (default {DEFAULT_THREADS}, specreg serve's)")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="a PostgreSQL server's maintenance database")
    args = parser.parse_args()
    wiring.install()  # the setup ingests in this process
    with tempfile.TemporaryDirectory(prefix="specreg-load-") as tmp:
        text, problems, _run = run_load(Path(tmp), args.clients, args.requests, args.time_limit, args.workers,
                                        Shape(), args.admin_url, args.threads)
    print(text)
    print("\n".join(f"FAIL {p}" for p in problems) or "OK: no 5xx, verify passes on both hosts, "
                                                      "every merge answered has exactly one commit on the remote")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
