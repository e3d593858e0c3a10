"""The history reader's questions to git."""
from __future__ import annotations

from registry.gitsource import SpecSource, process


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


def test_the_commits_after_an_ancestor_are_counted_and_a_commit_that_is_none_is_told(repo):
    # Ingest asks this once (one git process) instead of is_ancestor, then count.
    first = repo.commit("one", {"spec/a.md": "# A\n"})
    side = repo.commit("on a side branch", {"spec/b.md": "# B\n"}, branch="side", start=first)
    second = repo.commit("two", {"spec/a.md": "# A\n\nB.\n"})
    merged = repo.commit("merge the side", {"spec/b.md": "# B\n"}, merge="side")
    elsewhere = repo.commit("elsewhere", {"spec/c.md": "# C\n"}, branch="other", start=first)
    with SpecSource(repo.path) as source:
        for since in (first, second, side, merged):
            assert source.count_after(since, merged) == source.count(merged, since)
        assert source.count_after(first, merged) == 2  # first-parent commits, as count gives them
        assert source.count_after(side, merged) == 2  # an ancestor through the merge's second parent: not None
        assert source.count_after(elsewhere, merged) is None
        assert source.count_after(merged, first) is None
        assert source.count_after("1" * 40, merged) is None


def test_which_paths_a_commit_has_is_none_for_a_commit_the_repository_lacks(repo):
    sha = repo.commit("Rules", {"spec/rules.md": "# R\n", "OWNERS.toml": "x"})
    with SpecSource(repo.path) as source:
        assert source.present(sha, ["OWNERS.toml", "policy.toml"]) == {"OWNERS.toml"}
        assert source.present("1" * 40, ["OWNERS.toml"]) is None
        tree = process.text(repo.path, "rev-parse", f"{sha}^{{tree}}")
        assert source.present(tree, ["OWNERS.toml"]) is None  # a tree lists the file, but is no commit
