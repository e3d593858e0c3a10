"""Governance files (OWNERS.toml, policy.toml, specreg.toml) changed directly are unapproved changes;
commits before `[governance] start` are pre-governance, not unapproved."""
from __future__ import annotations

import json

import pytest
from proposal_helpers import OWNERS, POLICY, adopt, build_world
from repo_builder import GRACE

from registry.accountability.acknowledge import acknowledge_commit
from registry.accountability.in_force import in_force
from registry.accountability.unapproved import (
    is_unapproved,
    pre_governance_count,
    unapproved_changes,
    unapproved_count,
)
from registry.accountability.verify import verify
from registry.accounts.users import add_user
from registry.cli.audit import _in_force_text
from registry.errors import Conflict
from registry.gitsource import SpecSource
from registry.history.clause_history import clause_history
from registry.history.governance import governance_start
from registry.proposals import reviews
from registry.proposals.authoring import ChangeInput, propose
from registry.proposals.merge import merge

VIEWER_OWNS_ROOT = OWNERS + '"be_honest" = ["vic@example.org"]\n'
ROOT_NEEDS_ONE = POLICY.replace("[authority.root]\nmin_approvals = 2", "[authority.root]\nmin_approvals = 1")


@pytest.fixture
def world(repo, session):
    w = build_world(repo, session)
    w.users["ops"] = add_user(session, w.users["root"], "ops@example.org", "Ops Admin", "admin")
    return w


def commit(world, message: str, files: dict, tag: str | None = None) -> str:
    """A commit pushed straight to the branch, ingested."""
    sha = world.repo.commit(message, files, author=GRACE, tag=tag)
    world.ingest()
    return sha


def edit_rules(world, old: str, new: str, message: str = "Direct edit", tag: str | None = None) -> str:
    with SpecSource(world.path) as source:  # the branch's text (the repo is written without a work tree)
        text = source.read_file(world.repo.head(), "spec/rules.md").decode()
    assert old in text
    return commit(world, message, {"spec/rules.md": text.replace(old, new)}, tag)


def changes(world, **kw) -> dict[str, tuple[list[str], list[str]]]:
    """sha -> (clauses, governance files) of each change the report lists."""
    return {c.commit: (c.clauses, c.governance_files) for c in unapproved_changes(world.session, **kw)}


# --- governance files changed directly ---------------------------------------------------------


def test_a_direct_commit_making_a_viewer_owner_of_a_root_clause_is_listed_and_named_by_verify(world):
    first = world.repo.head()  # it wrote OWNERS.toml and policy.toml directly too
    attack = commit(world, "Housekeeping", {"OWNERS.toml": VIEWER_OWNS_ROOT, "policy.toml": ROOT_NEEDS_ONE})
    assert changes(world)[attack] == ([], ["OWNERS.toml", "policy.toml"])
    item = next(c for c in unapproved_changes(world.session) if c.commit == attack).as_dict()
    assert item["governance_files"] == ["OWNERS.toml", "policy.toml"] and item["pre_governance"] is False
    assert is_unapproved(world.session, attack)
    findings = [f for f in verify(world.session, str(world.path)) if f.check == "governance"]
    assert [f.where for f in findings] == [f"commit {first[:12]}", f"commit {attack[:12]}"]
    assert "OWNERS.toml, policy.toml without a merged proposal" in findings[1].message


def test_the_viewers_approval_under_a_direct_owners_change_is_not_reported_clean(world):
    attack = commit(world, "Housekeeping", {"OWNERS.toml": VIEWER_OWNS_ROOT, "policy.toml": ROOT_NEEDS_ONE})
    n = world.change("ada", "be_honest", "Say whatever helps.")
    reviews.approve(world.session, world.users["vic"], n)
    merge_commit = merge(world.session, world.path, "main", world.users["ada"], n).commit
    record = in_force(world.session, "be_honest", merge_commit)
    assert [a.email for a in record.approvers] == ["vic@example.org"] and not record.unapproved
    data = record.as_dict()
    assert data["unapproved_governance"] == [{"path": "OWNERS.toml", "commit": attack, "acknowledged": False},
                                             {"path": "policy.toml", "commit": attack, "acknowledged": False}]
    assert attack in changes(world)  # and the change it rests on stays in the report
    text = _in_force_text(record)
    assert f"UNAPPROVED GOVERNANCE: counted under OWNERS.toml as commit {attack[:12]} wrote it" in text
    assert f"UNAPPROVED GOVERNANCE: counted under policy.toml as commit {attack[:12]} wrote it" in text


