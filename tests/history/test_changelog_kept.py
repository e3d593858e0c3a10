"""A changelog is kept per process under what its content depends on: every page of a long one is
its slice of the whole, paging reads the whole once, and an ingest makes the next read a new one."""
from __future__ import annotations

import subprocess

import pytest
from repo_builder import RepoBuilder
from spec_fixture import build_spec
from sqlalchemy.pool import NullPool

from registry.accountability import changelog_review
from registry.accountability.changelog_review import reviewed_changelog
from registry.db import make_engine, session_scope
from registry.gitsource import SpecSource
from registry.history import releases
from registry.history.releases import changelog
from registry.ledger.ingest import ingest


@pytest.fixture
def committed(databases, tmp_path):
    """(engine, repo): the test spec ingested and committed, so reading sessions keep answers."""
    repo = RepoBuilder(tmp_path / "spec")
    build_spec(repo)
    engine = make_engine(databases.fresh(), poolclass=NullPool)
    _ingest(engine, repo)
    yield engine, repo
    engine.dispose()


def _ingest(engine, repo: RepoBuilder) -> None:
    with SpecSource(repo.path) as source, session_scope(engine, write=True) as session:
        ingest(session, source)


def _page(engine, page: int, per_page: int):
    with session_scope(engine) as s:
        return reviewed_changelog(s, "v1.0", "v3.0", page, per_page)


@pytest.mark.parametrize("per_page", [1, 2, 3])
def test_every_page_of_a_changelog_is_its_slice_of_the_whole(committed, per_page):
    engine, _repo = committed
    whole = _page(engine, 1, 100)
    pages = [_page(engine, n, per_page) for n in range(1, whole.window.total // per_page + 2)]
    assert whole.window.total == 5 and len(whole.changes) == 5
    assert [c.as_dict() for p in pages for c in p.changes] == [c.as_dict() for c in whole.changes]
    assert {p.unprompted for p in pages} == {whole.unprompted} and {p.window.total for p in pages} == {5}


def test_paging_through_a_changelog_computes_the_whole_of_it_once(committed, monkeypatch):
    engine, _repo = committed
    releases._spans.clear()
    changelog_review._whole.clear()
    built: list[tuple[int, int]] = []
    real = releases._entries
    monkeypatch.setattr(releases, "_entries", lambda s, old, new: built.append((old.seq, new.seq)) or real(s, old, new))
    for page in (1, 2, 3, 1):
        _page(engine, page, 2)
    with session_scope(engine) as s:
        assert len(changelog(s, "v1.0", "v3.0").entries) == 5
    assert len(built) == 1


def test_an_ingest_makes_the_next_changelog_a_new_one(committed):
    engine, repo = committed
    with session_scope(engine) as s:
        [honesty] = [e for e in changelog(s, "v1.0", "v3.0").entries if e.new_id == "honesty"]
    assert honesty.id == "honesty"
    head = subprocess.run(["git", "-C", str(repo.path), "show", "main:spec/rules.md"], capture_output=True, text=True,
                          check=True).stdout
    text = head.replace("{#honesty authority=root}", "{#truthful authority=root}")
    assert text != head
    repo.commit("Rename honesty to truthful", {"spec/rules.md": text})
    _ingest(engine, repo)
    with session_scope(engine) as s:
        [again] = [e for e in changelog(s, "v1.0", "v3.0").entries if e.clause_id == honesty.clause_id]
    assert (again.id, again.new_id) == ("truthful", "honesty")  # the lineage's id now, its id at v3.0


def test_a_push_recomputes_only_the_current_ids_of_a_kept_span(committed, monkeypatch):
    engine, repo = committed
    with session_scope(engine) as s:
        before = changelog(s, "v1.0", "v3.0")
    built: list[tuple[int, int]] = []
    real = releases._entries
    monkeypatch.setattr(releases, "_entries", lambda s, old, new: built.append((old.seq, new.seq)) or real(s, old, new))
    head = subprocess.run(["git", "-C", str(repo.path), "show", "main:spec/rules.md"], capture_output=True, text=True,
                          check=True).stdout
    repo.commit("Rename honesty to truthful", {"spec/rules.md": head.replace("{#honesty", "{#truthful")})
    _ingest(engine, repo)
    with session_scope(engine) as s:
        after = changelog(s, "v1.0", "v3.0")
        assert built == []  # the span's entries were kept; only the ids were read again
        releases._spans.clear()
        fresh = changelog(s, "v1.0", "v3.0")
    assert built and after == fresh and after != before
    assert [e.id for e in after.entries] == [e.id.replace("honesty", "truthful") for e in before.entries]


def _rules(repo: RepoBuilder) -> str:
    return subprocess.run(["git", "-C", str(repo.path), "show", "main:spec/rules.md"], capture_output=True, text=True,
                          check=True).stdout


def _fresh(engine):
    releases._spans.clear()
    changelog_review._whole.clear()
    return _page(engine, 1, 100)


def test_a_kept_changelog_page_equals_a_fresh_one_after_a_rename_and_a_rewrite_that_undoes_it(committed):
    engine, repo = committed
    start = repo.head()
    first = _page(engine, 1, 100)
    repo.commit("Rename honesty to truthful", {"spec/rules.md": _rules(repo).replace("{#honesty", "{#truthful")})
    _ingest(engine, repo)
    renamed = _page(engine, 1, 100)
    assert [c.as_dict() for c in renamed.changes] == [c.as_dict() for c in _fresh(engine).changes]
    assert "truthful" in [c.entry.id for c in renamed.changes]
    repo.reset(start)  # a force-push: the rename is gone, a commit that renames nothing takes its place
    repo.commit("Other", {"spec/other.md": "# Other {#other}\n\nOther.\n"})
    _ingest(engine, repo)
    undone = _page(engine, 1, 100)
    assert [c.as_dict() for c in undone.changes] == [c.as_dict() for c in _fresh(engine).changes]
    assert [c.entry.id for c in undone.changes] == [c.entry.id for c in first.changes]


def test_a_push_reads_the_ids_of_the_lineages_it_wrote_and_keeps_the_page_order_and_count(committed, monkeypatch):
    engine, repo = committed
    _page(engine, 1, 100)
    asked: list[int | None] = []
    real = releases.current_ids
    monkeypatch.setattr(releases, "current_ids", lambda s, since=None: asked.append(since) or real(s, since))
    unprompted = changelog_review._unprompted
    monkeypatch.setattr(changelog_review, "_unprompted", lambda *a: pytest.fail("counted again after a push"))
    repo.commit("Rename honesty to truthful", {"spec/rules.md": _rules(repo).replace("{#honesty", "{#truthful")})
    _ingest(engine, repo)
    after = _page(engine, 1, 100)
    assert len(asked) == 1 and asked[0] is not None  # only the lineages written since the kept head
    monkeypatch.setattr(changelog_review, "_unprompted", unprompted)
    assert [c.as_dict() for c in after.changes] == [c.as_dict() for c in _fresh(engine).changes]
