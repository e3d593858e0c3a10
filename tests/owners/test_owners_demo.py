"""The demo spec's OWNERS.toml history, read by ingest: changes over time, a team, an unowned corner."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from registry.demo.repo import build_demo_repo
from registry.gitsource import SpecSource
from registry.ledger.ingest import ingest
from registry.ledger.refs import resolve
from registry.models import OwnersVersion, Person
from registry.owners.queries import clause_ownership_history, owned_by, unowned, who_owns


@pytest.fixture(scope="module")
def demo_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_repo(tmp_path_factory.mktemp("demo") / "spec-repo")


@pytest.fixture
def demo(session, demo_repo):
    with SpecSource(demo_repo) as source:
        report = ingest(session, source)
    # The one slip in the demo's OWNERS history: safety.md was renamed a week before its entry followed.
    assert [w.message.split(";")[0] for w in report.warnings if w.path == "OWNERS.toml"] == [
        "entry 'spec/safety.md' names a document this commit renamed to spec/stay-in-bounds.md"]
    return session


def test_every_owners_version_of_the_demo_is_valid(demo):
    statuses = set(demo.scalars(select(OwnersVersion.status)))
    assert statuses == {"valid"}


def test_the_style_guide_is_the_unowned_corner(demo):
    report = unowned(demo, resolve(demo, None))
    assert {v.document for v in report.clauses} == {"spec/style.md"}
    assert 0 < report.share < 0.5


def test_the_safety_team_changes_and_its_history_shows_it(demo):
    now = owned_by(demo, "team:safety", resolve(demo, None))
    assert now.clauses and {c.clause.document for c in now.clauses} == {"spec/stay-in-bounds.md"}
    history = clause_ownership_history(demo, "comply_with_laws", resolve(demo, None))
    assert any("margaret@example.org" in c.added for c in history)


def test_owners_differ_before_and_after_a_release(demo):
    then = [o.email for o in who_owns(demo, "comply_with_laws", resolve(demo, "v1.0")).owners]
    now = [o.email for o in who_owns(demo, "comply_with_laws", resolve(demo, None)).owners]
    assert then != now and "margaret@example.org" in now


def test_someone_who_left_is_deactivated_but_kept(demo):
    edsger = demo.scalar(select(Person).where(Person.email == "edsger@example.org"))
    assert edsger is not None and not edsger.active
