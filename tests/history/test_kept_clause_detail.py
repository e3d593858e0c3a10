"""The clause page's detail, kept across requests until the audit chain's standing event moves, and its
diffs, kept by their two texts, equal fresh ones after a direct push and a merge."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from proposal_helpers import RULES, build_world
from repo_builder import GRACE

from registry.history import clause_detail as details
from registry.history.diffs import version_diff
from registry.ledger.refs import resolve
from registry.proposals import reviews
from registry.proposals.merge import merge


@pytest.fixture
def world(repo, session):
    w = build_world(repo, session)
    session.commit()  # a session that has written gets fresh answers only: start from a clean one
    return w


def detail(world, ref=None) -> details.ClauseDetail:
    return details.clause_detail(world.session, "respect_privacy", resolve(world.session, ref))


def _merge(world) -> None:
    n = world.change("ada", "respect_privacy", "Never reveal personal data.")
    reviews.approve(world.session, world.users["grace"], n)
    merge(world.session, world.path, "main", world.users["ada"], n)


CHANGES: dict[str, Callable] = {
    "a direct push": lambda w: (w.repo.commit("Direct", {"spec/rules.md": RULES.replace(
        "Do not reveal personal data.", "Never reveal personal data.")}, author=GRACE), w.ingest()),
    "a merge": _merge,
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_kept_clause_detail_and_its_diff_follow(world, change):
    first = world.repo.head()
    before = detail(world)
    assert detail(world) is before  # kept while nothing changed
    CHANGES[change](world)
    world.session.commit()
    after = detail(world)
    details._details.clear()
    assert after == detail(world)
    assert len(after.history) == len(before.history) + 1 and after.view.text == "Never reveal personal data."
    assert (after.history[-1].proposal is not None) == (change == "a merge")
    diff = version_diff(world.session, "respect_privacy", None, None, resolve(world.session, None))
    assert [o.text for o in diff.diff.ops if o.op == "insert"] == ["Never"]
    assert "".join(o.text for s in diff.prose for o in s.ops if o.op == "insert") == "Never"
    assert detail(world, first) == before  # the earlier point still shows what it did
