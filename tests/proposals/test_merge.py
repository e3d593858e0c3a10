"""Merging: one commit at clause level with trailers, the policy re-checked, conflicts, idempotence."""
from __future__ import annotations

import git
import pytest
from proposal_helpers import HEADINGS, OWNERS, RULES, STYLE, build_world
from repo_builder import GRACE
from sqlalchemy import func, select

from registry.errors import Forbidden, IllegalTransition, PolicyNotSatisfied, Unauthorized, UnknownProposal
from registry.gitsource import SpecSource, trailers
from registry.history.clause_history import clause_history
from registry.history.queries import show_clause
from registry.ledger.refs import resolve
from registry.models import AuditEvent, IngestRun
from registry.proposals import merge as merge_module
from registry.proposals import reviews
from registry.proposals.authoring import ChangeInput, revise
from registry.proposals.merge import merge
from registry.proposals.reads import proposal_detail


@pytest.fixture
def world(repo, session):
    return build_world(repo, session)


def text(key: str, body: str) -> str:
    return f"{HEADINGS[key]}\n\n{body}\n"


def approved(world, key="respect_privacy", body="Never reveal personal data.", by=("grace",)) -> int:
    n = world.change("ada", key, body)
    for who in by:
        reviews.approve(world.session, world.users[who], n)
    return n


def do_merge(world, n, who="ada"):
    return merge(world.session, world.path, "main", world.users[who], n)


def commit_of(world, sha: str) -> git.Commit:
    with git.Repo(world.path) as r:
        return r.commit(sha)


def body(world, key: str) -> str:
    return show_clause(world.session, key, resolve(world.session, None)).text


def test_a_merge_reads_its_new_commit_in_its_own_process_so_a_threaded_worker_spawns_no_interpreter(
        world, monkeypatch):
    import multiprocessing

    def no_reader_process(method: str | None = None) -> None:
        # In a process with several threads (gunicorn's gthread worker) a reader process could only
        # be spawned, a fresh interpreter importing the registry, on every merge.
        raise AssertionError(f"the merge's ingest started a {method} reader process")

    monkeypatch.setattr(multiprocessing, "get_context", no_reader_process)
    n = approved(world)
    assert do_merge(world, n).state == "merged"
    assert body(world, "respect_privacy") == "Never reveal personal data."


def test_a_merge_makes_one_commit_with_the_new_text_and_ingests_it(world):
    n = approved(world)
    before = world.repo.head()
    result = do_merge(world, n)
    assert result.as_dict() == {"id": n, "state": "merged", "commit": world.repo.head()}
    assert commit_of(world, result.commit).parents[0].hexsha == before
    assert body(world, "respect_privacy") == "Never reveal personal data."
    history = clause_history(world.session, "respect_privacy")
    assert (history[-1].commit, history[-1].proposal, history[-1].changes) == (result.commit, n, ["body"])
    assert history[-1].as_dict()["proposal"] == n and history[0].as_dict()["proposal"] is None
    assert (world.path / "spec/rules.md").read_text() == RULES.replace("Do not reveal", "Never reveal")


def test_the_commit_names_the_proposer_the_registry_the_proposal_and_each_approval(world):
    n = approved(world, "be_honest", "Never lie.", by=("grace", "alan"))
    c = commit_of(world, do_merge(world, n).commit)
    assert (c.author.name, c.author.email) == ("Ada Byron", "ada@example.org")
    assert (c.committer.name, c.committer.email) == ("Specreg", "specreg@localhost")
    assert c.message.startswith("Change\n\nBecause.\n\n")
    assert trailers.values(c.message, "Proposal-Id") == [str(n)]
    approvals = trailers.values(c.message, "Approved-by")
    assert [a.split(";")[0] for a in approvals] == ["Grace Hopper <grace@example.org>",
                                                   "Alan Turing <alan@example.org>"]
    assert all(a.endswith("; approved as owner of be_honest") and "Z; " in a for a in approvals)
    seq, digest = trailers.values(c.message, "Audit-Head")[0].split(":")
    assert world.session.get(AuditEvent, int(seq)).hash == digest


