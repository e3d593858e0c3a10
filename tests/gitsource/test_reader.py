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


def test_the_commits_that_changed_some_paths_are_listed_as_ingest_sees_them(repo):
    # verify counts the governance file versions against these: one per commit and path ingest reads.
    one = repo.commit("one", {"OWNERS.toml": "a", "policy.toml": "p", "spec/a.md": "# A\n"})
    repo.commit("prose only", {"spec/a.md": "# A\n\nB.\n"})
    moved = repo.commit("move it away", renames={"OWNERS.toml": "old/OWNERS.toml"})
    repo.commit("on a side branch", {"frameworks.toml": "f"}, branch="side", start=moved)
    back = repo.commit("bring it back", {"OWNERS.toml": "b"})
    merged = repo.commit("merge the side", {"frameworks.toml": "f"}, merge="side")
    with SpecSource(repo.path) as source:
        changed = source.changed(merged, ["OWNERS.toml", "policy.toml", "frameworks.toml"])
    assert changed == [(one, "OWNERS.toml"), (one, "policy.toml"), (moved, "OWNERS.toml"), (back, "OWNERS.toml"),
                       (merged, "frameworks.toml")]
