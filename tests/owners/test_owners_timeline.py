"""Owners resolved in one pass over a span agree with resolving each version on its own."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from proposal_helpers import build_world
from sqlalchemy import select

from registry.demo.repo import build_demo_repo
from registry.gitsource import SpecSource
from registry.ledger.ingest import ingest
from registry.models import ClauseVersion, Commit
from registry.owners.assignments import assign
from registry.owners.store import OwnersStore
from registry.owners.timeline import owners_by_version
from registry.proposals import reviews
from registry.proposals.merge import merge


@pytest.fixture(scope="module")
def demo_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_repo(tmp_path_factory.mktemp("demo") / "spec-repo")


def rows_after(session, start: int) -> list:
    return list(session.execute(
        select(ClauseVersion, Commit).join(Commit, Commit.seq == ClauseVersion.seq)
        .where(ClauseVersion.seq > start, ClauseVersion.abandoned.is_(False))
        .order_by(ClauseVersion.seq, ClauseVersion.id)))


def one_by_one(session, rows) -> dict[int, list]:
    """What `owners_of` says for each version (a removal: at the commit before)."""
    store = OwnersStore(session)
    out = {}
    for v, c in rows:
        found = store.owners_of(v.clause_id, v.seq - 1 if v.removed else v.seq, c.committed_at)
        out[v.id] = found[1] if found else []
    return out


@pytest.mark.parametrize("start", [0, 20, 41])
def test_the_demo_history_resolves_the_same_in_one_pass(session, demo_repo, start):
    with SpecSource(demo_repo) as source:
        ingest(session, source)
    rows = rows_after(session, start)
    fast = owners_by_version(session, rows, start)
    assert fast == one_by_one(session, rows)
    assert any(fast.values()) and any(not owners for owners in fast.values())  # owned and unowned both seen
    assert any(v.removed for v, _c in rows) or start > 0


def test_registry_assignments_count_from_the_moment_they_were_made(repo, session):
    world = build_world(repo, session)
    assign(session, world.users["root"], "respect_privacy", "alan@example.org", "covering privacy")
    n = world.change("ada", "respect_privacy", "Never reveal personal data.")
    reviews.approve(session, world.users["grace"], n)
    time.sleep(1.05)  # git dates have whole seconds: the merge commit must not share the assignment's second
    merge(session, repo.path, "main", world.users["ada"], n)
    rows = rows_after(session, 0)
    fast = owners_by_version(session, rows, 0)
    assert fast == one_by_one(session, rows)
    privacy = [v.id for v, _c in rows if v.key == "respect_privacy"]
    assert [o.email for o in fast[privacy[0]]] == ["grace@example.org"]  # the 2024 commit predates it
    assert [(o.email, o.source) for o in fast[privacy[1]]] == [("grace@example.org", "explicit"),
                                                               ("alan@example.org", "registry")]
