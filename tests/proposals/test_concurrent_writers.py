"""Writers at the same moment on committed databases: the lock order (registry.transaction.locks) leaves no deadlock."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from proposal_helpers import STYLE, build_world
from sqlalchemy.pool import NullPool

from registry.audit import events as audit
from registry.db import make_engine, session_scope
from registry.errors import SpecregError
from registry.gitsource import SpecSource
from registry.ledger.ingest import ingest
from registry.models import Proposal
from registry.proposals import merge as merge_module
from registry.proposals import reviews
from registry.proposals import store as proposal_store
from registry.proposals.authoring import ChangeInput, revise
from registry.proposals.merge import merge

WAIT = 2.0  # how long one side waits for the other to reach its lock; never long enough to hang


@pytest.fixture
def engine(database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serializes writers at BEGIN IMMEDIATE: there is no lock order to get wrong")
    # A lock wait that outlives the test's patience is an error, never a hang.
    eng = make_engine(database_url, poolclass=NullPool, connect_args={"options": "-c lock_timeout=30000"})
    yield eng
    eng.dispose()


def _request_changes(engine, world, n: int) -> object:
    with session_scope(engine, write=True) as s:
        return reviews.request_changes(s, world.users["barbara"], n, "Wait for legal.")


def _revise(engine, world, n: int) -> object:
    with session_scope(engine, write=True) as s, SpecSource(world.path) as source:
        text = "## Respect privacy {#respect_privacy authority=system}\n\nNever reveal it.\n"
        return revise(s, source, world.users["ada"], n, [ChangeInput("change", "respect_privacy", text)])


def _race(first: str, work: Callable[[], object], started: threading.Event,
          other: Callable[[], object]) -> dict[str, object]:
    """Run `work` in a thread named `first`; once it set `started`, `other` in one named "other".

    Each result (or the exception raised) by thread name; fails when either is still waiting for a lock.
    """
    results: dict[str, object] = {}

    def run(name: str, job: Callable[[], object]) -> threading.Thread:
        def target() -> None:
            try:
                results[name] = job()
            except Exception as exc:
                results[name] = exc

        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        return thread

    threads = [run(first, work)]
    assert started.wait(30)
    threads.append(run("other", other))
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a writer is still waiting for a lock"
    return results


@pytest.mark.parametrize("other", [_request_changes, _revise], ids=["request_changes", "revise"])
def test_a_merge_and_a_review_or_revision_of_the_same_proposal_at_once_never_deadlock(engine, repo, monkeypatch,
                                                                                      other):
    with session_scope(engine, write=True) as s:
        world = build_world(repo, s)
        n = world.change("ada", "respect_privacy", "Never reveal personal data.")
        reviews.approve(s, world.users["grace"], n)
    repo.commit("Direct push", {"spec/style.md": STYLE.replace("Be warm.", "Be kind.")})  # merge's ingest audits it
    merge_ingested, other_locked = threading.Event(), threading.Event()
    real_ingest, real_get = merge_module.ingest, proposal_store.get_proposal

    def ingest_then_let_the_other_in(*args, **kwargs):
        report = real_ingest(*args, **kwargs)
        merge_ingested.set()
        other_locked.wait(WAIT)  # the old order: the other holds the proposal row and waits for the audit lock
        return report

    def get_then_wait_for_merge(session, number, lock=False):
        proposal = real_get(session, number, lock)
        if lock and threading.current_thread().name == "other":
            other_locked.set()
            merge_ingested.wait(WAIT)
        return proposal

    monkeypatch.setattr(merge_module, "ingest", ingest_then_let_the_other_in)
    monkeypatch.setattr(proposal_store, "get_proposal", get_then_wait_for_merge)

    def do_merge() -> object:
        with session_scope(engine, write=True) as s:
            return merge(s, repo.path, "main", world.users["ada"], n)

    results = _race("merge", do_merge, merge_ingested, lambda: other(engine, world, n))
    assert getattr(results["merge"], "state", results["merge"]) == "merged"
    # The other writer either went first or found the proposal merged: a named error, never a database one.
    assert not isinstance(results["other"], Exception) or isinstance(results["other"], SpecregError), results
    with session_scope(engine) as s:
        assert s.get(Proposal, n).state == "merged"


def test_ingest_completing_a_crashed_merge_while_someone_reviews_it_never_deadlocks(engine, database_url, repo,
                                                                                     monkeypatch):
    from test_merge_crash_and_races import crashed_merge

    world, n = crashed_merge(engine, database_url, repo, "respect_privacy", "grace")
    ingest_locked = threading.Event()
    real_record = audit.record

    def record_after_a_pause(session, actor, action, *args, **kwargs):
        if threading.current_thread().name == "ingest" and action == "proposal.merge":
            ingest_locked.set()
            time.sleep(WAIT)  # the old order: ingest holds the proposal row, the reviewer the audit lock
        return real_record(session, actor, action, *args, **kwargs)

    monkeypatch.setattr(audit, "record", record_after_a_pause)

    def do_ingest() -> object:
        with session_scope(engine, write=True) as s, SpecSource(repo.path) as source:
            return ingest(s, source)

    results = _race("ingest", do_ingest, ingest_locked, lambda: _request_changes(engine, world, n))
    assert getattr(results["ingest"], "commits", results["ingest"]) == 1
    assert isinstance(results["other"], SpecregError), results  # it found the proposal merged
    with session_scope(engine) as s:
        assert s.get(Proposal, n).state == "merged"


def test_a_locked_read_sees_the_proposal_as_committed_since_the_session_first_read_it(engine, repo):
    # Reevaluation and merge decide from the state read under the lock, in sessions that read the row before.
    with session_scope(engine, write=True) as s:
        world = build_world(repo, s)
        n = world.change("ada", "respect_privacy", "x")
    with session_scope(engine, write=True) as first:
        held = proposal_store.get_proposal(first, n)
        assert held.state == "open"
        with session_scope(engine, write=True) as other:
            reviews.approve(other, world.users["grace"], n)
        assert proposal_store.get_proposal(first, n, lock=True).state == "approved"
