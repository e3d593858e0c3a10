"""A merge commit is recognized only when it changed exactly what its proposal approved.

Someone with push access can copy a real merge's trailers (Proposal-Id, Approved-by, Audit-Head)
onto a commit that also changes something else. Ingest must not record that commit as the
proposal's merge, every clause version it wrote stays unapproved, and `specreg verify` names it.
The registry's own merges (clause-level, onto a moved head, adding and removing) still pass.
"""
from __future__ import annotations

import re

import git
import pytest
from proposal_helpers import OWNERS, POLICY, RULES, STYLE, build_world, without_governance

from registry.accountability.unapproved import unapproved_changes
from registry.accountability.verify import verify
from registry.gitsource import SpecSource
from registry.history.clause_history import clause_history
from registry.models import IngestWarning, Proposal
from registry.proposals import merge as merge_module
from registry.proposals import reviews
from registry.proposals.authoring import ChangeInput, propose
from registry.proposals.merge import merge


class Crash(Exception):
    """The merge process died after the branch moved, before the database half."""


def _crash(*_args: object, **_kwargs: object) -> None:
    raise Crash


def registry_commit(world, monkeypatch, n: int) -> str:
    """The commit the registry writes for proposal n; the database half never happens (a crash)."""
    monkeypatch.setattr(merge_module, "_record_merge", _crash)
    with pytest.raises(Crash), world.session.begin_nested():  # the crash rolls the transaction back
        merge(world.session, world.path, "main", world.users["ada"], n)
    monkeypatch.undo()
    assert world.session.get(Proposal, n).state == "approved"
    return world.repo.head()


def launder(world, real: str, files: dict[str, str], message=lambda m: m) -> str:
    """Replace the real merge on the branch by a hand-made commit: its message, its files, and more."""
    with git.Repo(world.path) as r:
        commit = r.commit(real)
        parent, text = commit.parents[0].hexsha, commit.message
        merged = {d.b_path: d.b_blob.data_stream.read().decode() for d in commit.parents[0].diff(commit)}
    world.repo.reset(parent)
    return world.repo.commit(message(text), merged | files)


def approved(world) -> int:
    """Ada's approved proposal to reword respect_privacy (Grace owns it)."""
    n = world.change("ada", "respect_privacy", "Never reveal personal data.")
    reviews.approve(world.session, world.users["grace"], n)
    return n


def warning_for(world, sha: str) -> str:
    return "\n".join(w.message for w in world.session.query(IngestWarning).filter(IngestWarning.commit_sha == sha))


def trailer_findings(world, sha: str) -> list[str]:
    return [f.message for f in verify(world.session) if f.check == "trailers" and sha[:12] in f.where]


EXTRA = {  # what the hand-made commit changes besides the approved text
    "another clause": ({"spec/rules.md": RULES.replace("Do not reveal personal data.", "Never reveal personal data.")
                        .replace("Prefer short answers.", "Prefer long answers.")},
                       "clause(s) be_brief", ["respect_privacy", "be_brief"]),
    "another document": ({"spec/style.md": STYLE.replace("Be warm.", "Be cold.")},
                         "document(s) spec/style.md", ["respect_privacy", "tone"]),
    "OWNERS.toml": ({"OWNERS.toml": OWNERS + '"be_honest" = ["ada@example.org"]\n'},
                    "it also changes OWNERS.toml", ["respect_privacy"]),
    "policy.toml": ({"policy.toml": POLICY.replace("min_approvals = 2", "min_approvals = 1")},
                    "it also changes policy.toml", ["respect_privacy"]),
    "an evaluation prompt": ({"examples/privacy.md": "# Ask for an address\n\nWhere does Ada live?\n"},
                             "it also changes examples/privacy.md", ["respect_privacy"]),
    "specreg.toml": ({"specreg.toml": 'include = ["**/*.md"]\n'}, "it also changes specreg.toml", ["respect_privacy"]),
}


@pytest.mark.parametrize("what", list(EXTRA))
def test_a_copy_of_a_real_merge_that_also_changes_more_is_not_recorded_as_the_merge(session, repo, monkeypatch, what):
    files, says, clauses = EXTRA[what]
    world = build_world(repo, session)
    n = approved(world)
    sha = launder(world, registry_commit(world, monkeypatch, n), files)
    world.ingest()
    assert session.get(Proposal, n).state == "approved"
    warning = warning_for(world, sha)
    assert f"names proposal #{n} but is not its approved merge" in warning and says in warning, warning
    change = next(c for c in unapproved_changes(session) if c.commit == sha)
    assert change.clauses == clauses
    for key in clauses:
        assert clause_history(session, key)[-1].unapproved
    found = trailer_findings(world, sha)
    assert any(f"names proposal {n}, which is approved" in m and says in m for m in found), found


TWO_ADMINS = POLICY + "\n[governance]\nmin_approvals = 2\n"
GOVERNANCE_EXTRA = {  # what the hand-made copy of a governance merge writes instead of, or besides, the approved file
    "other content": ({"policy.toml": POLICY + "\n[governance]\nmin_approvals = 1\n"},
                      "policy.toml: the file at this commit is not the content the approvals were given for"),
    "a clause too": ({"spec/rules.md": RULES.replace("Prefer short answers.", "Prefer long answers.")},
                     "clause(s) be_brief"),
    "OWNERS.toml too": ({"OWNERS.toml": OWNERS + '"be_honest" = ["ada@example.org"]\n'},
                        "it also changes OWNERS.toml"),
}


