"""The home page's overview and the unapproved report's counts and pages, kept across requests until the
audit chain's standing event moves, equal fresh ones after a direct push, an acknowledgement and a merge,
and are reused while nothing changed."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from proposal_helpers import RULES, build_world
from repo_builder import GRACE

from registry.accountability import overview, spec_changes, unapproved
from registry.accountability.acknowledge import acknowledge_commit
from registry.ledger.refs import resolve
from registry.proposals import reviews
from registry.proposals.merge import merge


@pytest.fixture
def world(repo, session):
    w = build_world(repo, session)
    w.repo.commit("Direct edit", {"spec/rules.md": RULES + "\nOne more line.\n"}, author=GRACE)
    w.ingest()
    session.commit()  # a session that has written gets fresh answers only: start from a clean one
    return w


def seen(world, ref=None) -> overview.Overview:
    return overview.spec_overview(world.session, resolve(world.session, ref))


def fresh(world, ref=None) -> overview.Overview:
    overview._overviews.clear()
    return seen(world, ref)


def _merge(world) -> None:
    n = world.change("ada", "respect_privacy", "Never reveal personal data.")
    reviews.approve(world.session, world.users["grace"], n)
    merge(world.session, world.path, "main", world.users["ada"], n)


CHANGES: dict[str, Callable] = {
    "a direct push": lambda w: (w.repo.commit("Again", {"spec/rules.md": RULES + "\nTwo.\n"}, author=GRACE),
                                w.ingest()),
    "an acknowledgement": lambda w: acknowledge_commit(w.session, w.users["root"], w.repo.head(), "known"),
    "a merge": _merge,
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_kept_overview_equals_a_fresh_one_after(world, change):
    first = world.repo.head()
    before = seen(world)
    assert seen(world) is before  # kept while nothing changed
    CHANGES[change](world)
    world.session.commit()
    after = seen(world)
    assert after == fresh(world)
    assert (after.unapproved, after.recent) != (before.unapproved, before.recent)
    earlier = seen(world, first)  # an acknowledgement counts at earlier points too
    assert earlier == fresh(world, first)


def report(world) -> tuple[tuple[int, int], list[str], list[str]]:
    """The report's counts, and its first two pages' commits at two to a page."""
    return (unapproved.unapproved_count(world.session),
            [c.commit for c in unapproved.unapproved_page(world.session, 1, per_page=2)],
            [c.commit for c in unapproved.unapproved_page(world.session, 2, per_page=2)])


def fresh_report(world) -> tuple[tuple[int, int], list[str], list[str]]:
    unapproved._judged.clear()
    spec_changes.forget()
    return report(world)


@pytest.mark.parametrize("change", list(CHANGES))
def test_the_kept_report_equals_a_fresh_one_after(world, change):
    before = report(world)
    assert unapproved._judge(world.session) is unapproved._judge(world.session)  # kept while nothing changed
    CHANGES[change](world)
    world.session.commit()
    after = report(world)
    assert after == fresh_report(world)
    assert (after == before) == (change == "a merge")  # a merged proposal's commit is no unapproved change
