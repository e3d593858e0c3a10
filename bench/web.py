"""Benchmark: page and API times and sizes with 3,000 clauses and 100k clause versions.

Fills a fresh database (SQLite in a temp dir, or --database-url) with a synthetic history written
straight into the ledger tables (3,000 clauses over 120 documents, as a language reference has;
every commit without a merged proposal is an unapproved change; an OWNERS file owning some documents
and clauses; some proposals, a few of them merged), then times requests with the Flask test client
and prints per URL the first request in the process (nothing kept; its templates compiled at start,
as `specreg serve` compiles them in each worker), one request right after an ingest of one new commit
(the head and the audit chain moved: every kept answer about the head computed again, what a running
server pays after each push or merge), the median and the 95th percentile of the later ones, the
response size and the SQL statements one request runs, next to the targets (pages: 50 ms and 150 KB;
a page is OVER when its median or its request after an ingest is). Server time only: no network, no
browser. The statement count does not move with the machine's load, so it compares two codes on a busy machine.

    .venv/bin/python bench/web.py [--versions 100000] [--database-url URL] [--runs 30] [--only SUBSTRING]
"""
from __future__ import annotations

import argparse
import cProfile
import hashlib
import os
import pstats
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import Engine, event, insert, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from registry.accounts.users import add_user
from registry.app import compile_templates, create_app
from registry.audit import events as audit
from registry.config import Settings, normalize_database_url
from registry.db import make_engine, session_scope
from registry.history.search_index import sync_search_index
from registry.ledger.ingest import INGEST_ACTOR
from registry.models import (
    Clause,
    ClauseKey,
    ClauseVersion,
    Commit,
    DocumentVersion,
    Ledger,
    OwnerEntry,
    OwnersVersion,
    Person,
    Proposal,
    ProposedChange,
    Revision,
    Tag,
)
from registry.schema import upgrade
from registry.wiring import install

START = datetime(2020, 1, 1, tzinfo=UTC)
# A Zipf-like vocabulary: a few common words and a long tail, so searches are selective as in real text.
WORDS = ["assistant", "user", "developer", "privacy", "honest", "data", "harm", "safe", "refuse", "explain", "context", "policy", "request", "answer", "tool", "content", "clear", "brief", "instruction", "respect", "verify"]
WORDS += [f"w{i}" for i in range(3000)]
CUMULATIVE = list(accumulate(1 / (rank + 1) for rank in range(len(WORDS))))
PASSWORD = "bench passphrase"  # --login's account: a throwaway database
HOT = "doc0.c0"  # the clause every 50th commit changes: a long history to page through


def _sha(n: int) -> str:
    return hashlib.sha1(str(n).encode()).hexdigest()


def _body(rng: random.Random) -> str:
    return "\n".join(" ".join(rng.choices(WORDS, cum_weights=CUMULATIVE, k=14)) for _ in range(rng.randint(2, 6)))


def _version(cid: int, key: str, seq: int, doc: str, parent: int | None, level: int, body: str,
             changes: str) -> dict:
    return {"clause_id": cid, "seq": seq, "key": key, "title": key.replace(".", " ").title(),
            "attributes": {"authority": "guideline"}, "body": body,
            "body_hash": hashlib.sha256(body.encode()).hexdigest(), "document": doc, "parent_id": parent,
            "level": level, "changes": changes, "previous_key": None, "removed": False, "abandoned": False}