def test_a_merged_commit_answers_which_proposal_approvers_and_policy_brought_it(world):
    from registry.proposals.reads import merged_by_commit

    n = approved(world)
    sha = do_merge(world, n).commit
    found = merged_by_commit(world.session, sha).as_dict()
    assert (found["id"], found["proposer"]["email"], found["rationale"]) == (n, "ada@example.org", "Because.")
    assert [(a["name"], a["meaning"]) for a in found["approvers"]] == [
        ("Grace Hopper", "approved as owner of respect_privacy")]
    assert found["policy"]["path"] == "policy.toml" and not found["policy"]["defaults"]
    assert merged_by_commit(world.session, "0" * 40) is None


def test_a_second_merge_of_the_same_proposal_returns_the_first_commit(world):
    n = approved(world)
    first = do_merge(world, n)
    assert do_merge(world, n) == first
    with SpecSource(world.path) as source:
        assert source.count(world.repo.head()) == 2  # the spec commit and one merge


def test_a_merge_that_names_no_branch_publishes_onto_the_branch_the_database_tracks(world):
    n = approved(world)
    topic = world.repo.commit("Elsewhere", {"notes.md": "# Notes\n"}, branch="topic", start="main")
    with git.Repo(world.path) as r:
        r.git.symbolic_ref("HEAD", "refs/heads/topic")  # someone checked out another branch
    result = merge(world.session, world.path, None, world.users["ada"], n)
    assert (result.state, result.commit) == ("merged", world.repo.head())
    assert world.repo.head("topic") == topic
    assert body(world, "respect_privacy") == "Never reveal personal data."


def test_edits_to_other_clauses_since_the_base_do_not_conflict(world):
    n = approved(world)
    world.repo.commit("Direct edit of another clause", {
        "spec/rules.md": RULES.replace("Prefer short answers.", "Prefer short answers, always.")})
    do_merge(world, n)
    assert body(world, "respect_privacy") == "Never reveal personal data."
    assert body(world, "be_brief") == "Prefer short answers, always."


def test_a_touched_clause_changed_since_the_base_conflicts_until_revised(world):
    n = approved(world)
    world.repo.commit("Direct edit of the same clause", {
        "spec/rules.md": RULES.replace("Do not reveal personal data.", "Do not reveal anything.")})
    result = do_merge(world, n)
    assert (result.state, result.commit) == ("conflicted", None)
    assert result.conflicts == ["respect_privacy: changed on the branch since the proposal's base"]
    assert body(world, "respect_privacy") == "Do not reveal anything."
    with pytest.raises(IllegalTransition, match="revise it first"):
        do_merge(world, n)
    with SpecSource(world.path) as source:
        revise(world.session, source, world.users["ada"], n,
               [ChangeInput("change", "respect_privacy", text("respect_privacy", "Reveal nothing."))])
    assert proposal_detail(world.session, n).as_dict()["state"] == "open"  # the old approval is stale
    reviews.approve(world.session, world.users["grace"], n)
    assert do_merge(world, n).state == "merged"
    assert body(world, "respect_privacy") == "Reveal nothing."


def test_the_branch_moving_during_a_merge_makes_it_start_over_on_the_new_head(world, monkeypatch):
    n = approved(world)
    real = merge_module.compare_and_swap
    calls = []

    def racing(path, branch, new, old):
        if not calls:  # someone pushes between our commit and our swap
            world.repo.commit("Racing push", {
                "spec/rules.md": RULES.replace("Use lists sparingly.", "Use lists rarely.")}, author=GRACE)
        calls.append(old)
        return real(path, branch, new, old)

    monkeypatch.setattr(merge_module, "compare_and_swap", racing)
    result = do_merge(world, n)
    assert len(calls) == 2 and calls[0] != calls[1]
    assert body(world, "lists") == "Use lists rarely." and body(world, "respect_privacy").startswith("Never")
    assert commit_of(world, result.commit).parents[0].hexsha == calls[1]


