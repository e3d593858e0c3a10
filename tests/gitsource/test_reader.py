"""The history reader's questions to git."""
from __future__ import annotations

from registry.gitsource import SpecSource


def test_a_commit_missing_from_the_repository_is_nobodys_ancestor(repo):
    # Ingest asks only this (one git process fewer per run) to tell that its last head is gone.
    first = repo.commit("one", {"spec/a.md": "# A\n"})
    second = repo.commit("two", {"spec/a.md": "# A\n\nB.\n"})
    with SpecSource(repo.path) as source:
        assert source.is_ancestor(first, second) and not source.is_ancestor(second, first)
        assert not source.is_ancestor("1" * 40, second)
        assert not source.is_ancestor(first, "2" * 40)