def fill(session: Session, versions: int, docs: int = 120, per_doc: int = 25, per_commit: int = 20) -> int:
    """Write a synthetic history with about `versions` clause versions; returns the commit count."""
    rng = random.Random(7)
    n_clauses = docs * per_doc
    commits = 1 + (versions - n_clauses) // per_commit
    session.execute(insert(Commit), [{
        "seq": s, "sha": _sha(s), "parents": _sha(s - 1) if s > 1 else "", "author_name": "Bench",
        "author_email": "bench@example.org", "authored_at": START + timedelta(hours=6 * s),
        "committer_name": "Bench", "committer_email": "bench@example.org",
        "committed_at": START + timedelta(hours=6 * s), "message": f"Change {s}\n\nBody of change {s}.",
        "abandoned": False} for s in range(1, commits + 1)])
    meta, rows = {}, []
    for d in range(docs):
        doc = f"spec/doc{d}.md"
        for i in range(per_doc):
            cid, key = d * per_doc + i + 1, f"doc{d}.c{i}"
            parent, level = (None, 1) if i == 0 else (d * per_doc + 1, 2)
            meta[cid] = (key, doc, parent, level)
            rows.append(_version(cid, key, 1, doc, parent, level, _body(rng), "added"))
    session.execute(insert(Clause), [{"id": c, "key": m[0], "first_seq": 1} for c, m in meta.items()])
    session.execute(insert(ClauseKey), [{"clause_id": c, "key": m[0], "first_seq": 1} for c, m in meta.items()])
    session.execute(insert(DocumentVersion), [{
        "path": f"spec/doc{d}.md", "seq": 1, "blob_sha": _sha(-d), "deleted": False, "abandoned": False,
        "clause_ids": list(range(d * per_doc + 1, (d + 1) * per_doc + 1))} for d in range(docs)])
    for seq in range(2, commits + 1):
        touched = set(rng.sample(range(2, n_clauses + 1), per_commit - 1)) | ({1} if seq % 50 == 0 else set())
        for cid in sorted(touched)[:per_commit]:
            key, doc, parent, level = meta[cid]
            rows.append(_version(cid, key, seq, doc, parent, level, _body(rng), "body"))
        if len(rows) >= 20_000:
            session.execute(insert(ClauseVersion), rows)
            rows = []
    session.execute(insert(ClauseVersion), rows)
    session.execute(insert(Tag), [{"name": f"v{n}", "commit_sha": _sha(s), "tagged_at": None, "message": f"v{n}"}
                                  for n, s in enumerate(range(commits // 10, commits + 1, commits // 10), 1)])
    session.add(Ledger(id=1, repo_path="/bench", branch="main", includes=[], head_sha=_sha(commits),
                       head_seq=commits))
    _owners_and_proposals(session, docs, per_doc, commits)
    sync_search_index(session)
    # As an ingest records its batch: answers kept until the audit chain moves need an event to key on.
    audit.record(session, INGEST_ACTOR, "ingest", "branch:main", new={"head": _sha(commits), "commits": commits})
    return commits


def _owners_and_proposals(session: Session, docs: int, per_doc: int, commits: int) -> None:
    """An OWNERS file (documents for half the people, single clauses for the rest) and 300 proposals."""
    people = [{"id": n, "email": f"p{n}@example.org", "name": f"Person {n}"} for n in range(1, 41)]
    session.execute(insert(Person), people)
    session.execute(insert(OwnersVersion), [{"id": 1, "seq": 1, "path": "OWNERS.toml", "status": "valid",
                                             "abandoned": False, "listed": [p["email"] for p in people]}])
    entries = [{"version_id": 1, "position": d, "key": f"spec/doc{d}.md", "kind": "document",
                "owners": [f"p{d % 20 + 1}@example.org"], "inherit": False, "line": d + 1}
               for d in range(0, docs, 2)]
    entries += [{"version_id": 1, "position": docs + d, "key": f"doc{d}.c3", "kind": "clause",
                 "owners": [f"p{d % 20 + 21}@example.org"], "inherit": True, "line": docs + d + 1}
                for d in range(1, docs, 2)]
    session.execute(insert(OwnerEntry), entries)
    states = ["open", "approved", "rejected", "withdrawn", "merged"]
    for n in range(1, 301):
        state = states[n % len(states)]
        merged = _sha(commits - n) if state == "merged" else None
        at = START + timedelta(days=n)
        session.execute(insert(Proposal), [{"id": n, "title": f"Proposal {n}", "rationale": "Why.",
                                            "proposer_id": n % 40 + 1, "state": state, "revision": 1,
                                            "created_at": at, "updated_at": at, "merged_sha": merged,
                                            "merged_at": at if merged else None}])
        session.execute(insert(Revision), [{"id": n, "proposal_id": n, "number": 1,
                                                    "author_id": n % 40 + 1, "base_seq": 1, "base_sha": _sha(1),
                                                    "digest": "0" * 64, "note": "", "created_at": at}])
        key = f"doc{n % docs}.c{n % per_doc}"
        session.execute(insert(ProposedChange), [{"revision_id": n, "position": 0, "kind": "change", "key": key,
                                                  "clause_id": (n % docs) * per_doc + n % per_doc + 1,
                                                  "document": f"spec/doc{n % docs}.md", "text": f"# T {{#{key}}}\n\nx",
                                                  "title": "T", "attributes": {}, "body": "x"}])


class StatementCounter:
    """Counts the SQL statements an engine runs (every cursor execution, executemany as one)."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: object) -> None:
        self.count += 1


def append_commit(session: Session, per_doc: int = 25, docs: int = 120, per_commit: int = 20) -> int:
    """Write one more commit on top of the fill as an ingest does: its clause versions (a body change to
    `per_commit` clauses), the search index, the ledger's head and the ingest's audit event; returns its seq."""
    ledger = session.get(Ledger, 1)
    assert ledger is not None
    seq = ledger.head_seq + 1
    at = START + timedelta(hours=6 * seq)
    session.execute(insert(Commit), [{
        "seq": seq, "sha": _sha(seq), "parents": _sha(seq - 1), "author_name": "Bench",
        "author_email": "bench@example.org", "authored_at": at, "committer_name": "Bench",
        "committer_email": "bench@example.org", "committed_at": at, "message": f"Change {seq}",
        "abandoned": False}])
    rng = random.Random(seq)
    rows = []
    for cid in sorted(rng.sample(range(2, docs * per_doc + 1), per_commit)):
        d, i = divmod(cid - 1, per_doc)
        parent, level = (None, 1) if i == 0 else (d * per_doc + 1, 2)
        rows.append(_version(cid, f"doc{d}.c{i}", seq, f"spec/doc{d}.md", parent, level, _body(rng), "body"))
    session.execute(insert(ClauseVersion), rows)
    ledger.head_sha, ledger.head_seq = _sha(seq), seq
    sync_search_index(session)
    audit.record(session, INGEST_ACTOR, "ingest", "branch:main", new={"head": _sha(seq), "commits": 1})
    return seq


def after_ingest(client: FlaskClient, url: str) -> float:
    """Milliseconds of one request right after an ingest of one new commit (what a long-running process
    pays for a page after each push or merge: the head moved and the audit chain with it, so every kept
    answer about the head is computed again; templates and compiled statements are already warm)."""
    engine = client.application.extensions["specreg.engine"]
    with session_scope(engine, write=True) as session:
        append_commit(session)
    t0 = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, url
    return (time.perf_counter() - t0) * 1000


def timed(client: FlaskClient, url: str, runs: int,
          counter: StatementCounter) -> tuple[float, float, float, float, int]:
    """The first request's milliseconds (nothing of this URL kept yet: what a request after an ingest
    pays), then the median and 95th percentile of the next ones, the size in KB and the SQL statements of
    one request (the second: the first may fill per-process caches)."""
    t0 = time.perf_counter()
    first = client.get(url)
    cold = (time.perf_counter() - t0) * 1000
    if first.status_code == 404:  # a page this version does not have (when timing an older checkout)
        return float("nan"), float("nan"), float("nan"), float("nan"), 0
    assert first.status_code == 200, url
    kb = len(first.get_data()) / 1024
    before = counter.count
    client.get(url)
    statements = counter.count - before
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, url
    times.sort()
    return cold, statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))], kb, statements


def profiled(client: FlaskClient, url: str, top: int) -> None:
    """Print the registry functions with the largest cumulative share of one request."""
    profile = cProfile.Profile()
    t0 = time.perf_counter()
    profile.enable()
    client.get(url)
    profile.disable()
    total = time.perf_counter() - t0
    stats = pstats.Stats(profile)
    rows = [(ct, f"{Path(file).name}:{line} {name}") for (file, line, name), (_cc, _nc, _tt, ct, _callers)
            in stats.stats.items() if "/registry/" in file]  # type: ignore[attr-defined]
    for ct, where in sorted(rows, reverse=True)[:top]:
        print(f"    {ct / total:>5.0%}  {where}")


def main() -> None:
    """Fill, then time each URL and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=100_000)
    parser.add_argument("--database-url", help="an EMPTY database (default: SQLite in a temp dir)")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--only", help="time only the URLs containing this text")
    parser.add_argument("--profile", type=int, metavar="N", help="after timing each URL, print the N registry "
                        "functions with the largest cumulative share of one request (cProfile): shares, unlike "
                        "times, hold on a busy machine")
    parser.add_argument("--login", metavar="EMAIL", help="sign every request in as this person (one of the "
                        "bench's p1..p40@example.org, made the admin): pages show the header's 'waiting on me'")
    args = parser.parse_args()
    install()  # the account's signal re-checks the proposals, as in the app
    tmp = Path(tempfile.mkdtemp(prefix="specreg-bench-"))
    os.environ.setdefault("SPECREG_AUDIT_KEY", secrets.token_hex(32))  # fill's audit event, never the checkout's folder
    url = normalize_database_url(args.database_url or f"sqlite:///{tmp / 'bench.db'}")
    engine = make_engine(url)
    upgrade(engine)
    t0 = time.perf_counter()
    with session_scope(engine, write=True) as session:
        commits = fill(session, args.versions)
        if args.login:  # the instance's first admin, who set their own password: their approvals count
            add_user(session, None, args.login, "Bench Admin", "admin", PASSWORD, bootstrap=True)
    with engine.connect() as conn:  # fresh statistics, as autovacuum would gather them in production
        if engine.dialect.name == "postgresql":  # and its visibility map, without which no scan is index-only
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
            conn.commit()
    print(f"filled {args.versions:,} clause versions, {commits:,} commits in {time.perf_counter() - t0:.1f} s "
          f"({engine.dialect.name})")
    engine.dispose()
    app = create_app({"TESTING": True}, settings=Settings(url, tmp, tmp))
    compile_templates(app)  # as `specreg serve` does in each worker before its first request
    client = app.test_client()
    if args.login:
        with client.session_transaction() as cookie:
            cookie["csrf"] = "bench"
        signed = client.post("/login", data={"email": args.login, "password": PASSWORD, "csrf_token": "bench"})
        assert signed.status_code == 302, signed.status_code
    counter = StatementCounter(app.extensions["specreg.engine"])
    mid = "v5"
    pages = ["/", "/?at=v5", "/documents/spec/doc7.md", "/search?q=privacy+w120", "/search?q=w2500",
             "/search?q=w2500&past=1", "/search?q=privacy&page=3", "/releases", "/releases/v1...v9", "/activity",
             "/prompts", "/unapproved", "/unapproved?page=40", "/owners", "/owners/p3@example.org", "/unowned",
             "/proposals?state=all", "/proposals?state=all&page=3"]
    others = [f"/clauses/{HOT}", f"/api/v1/clauses/{HOT}", f"/api/v1/clauses/{HOT}/history",
              f"/clauses/{HOT}?at={mid}", "/clauses/doc7.c12", f"/clauses/{HOT}/diff", f"/clauses/{HOT}/blame",
              "/api/v1/clauses", "/api/v1/clauses?page=1", f"/incident?clause={HOT}&at=2021-06-01",
              f"/api/v1/clauses/{HOT}/in-force?at=2021-06-01"]
    client.get("/login")  # the app's first-request work (the base template, wiring) is no page's
    print(f"{'url':<42} {'first ms':>9} {'after ingest':>12} {'median ms':>10} {'p95 ms':>8} {'KB':>8} {'SQL':>6}  target")
    for u in pages + others:
        if args.only and args.only not in u:
            continue
        runs = args.runs if u not in ("/api/v1/clauses",) else max(5, args.runs // 5)
        cold, med, p95, kb, statements = timed(client, u, runs, counter)
        after = after_ingest(client, u) if cold == cold else float("nan")  # nan: a page this version lacks
        target = "50 ms, 150 KB" if u in pages else ""
        flag = " OVER" if target and (med > 50 or after > 50 or kb > 150) else ""
        print(f"{u:<42} {cold:>9.1f} {after:>12.1f} {med:>10.1f} {p95:>8.1f} {kb:>8.1f} {statements:>6}  "
              f"{target}{flag}")
        if args.profile:
            profiled(client, u, args.profile)
    app.extensions["specreg.engine"].dispose()


if __name__ == "__main__":
    main()