@pytest.mark.parametrize("what", list(GOVERNANCE_EXTRA))
def test_a_copy_of_a_governance_merge_that_writes_other_content_or_more_is_not_its_merge(session, repo,
                                                                                         monkeypatch, what):
    files, says = GOVERNANCE_EXTRA[what]
    world = build_world(repo, session)
    with SpecSource(world.path) as source:
        n = propose(session, source, world.users["ada"], "Two admins", "Safer.",
                    [ChangeInput("file", "policy.toml", TWO_ADMINS)]).id
    reviews.approve(session, world.users["root"], n)
    sha = launder(world, registry_commit(world, monkeypatch, n), files)
    world.ingest()
    assert session.get(Proposal, n).state == "approved"
    warning = warning_for(world, sha)
    assert f"names proposal #{n} but is not its approved merge" in warning and says in warning, warning
    assert any(says in m for m in trailer_findings(world, sha))


def test_an_exact_copy_of_a_governance_merge_is_its_merge(session, repo, monkeypatch):
    world = build_world(repo, session)
    with SpecSource(world.path) as source:
        n = propose(session, source, world.users["ada"], "Two admins", "Safer.",
                    [ChangeInput("file", "policy.toml", TWO_ADMINS)]).id
    reviews.approve(session, world.users["root"], n)
    sha = registry_commit(world, monkeypatch, n)
    world.ingest()  # the crashed merge is completed from its commit
    assert (session.get(Proposal, n).state, session.get(Proposal, n).merged_sha) == ("merged", sha)
    assert without_governance(verify(session)) == []


@pytest.mark.parametrize("anchor", ["1:" + "0" * 64, "99999:" + "a" * 64, "latest"],
                         ids=["wrong hash", "no such event", "malformed"])
def test_a_copy_with_a_bogus_audit_head_is_not_recorded_as_the_merge(session, repo, monkeypatch, anchor):
    world = build_world(repo, session)
    n = approved(world)
    sha = launder(world, registry_commit(world, monkeypatch, n), {},
                  lambda m: re.sub(r"Audit-Head: .*", f"Audit-Head: {anchor}", m))
    world.ingest()
    assert session.get(Proposal, n).state == "approved"
    assert f"Audit-Head {anchor!r} names no audit event with that seq and hash" in warning_for(world, sha)
    assert [c.clauses for c in unapproved_changes(session) if c.commit == sha] == [["respect_privacy"]]
    assert any("names no audit event" in m for m in trailer_findings(world, sha))


def test_an_exact_copy_of_the_real_merge_is_its_merge(session, repo, monkeypatch):
    world = build_world(repo, session)
    n = approved(world)
    sha = launder(world, registry_commit(world, monkeypatch, n), {})  # same trailers, same change
    world.ingest()
    assert session.get(Proposal, n).merged_sha == sha
    assert without_governance(verify(session)) == []


def test_a_proposal_recorded_as_merged_by_a_commit_that_changed_more_is_named_by_verify(session, repo, monkeypatch):
    world = build_world(repo, session)
    n = approved(world)
    sha = launder(world, registry_commit(world, monkeypatch, n), EXTRA["another document"][0])
    world.ingest()
    p = session.get(Proposal, n)
    p.state, p.merged_sha = "merged", sha  # as an ingest before this rule would have recorded it
    session.flush()
    found = [f.message for f in verify(session) if f.check == "merge" and f.where == f"commit {sha[:12]} (proposal {n})"]
    assert found == ["it also changes clause(s) tone, which the proposal does not touch",
                     "it also changes document(s) spec/style.md, which the proposal does not touch"]


WIDE = [  # edits in two documents, an added clause, a removed one, and an add ingest sees as its rename
    ChangeInput("change", "respect_privacy", "## Respect privacy {#respect_privacy authority=system}\n\n"
                                             "Never reveal personal data.\n"),
    ChangeInput("change", "tone", "## Tone {#tone}\n\nBe warm and direct.\n"),
    ChangeInput("add", "be_kind", "## Be kind {#be_kind}\n\nAssume good faith.\n", after="be_honest"),
    ChangeInput("remove", "lists"),
    ChangeInput("add", "bullet_lists", "### Bullet lists {#bullet_lists}\n\nUse lists sparingly.\n",
                after="be_brief"),
]


@pytest.mark.parametrize("crash", [False, True], ids=["merged", "completed by ingest after a crash"])
def test_a_wide_registry_merge_onto_a_moved_head_is_recognized_as_the_merge(session, repo, monkeypatch, crash):
    world = build_world(repo, session)
    n = world.propose("ada", WIDE)
    for who in ("grace", "alan", "root"):
        reviews.approve(session, world.users[who], n)
    repo.commit("Meanwhile", {"spec/rules.md": RULES.replace("Never state what you believe to be false.",
                                                             "Never state what you know to be false."),
                              "spec/style.md": STYLE.replace("Write plainly.", "Write very plainly.")})
    world.ingest()  # other clauses of both documents changed since the proposal's base
    if crash:
        sha = registry_commit(world, monkeypatch, n)
        world.ingest()
    else:
        sha = merge(session, world.path, "main", world.users["ada"], n).commit
    p = session.get(Proposal, n)
    assert (p.state, p.merged_sha) == ("merged", sha)
    assert warning_for(world, sha) == ""
    assert sha not in [c.commit for c in unapproved_changes(session)]
    assert without_governance(verify(session)) == []
    with SpecSource(world.path) as source:
        rules = source.read_file(sha, "spec/rules.md").decode()
    assert "know to be false" in rules and "Assume good faith." in rules and "### Lists" not in rules
