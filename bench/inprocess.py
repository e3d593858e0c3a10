"""One new commit ingested inside an already running process (what a worker does after a push).

    python bench/inprocess.py DATABASE_URL REPO BRANCH DOCUMENT

The database already holds the repo's history. This process installs the wiring, then CALLS times
adds one commit that edits DOCUMENT and calls the ingest use case; the first call pays for the
imports and the mapper set-up, the later ones are what a long-running worker pays per push (the
second call still warmed caches the third did not need, so the median of the later calls is the
figure). Prints JSON: the first call's seconds, the later calls' seconds and their median, the clause
ids in force at the head, and how many clause versions continue another id (renames ingest detected).
"""
from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from bench.corpus.base import add_commit
from registry import wiring
from registry.db import make_engine, session_scope
from registry.gitsource import SpecSource
from registry.history.queries import list_clauses
from registry.ledger.ingest import ingest
from registry.ledger.refs import resolve
from registry.models import ClauseVersion

CALLS = 6


def main(url: str, repo: str, branch: str, document: str) -> int:
    """Ingest CALLS new commits one at a time; print the timings and what the head holds."""
    wiring.install()
    engine = make_engine(url)
    seconds = []
    for n in range(1, CALLS + 1):
        add_commit(Path(repo), branch, document, n)
        t0 = time.perf_counter()
        with SpecSource(repo) as source, session_scope(engine, write=True) as session:
            report = ingest(session, source, checkpoint=session.commit)
        seconds.append(time.perf_counter() - t0)
        if report.commits != 1:
            sys.exit(f"expected to ingest one commit, ingested {report.commits}")
    with session_scope(engine) as session:
        ids = [c.id for c in list_clauses(session, resolve(session, None))]
        renames = session.scalar(select(func.count()).select_from(ClauseVersion).where(
            ClauseVersion.previous_key.is_not(None), ClauseVersion.abandoned.is_(False)))
    engine.dispose()
    print(json.dumps({"first": seconds[0], "later": seconds[1:], "median": statistics.median(seconds[1:]),
                      "ids": ids, "renames": renames}))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