def test_merge_refuses_an_unapproved_proposal_naming_the_rule(world):
    n = approved(world, "be_honest", "Never lie.", by=("grace",))
    with pytest.raises(PolicyNotSatisfied) as err:
        do_merge(world, n)
    assert err.value.missing == ["be_honest: needs 1 more approval from the owners of be_honest: Alan Turing "
                                 "[rule authority.root: 2]"]
    assert "authority.root" in err.value.message


def test_the_policy_is_checked_again_at_merge_time(world):
    n = approved(world)  # grace approved as owner of respect_privacy
    world.repo.commit("Barbara takes privacy", {"OWNERS.toml": OWNERS.replace(
        '"respect_privacy" = ["grace@example.org"]', '"respect_privacy" = ["barbara@example.org"]')})
    with pytest.raises(PolicyNotSatisfied, match="owners of respect_privacy: Barbara Liskov"):
        do_merge(world, n)


def test_a_veto_added_after_approval_blocks_the_merge(world):
    n = approved(world)
    reviews.request_changes(world.session, world.users["barbara"], n, "wait")
    with pytest.raises(PolicyNotSatisfied, match="veto: Barbara Liskov"):
        do_merge(world, n)


@pytest.mark.parametrize("who", ["barbara", "grace"])
def test_who_may_press_merge(world, who):
    n = approved(world)
    if who == "barbara":
        with pytest.raises(Forbidden, match="only the proposer"):
            do_merge(world, n, who)
    else:  # an owner of a touched clause may
        assert do_merge(world, n, who).state == "merged"


@pytest.mark.parametrize(("who", "number", "error"), [
    ("vic", None, Forbidden),  # a viewer who owns none of the touched clauses
    ("barbara", None, Forbidden),  # an editor who is neither the proposer, an owner nor an admin
    (None, None, Unauthorized),  # nobody logged in
    ("ada", 999, UnknownProposal),
])
def test_a_merge_that_may_not_happen_is_refused_before_ingest_reads_the_branch(world, who, number, error):
    n = approved(world)
    world.repo.commit("Direct push", {"spec/style.md": STYLE.replace("Be warm.", "Be kind.")})  # work for ingest
    runs = world.session.scalar(select(func.count()).select_from(IngestRun))
    events = world.session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(error):
        merge(world.session, world.path, "main", world.users.get(who), number or n)
    assert world.session.scalar(select(func.count()).select_from(IngestRun)) == runs
    assert world.session.scalar(select(func.count()).select_from(AuditEvent)) == events

def test_adds_and_removes_merge_too(world):
    n = world.propose("ada", [ChangeInput("add", "be_kind", "## Be kind {#be_kind}\n\nBe kind.\n", after="be_brief"),
                              ChangeInput("remove", "lists")])
    reviews.approve(world.session, world.users["grace"], n)
    reviews.approve(world.session, world.users["alan"], n)
    do_merge(world, n)
    assert body(world, "be_kind") == "Be kind."
    assert clause_history(world.session, "lists")[-1].removed
    assert clause_history(world.session, "be_kind")[0].proposal == n


def test_a_new_document_can_be_created_by_adding_a_clause(world):
    n = world.propose("ada", [ChangeInput("add", "glossary", "# Glossary {#glossary}\n\nTerms.\n",
                                          document="spec/glossary.md")])
    reviews.approve(world.session, world.users["root"], n)  # a new document has no owner: admins approve
    do_merge(world, n)
    assert show_clause(world.session, "glossary", resolve(world.session, None)).document == "spec/glossary.md"


def test_merge_and_conflict_are_audited(world):
    n = approved(world)
    do_merge(world, n)
    actions = list(world.session.scalars(select(AuditEvent.action).where(AuditEvent.subject == f"proposal:{n}")
                                         .order_by(AuditEvent.seq)))
    assert actions[-1] == "proposal.merge"