def test_an_approval_counted_under_pre_governance_files_and_an_acknowledged_start_names_only_the_start(world):
    world.repo.commit("Tag where governance begins", {"notes.txt": "x\n"}, tag="v1")
    setter = commit(world, "Governance begins", {"policy.toml": POLICY + '\n[governance]\nstart = "v1"\n'})
    acknowledge_commit(world.session, world.users["root"], setter, "Adopting the registry")
    n = world.change("ada", "respect_privacy", "Never reveal personal data.")
    reviews.approve(world.session, world.users["grace"], n)
    merge_commit = merge(world.session, world.path, "main", world.users["ada"], n).commit
    data = in_force(world.session, "respect_privacy", merge_commit).as_dict()
    # OWNERS.toml came with the first commit, before governance began; the start was set directly
    assert data["unapproved_governance"] == [{"path": "policy.toml", "commit": setter, "acknowledged": True}]
    assert data["pre_governance"] is False and data["unapproved"] is False
    first_text = in_force(world.session, "be_brief", merge_commit).as_dict()
    assert first_text["pre_governance"] is True and first_text["unapproved"] is False


@pytest.mark.parametrize(("files", "renames", "expected"), [
    ({"OWNERS.toml": None}, None, ["OWNERS.toml"]),
    ({}, {"policy.toml": "old-policy.toml"}, ["policy.toml"]),
    ({"specreg.toml": 'include = ["spec/**/*.md"]\n'}, None, ["specreg.toml"]),
    ({"docs/OWNERS.toml": "[owners]\n", "notes.txt": "x\n"}, None, None),
])
def test_deleting_renaming_or_adding_a_governance_file_at_the_root_is_a_governance_change(world, files, renames,
                                                                                          expected):
    sha = world.repo.commit("Move things", files, renames=renames, author=GRACE)
    world.ingest()
    assert changes(world).get(sha, (None, None))[1] == expected


def test_the_merge_of_a_governance_file_proposal_is_not_unapproved_and_a_copy_of_its_file_is(world):
    adopt(world)
    stricter = POLICY + "\n[authority.system]\nmin_approvals = 2\n"
    with SpecSource(world.path) as source:
        n = propose(world.session, source, world.users["root"], "Stricter", "Why.", [ChangeInput("file", "policy.toml",
                                                                                             stricter)]).id
    reviews.approve(world.session, world.users["ops"], n)
    merge_commit = merge(world.session, world.path, "main", world.users["root"], n).commit
    assert merge_commit not in changes(world) and not is_unapproved(world.session, merge_commit)
    copy = commit(world, "Same file again", {"policy.toml": stricter + "# tweak\n"})
    assert changes(world)[copy] == ([], ["policy.toml"])
    assert [f.where for f in verify(world.session, str(world.path)) if f.check == "governance"] == [
        f"commit {copy[:12]}"]


def test_an_acknowledged_governance_change_stays_listed_but_verify_accepts_it(world):
    first = world.repo.head()
    attack = commit(world, "Owners", {"OWNERS.toml": VIEWER_OWNS_ROOT})
    acknowledge_commit(world.session, world.users["root"], first, "Adoption: the registry's first commit")
    assert [f.where for f in verify(world.session, str(world.path)) if f.check == "governance"] == [
        f"commit {attack[:12]}"]
    acknowledge_commit(world.session, world.users["root"], attack, "Owners agreed in the kickoff")
    assert attack in changes(world)
    assert [f for f in verify(world.session, str(world.path)) if f.check == "governance"] == []


# --- pre-governance history ----------------------------------------------------------------------


def start_at(world, ref: str, message: str = "Governance begins") -> str:
    return commit(world, message, {"policy.toml": POLICY + f'\n[governance]\nstart = "{ref}"\n'})


def test_commits_before_the_start_are_pre_governance_and_left_out_unless_asked(world):
    first = world.repo.head()
    early = edit_rules(world, "Prefer short answers.", "Prefer shorter answers.", "Early edit")
    begin = edit_rules(world, "Use lists sparingly.", "Use lists rarely.", "Adopt the registry", tag="v1")
    setter = start_at(world, "v1")
    late = edit_rules(world, "Prefer shorter answers.", "Prefer the shortest answers.", "Late edit")
    assert list(changes(world)) == [begin, setter, late]
    every = unapproved_changes(world.session, pre_governance=True)
    assert [(c.commit, c.pre_governance) for c in every] == [
        (first, True), (early, True), (begin, False), (setter, False), (late, False)]
    assert unapproved_count(world.session) == (3, 3) and pre_governance_count(world.session) == 2
    assert not is_unapproved(world.session, early)
    with pytest.raises(Conflict, match=r"is not an unapproved change: it came before governance began \(at "
                                       + begin[:12] + r", policy.toml's \[governance\] start 'v1'\)"):
        acknowledge_commit(world.session, world.users["root"], early, "Old history")
    flags = {e.commit: (e.as_dict()["pre_governance"], e.as_dict()["unapproved"])
             for e in clause_history(world.session, "be_brief")}
    assert [flags[first], flags[early], flags[late]] == [(True, False), (True, False), (False, True)]
    assert governance_start(world.session).as_dict() == {"start": "v1", "commit": begin, "warnings": []}


def test_a_start_given_as_a_sha_prefix_works_like_a_tag(world):
    begin = edit_rules(world, "Prefer short answers.", "Prefer shorter answers.")
    start_at(world, begin[:10])
    assert next(iter(changes(world))) == begin


