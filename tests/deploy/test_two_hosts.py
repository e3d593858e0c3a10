"""Two hosts, one PostgreSQL database, one remote over http: merges through both at once land exactly once.

Each host is a real `specreg serve --workers 2` (gunicorn) with its own instance folder and clone of
the remote (served by `git http-backend` on loopback), the same database and the same session and
audit keys. Every approved proposal is merged through both hosts at the same moment while someone
pushes straight to the remote in between; afterwards the remote holds exactly one commit naming each
proposal, both hosts answer the same merged state after a sync, and `specreg verify` passes on both.
"""
from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from git_remote import Remote, spec_remote
from proposal_helpers import OWNERS, POLICY, RULES, STYLE, World, with_people
from sqlalchemy.pool import NullPool

from bench.hosts import Host, call, commits_naming, host_env
from registry.accountability.acknowledge import acknowledge_commit
from registry.accounts.credentials import create_token
from registry.db import make_engine, session_scope
from registry.ledger.sync import sync

SECRET_KEY = "two-hosts-session-key-0123456789abcdef"
AUDIT_KEY = os.environ["SPECREG_AUDIT_KEY"]  # conftest's: the setup below records events in this process
PROPOSALS = 4  # one per clause of EXTRA: merges that never conflict with each other, only race
PUSHES = 2  # direct pushes to the remote while the merges run
EXTRA = "# Extra {#extra}\n\n" + "".join(f"## Rule {i} {{#rule{i}}}\n\nRule {i} as first written.\n\n"
                                          for i in range(PROPOSALS))


@pytest.fixture
def pg_url(databases, database_url: str) -> str:
    """A fresh PostgreSQL database: hosts share a database only through a server."""
    if databases.backend != "postgresql":
        pytest.skip("several hosts share one database on PostgreSQL")
    return database_url


@pytest.fixture
def hosts(pg_url: str, tmp_path: Path) -> Iterator[tuple[Remote, list[Host], dict[str, str]]]:
    """The remote, two started hosts, and an API token per user."""
    with spec_remote("http", tmp_path) as remote:
        remote.author.commit("Spec, owners and policy", {
            "spec/rules.md": RULES, "spec/style.md": STYLE, "spec/extra.md": EXTRA, "policy.toml": POLICY,
            "OWNERS.toml": OWNERS + '"spec/extra.md" = ["grace@example.org"]\n'})
        remote.push()
        both = [Host(name, host_env(tmp_path / name, pg_url, remote.url, SECRET_KEY, AUDIT_KEY))
                for name in ("host-a", "host-b")]
        engine = make_engine(pg_url, poolclass=NullPool)
        with session_scope(engine, write=True) as s:
            sync(s, both[0].clone, remote.url)
            world = with_people(World(None, s, {}))  # type: ignore[arg-type]
            # That commit wrote OWNERS.toml and policy.toml before the registry governed them: on the record.
            acknowledge_commit(s, world.users["root"], remote.head(), "Set up before the registry governed this spec")
            tokens = {n: create_token(s, a, a.email)[0] for n, a in world.users.items()}
        engine.dispose()
        assert both[1].cli("sync")[0] == 0  # the second host makes its own clone
        try:
            for host in both:
                host.start(workers=2)
            yield remote, both, tokens
        finally:
            for host in both:
                host.stop()


def _api(host: Host, token: str, method: str, path: str, body: object | None = None) -> tuple[int, dict]:
    reply = call(host.base, method, path, body if body is not None or method == "GET" else {},
                 {"Authorization": f"Bearer {token}"})
    return reply.status, reply.json()


def _push_directly(remote: Remote, n: int) -> None:
    """Someone commits on the git host without a proposal; a push that lost a race with a merge pulls and retries."""
    for _ in range(20):
        remote.pull()
        remote.author.commit(f"Notes {n}", {f"notes/{n}.md": f"Note {n}.\n"})
        try:
            remote.push()
            return
        except subprocess.CalledProcessError:
            continue  # the branch moved under us: a merge landed first
    raise AssertionError("the direct push never got through")


