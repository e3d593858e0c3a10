"""A revision from the database or the settings never reaches git as an option.

The ledger's head, a proposal's base and the branch come from rows an attacker with SQL access can
forge; `--output=FILE` given to `git rev-list` as a revision creates or empties FILE.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from repo_builder import RepoBuilder

from registry.errors import SourceError
from registry.gitsource import SpecSource

CALLS = {
    "resolve": lambda s, bad, head: s.resolve(bad),
    "is_ancestor": lambda s, bad, head: s.is_ancestor(bad, head),
    "has_commit": lambda s, bad, head: s.has_commit(bad),
    "first_parent_shas": lambda s, bad, head: list(s.first_parent_shas(bad)),
    "count since": lambda s, bad, head: s.count(head, bad),
    "count head": lambda s, bad, head: s.count(bad),
    "count_after": lambda s, bad, head: s.count_after(bad, head),
    "log since": lambda s, bad, head: list(s.log(head, bad)),
    "log head": lambda s, bad, head: list(s.log(bad)),
    "changed": lambda s, bad, head: s.changed(bad, ["spec/a.md"]),
    "trailers": lambda s, bad, head: s.trailers(bad, "Proposal"),
    "ref_messages": lambda s, bad, head: s.ref_messages(bad),
    "present": lambda s, bad, head: s.present(bad, ["spec/a.md"]),
}


@pytest.mark.parametrize("call", list(CALLS.values()), ids=list(CALLS))
def test_a_revision_that_git_would_read_as_an_option_is_refused_and_git_writes_nothing(tmp_path: Path, call):
    repo = RepoBuilder(tmp_path / "spec")
    head = repo.commit("one", {"spec/a.md": "# A {#a}\n\nOne.\n"})
    target = tmp_path / "written"
    with SpecSource(repo.path) as source, pytest.raises(SourceError, match="not a git revision"):
        call(source, f"--output={target}", head)
    assert not list(tmp_path.glob("written*"))