def test_a_direct_commit_moving_the_start_later_is_flagged_and_hides_nothing_that_was_governed(world):
    edit_rules(world, "Prefer short answers.", "Prefer shorter answers.", tag="v1")
    first_setter = start_at(world, "v1")
    governed = edit_rules(world, "Use lists sparingly.", "Use lists rarely.", "Governed edit", tag="v2")
    before = list(changes(world))
    mover = start_at(world, "v2", "Move governance later")
    assert list(changes(world)) == before + [mover]
    assert first_setter in before and governed in before
    start = governance_start(world.session)
    assert start.ref == "v2" and "never moves later" in start.warnings[0]


def test_a_start_naming_a_commit_after_the_one_that_sets_it_reaches_no_further_than_that_commit(world):
    setter = start_at(world, "later")
    hidden = edit_rules(world, "Prefer short answers.", "Prefer shorter answers.", "Sneaky edit", tag="later")
    assert [setter, hidden] == list(changes(world))[-2:]
    assert governance_start(world.session).commit == setter


def test_a_start_moved_earlier_applies(world):
    edit_rules(world, "Prefer short answers.", "Prefer shorter answers.", tag="v2")
    start_at(world, "v2")
    first = world.repo.head()
    assert governance_start(world.session).seq is not None
    world.repo.commit("tag v0", {"notes.txt": "x\n"})
    world.ingest()
    earlier = governance_start(world.session).seq
    start_at(world, first[:12])
    assert governance_start(world.session).seq <= earlier


def test_an_unknown_start_warns_and_hides_nothing(world):
    first = world.repo.head()
    start_at(world, "no-such-tag")
    start = governance_start(world.session)
    assert (start.commit, start.seq) == (None, None)
    assert "no-such-tag" in start.warnings[0] and "every commit counts as governed" in start.warnings[0]
    assert first in changes(world)


def test_removing_the_start_makes_every_commit_governed_again(world):
    first = world.repo.head()
    edit_rules(world, "Prefer short answers.", "Prefer shorter answers.", tag="v1")
    start_at(world, "v1")
    assert first not in changes(world)
    commit(world, "No start", {"policy.toml": POLICY})
    assert first in changes(world)


# --- the command line ----------------------------------------------------------------------------


def test_the_command_line_lists_governance_files_and_pre_governance_commits_when_asked(repo, json_cli, capsys):
    from registry.cli import main

    first = repo.commit("Spec, owners and policy", {"spec/rules.md": "# Rules {#rules}\n\nIntro.\n",
                                                    "OWNERS.toml": OWNERS, "policy.toml": POLICY})
    setter = repo.commit("Start", {"policy.toml": POLICY + '\n[governance]\nstart = "v1"\n'})
    tagged = repo.commit("Tag", {"notes.txt": "x\n"}, tag="v1")
    assert json_cli("ingest")[0] == 0
    code, listed = json_cli("unapproved")
    assert code == 0 and [c["commit"] for c in listed] == [setter]  # the start stops at the commit setting it
    assert listed[0]["governance_files"] == ["policy.toml"] and listed[0]["clauses"] == []
    assert main(["unapproved", "--pre-governance", "--json"]) == 0
    out, err = capsys.readouterr()
    every = json.loads(out)
    assert [(c["commit"], c["pre_governance"], c["governance_files"]) for c in every] == [
        (first, True, ["OWNERS.toml", "policy.toml"]), (setter, False, ["policy.toml"])]
    assert "later than where governance already began" in err  # a warning, with --json too
    assert tagged not in {c["commit"] for c in every}


def test_the_command_line_warns_about_an_unknown_start_on_stderr_and_lists_everything(repo, json_cli, capsys):
    from registry.cli import main

    first = repo.commit("Spec", {"spec/rules.md": "# Rules {#rules}\n\nIntro.\n",
                                 "policy.toml": POLICY + '\n[governance]\nstart = "nope"\n'})
    assert json_cli("ingest")[0] == 0
    assert main(["unapproved"]) == 0
    out, err = capsys.readouterr()
    assert first[:12] in out and "governance files: policy.toml" in out
    assert "specreg: warning: policy.toml's [governance] start: unknown ref 'nope'" in err


def test_the_in_force_text_says_when_a_text_dates_from_before_governance_began(repo, json_cli, capsys):
    from registry.cli import main

    repo.commit("Spec", {"spec/rules.md": "# Rules {#rules}\n\nIntro.\n"})
    repo.commit("Tag", {"notes.txt": "x\n"}, tag="v1")
    repo.commit("Start", {"policy.toml": POLICY + '\n[governance]\nstart = "v1"\n'})
    assert json_cli("ingest")[0] == 0
    assert main(["in-force", "rules", "--at", "2100-01-01"]) == 0
    out = capsys.readouterr().out
    assert "before governance began: no merged proposal is behind this text" in out and "UNAPPROVED" not in out