def test_merges_through_two_hosts_at_once_land_exactly_once_in_both_ledgers_and_verify_passes_on_both(hosts):
    remote, (a, b), tokens = hosts
    numbers = []
    for i in range(PROPOSALS):
        status, made = _api(a if i % 2 else b, tokens["ada"], "POST", "/api/v1/proposals", {
            "title": f"Rule {i}", "rationale": "Clearer.",
            "changes": [{"kind": "change", "id": f"rule{i}", "text": f"## Rule {i} {{#rule{i}}}\n\nRule {i} now.\n"}]})
        assert status == 201, made
        numbers.append(made["id"])
        status, review = _api(b if i % 2 else a, tokens["grace"], "POST", f"/api/v1/proposals/{made['id']}/reviews",
                              {"kind": "approve"})
        assert status == 201, review

    start = threading.Barrier(2 * PROPOSALS + 1)

    def merge(host: Host, n: int) -> tuple[int, dict]:
        start.wait(30)
        return _api(host, tokens["ada"], "POST", f"/api/v1/proposals/{n}/merge")

    def pusher() -> None:
        start.wait(30)
        for n in range(PUSHES):
            _push_directly(remote, n)

    with ThreadPoolExecutor(2 * PROPOSALS + 1) as pool:
        pushed = pool.submit(pusher)
        answers = {(host.name, n): pool.submit(merge, host, n) for n in numbers for host in (a, b)}
        pushed.result(timeout=120)
        results = {key: future.result(timeout=120) for key, future in answers.items()}

    named = commits_naming(remote.path, "main")
    for n in numbers:
        assert len(named.get(n, [])) == 1, (n, named.get(n), results)  # exactly once on the remote
        for host in (a, b):
            status, merged = results[(host.name, n)]
            assert (status, merged["state"], merged["commit"]) == (200, "merged", named[n][0]), (host.name, merged)

    # Someone pushes again and only host A syncs: host B's clone lacks the head the database is at,
    # and host B still takes a proposal based on it (it fetches what it lacks).
    _push_directly(remote, PUSHES)
    assert a.cli("sync")[0] == 0
    for host in (b, a):
        status, made = _api(host, tokens["ada"], "POST", "/api/v1/proposals", {
            "title": "Again", "rationale": "Clearer.",
            "changes": [{"kind": "change", "id": "rule0", "text": f"## Rule 0 {{#rule0}}\n\nBy {host.name}.\n"}]})
        assert status == 201, (host.name, made)

    for host in (a, b):
        code, synced = host.cli("sync")
        assert code == 0 and synced["fetched"] == remote.head()
        for i, n in enumerate(numbers):
            status, shown = _api(host, tokens["ada"], "GET", f"/api/v1/proposals/{n}")
            assert (status, shown["state"], shown["merge"]["commit"]) == (200, "merged", named[n][0])
            page = call(host.base, "GET", f"/clauses/rule{i}")
            assert page.status == 200 and f"Rule {i} now.".encode() in page.body
    # Each host verifies and backs up its own clone. The database's record of the repo's path names
    # host B's clone (B synced last), which another machine does not have: moved away meanwhile.
    elsewhere = b.instance.rename(b.instance.with_name("host-b-elsewhere"))
    try:
        code, verified = a.cli("verify")
        backup = a.cli("backup", "-o", str(a.instance / "backup.tar"))
    finally:
        elsewhere.rename(b.instance)
    assert (code, verified["findings"]) == (0, []), verified
    assert backup[0] == 0 and backup[1]["refs"] > 0, backup
    code, verified = b.cli("verify")
    assert (code, verified["findings"]) == (0, []), verified
    files = subprocess.run(["git", "ls-tree", "-r", "--name-only", "main"], cwd=remote.path, check=True,
                           capture_output=True, text=True).stdout.split()
    assert {f"notes/{n}.md" for n in range(PUSHES + 1)} <= set(files)  # the direct pushes were kept, not overwritten
