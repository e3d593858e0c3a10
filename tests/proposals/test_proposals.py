"""Proposal use cases: proposing, revising, reviewing, vetoes, comments, closing, and who may do what."""
from __future__ import annotations

import pytest
from proposal_helpers import HEADINGS, build_world
from sqlalchemy import select

from registry.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    IllegalTransition,
    NotFound,
    StaleRevision,
    Unauthorized,
    UnknownClause,
)
from registry.gitsource import SpecSource
from registry.models import AuditEvent
from registry.proposals import reviews
from registry.proposals.authoring import ChangeInput, comment, reject, revise, submit, withdraw
from registry.proposals.reads import list_proposals, proposal_detail, review_queue
from registry.spec.clause_edit import EditError


@pytest.fixture
def world(repo, session):
    return build_world(repo, session)


def text(key: str, body: str) -> str:
    return f"{HEADINGS[key]}\n\n{body}\n"


def detail(world, n):
    return proposal_detail(world.session, n).as_dict()


def do_revise(world, who, n, changes):
    with SpecSource(world.path) as source:
        return revise(world.session, source, world.users.get(who), n, changes)


def test_a_proposal_records_its_base_revision_digest_and_the_parsed_clause(world):
    n = world.change("ada", "respect_privacy", "Never reveal personal data.")
    d = detail(world, n)
    assert (d["state"], d["revision"], d["proposer"]["email"]) == ("open", 1, "ada@example.org")
    rev = d["revisions"][0]
    assert rev["base"] == world.repo.head() and len(rev["digest"]) == 64
    change = rev["changes"][0]
    assert (change["kind"], change["id"], change["document"]) == ("change", "respect_privacy", "spec/rules.md")
    assert change["base"]["body"] == "Do not reveal personal data."
    assert change["body"] == "Never reveal personal data."
    assert {"op": "delete", "text": "Do not"} in change["diff"] or any(o["op"] != "equal" for o in change["diff"])


def test_a_revision_digest_can_be_recomputed_from_what_is_stored(world):
    from registry.proposals import store

    n = world.propose("ada", [ChangeInput("change", "tone", text("tone", "Warm.")),
                              ChangeInput("remove", "lists"),
                              ChangeInput("add", "be_kind", "## Be kind {#be_kind}\n\nKind.\n", after="be_honest")])
    revision = store.current_revision(world.session, store.get_proposal(world.session, n))
    assert store.recomputed_digest(world.session, revision) == revision.digest


def test_a_proposal_can_add_and_remove_clauses(world):
    n = world.propose("ada", [
        ChangeInput("add", "be_kind", "## Be kind {#be_kind}\n\nBe kind.\n", after="respect_privacy"),
        ChangeInput("remove", "lists"),
    ])
    changes = detail(world, n)["revisions"][0]["changes"]
    assert [(c["kind"], c["id"], c["document"]) for c in changes] == [
        ("add", "be_kind", "spec/rules.md"), ("remove", "lists", "spec/rules.md")]


@pytest.mark.parametrize(("change", "error", "message"), [
    (ChangeInput("change", "nope", "## N {#nope}\n\nx"), UnknownClause, "no clause has the id"),
    (ChangeInput("add", "be_honest", "## B {#be_honest}\n\nx", after="rules"), Conflict, "already exists"),
    (ChangeInput("add", "new_one", "## N {#new_one}\n\nx"), BadRequest, "say where"),
    (ChangeInput("add", "pol", "## P {#pol}\n\nx", document="policy.toml"), BadRequest, "not a spec document"),
    (ChangeInput("add", "ex", "## E {#ex}\n\nx", document="examples/e.md"), BadRequest, "not a spec document"),
    (ChangeInput("change", "be_brief", "### Be brief {#be_brief}\n\nx"), EditError, "keep the heading level"),
    (ChangeInput("remove", "be_brief"), EditError, "has child clauses"),
])
def test_a_proposal_that_could_never_merge_is_refused_when_made(world, change, error, message):
    with pytest.raises(error, match=message):
        world.propose("ada", [change])


def test_a_proposal_needs_a_title_a_rationale_and_a_change(world):
    from registry.proposals.authoring import propose

    with SpecSource(world.path) as source:
        with pytest.raises(BadRequest, match="title and a rationale"):
            propose(world.session, source, world.users["ada"], " ", "why", [ChangeInput("remove", "lists")])
        with pytest.raises(BadRequest, match="at least one clause"):
            propose(world.session, source, world.users["ada"], "t", "why", [])


@pytest.mark.parametrize(("who", "error"), [("grace", Forbidden), (None, Unauthorized)])
def test_viewers_and_strangers_cannot_propose(world, who, error):
    from registry.proposals.authoring import propose

    with SpecSource(world.path) as source, pytest.raises(error):
        propose(world.session, source, world.users.get(who), "t", "r", [ChangeInput("remove", "lists")])


def test_an_owner_approval_makes_it_approved_and_records_what_was_signed(world):
    n = world.change("ada", "respect_privacy", "Never reveal personal data.")
    review = reviews.approve(world.session, world.users["grace"], n, "fine")
    d = detail(world, n)
    assert d["state"] == "approved" and d["policy"]["satisfied"]
    r = d["reviews"][0]
    assert (r["printed_name"], r["meaning"], r["revision"]) == (
        "Grace Hopper", "approved as owner of respect_privacy", 1)
    assert r["digest"] == d["revisions"][0]["digest"] == review.digest and r["time"].endswith("Z")


@pytest.mark.parametrize(("who", "error", "message"), [
    ("ada", Forbidden, "nobody reviews their own proposal"),
    ("barbara", Forbidden, "owns none of the clauses"),
    ("root", Forbidden, "owns none of the clauses"),
    (None, Unauthorized, "log in"),
])
def test_only_owners_other_than_the_proposer_approve(world, who, error, message):
    n = world.change("ada", "respect_privacy", "x")
    with pytest.raises(error, match=message):
        reviews.approve(world.session, world.users.get(who), n)


def test_an_admin_approves_a_clause_nobody_owns(world):
    n = world.propose("ada", [ChangeInput("change", "tone", text("tone", "Be kind."))])
    assert "from an admin (tone has no owner): Root Admin" in detail(world, n)["policy"]["missing"][0]
    reviews.approve(world.session, world.users["root"], n)
    d = detail(world, n)
    assert d["state"] == "approved" and d["reviews"][0]["meaning"] == "approved as admin for unowned tone"


def test_approving_twice_is_refused(world):
    n = world.change("ada", "respect_privacy", "x")
    reviews.approve(world.session, world.users["grace"], n)
    with pytest.raises(Conflict, match="already approved revision 1"):
        reviews.approve(world.session, world.users["grace"], n)


def test_a_revision_makes_earlier_approvals_stale(world):
    n = world.change("ada", "respect_privacy", "First try.")
    reviews.approve(world.session, world.users["grace"], n)
    do_revise(world, "ada", n, [ChangeInput("change", "respect_privacy", text("respect_privacy", "Second."))])
    d = detail(world, n)
    assert (d["state"], d["revision"], len(d["revisions"])) == ("open", 2, 2)
    assert d["reviews"][0]["stale"] and not d["policy"]["satisfied"]
    assert "stale" in d["policy"]["notes"][0]
    reviews.approve(world.session, world.users["grace"], n)
    assert detail(world, n)["state"] == "approved"


@pytest.mark.parametrize(("kind", "who", "comment"), [("approve", "grace", ""),
                                                      ("request_changes", "barbara", "too vague")])
def test_a_review_for_a_revision_the_proposer_has_since_replaced_is_refused_and_not_recorded(world, kind, who,
                                                                                              comment):
    n = world.change("ada", "respect_privacy", "First try.")
    do_revise(world, "ada", n, [ChangeInput("change", "respect_privacy", text("respect_privacy", "Second."))])
    with pytest.raises(StaleRevision, match="you reviewed revision 1, but proposal #\\d+ is now at revision 2"):
        getattr(reviews, kind)(world.session, world.users[who], n, comment, revision=1)
    assert detail(world, n)["reviews"] == []
    review = getattr(reviews, kind)(world.session, world.users[who], n, comment, revision=2)
    assert detail(world, n)["reviews"][0]["revision"] == 2 and review.kind == kind


@pytest.mark.parametrize("seen", [0, -1, "1", 1.0, True])
def test_a_reviewed_revision_that_is_not_a_revision_number_is_a_bad_request(world, seen):
    n = world.change("ada", "respect_privacy", "x")
    with pytest.raises(BadRequest, match="must be a revision number"):
        reviews.approve(world.session, world.users["grace"], n, revision=seen)


def test_an_admin_who_writes_a_revision_can_no_longer_approve(world):
    n = world.propose("ada", [ChangeInput("change", "tone", text("tone", "Warm."))])
    do_revise(world, "root", n, [ChangeInput("change", "tone", text("tone", "Warmer."))])
    with pytest.raises(Forbidden, match="author of a revision"):
        reviews.approve(world.session, world.users["root"], n)


@pytest.mark.parametrize(("who", "error"), [("barbara", Forbidden), ("grace", Forbidden), (None, Unauthorized)])
def test_only_the_proposer_or_an_admin_revises(world, who, error):
    n = world.change("ada", "respect_privacy", "x")
    with pytest.raises(error):
        do_revise(world, who, n, [ChangeInput("remove", "lists")])


def test_a_veto_blocks_until_its_author_withdraws_it(world):
    n = world.change("ada", "respect_privacy", "x")
    reviews.request_changes(world.session, world.users["barbara"], n, "too vague")
    reviews.approve(world.session, world.users["grace"], n)
    d = detail(world, n)
    assert d["state"] == "open" and d["policy"]["missing"][0].startswith("veto: Barbara Liskov requested changes")
    do_revise(world, "ada", n, [ChangeInput("change", "respect_privacy", text("respect_privacy", "y"))])
    assert "veto" in detail(world, n)["policy"]["missing"][-1]  # a veto outlives revisions
    reviews.approve(world.session, world.users["grace"], n)
    with pytest.raises(NotFound, match="you have no pending request"):
        reviews.withdraw_veto(world.session, world.users["grace"], n)  # not hers
    reviews.withdraw_veto(world.session, world.users["barbara"], n)
    assert detail(world, n)["state"] == "approved"


def test_an_admin_dismisses_a_veto_only_with_a_reason(world):
    n = world.change("ada", "respect_privacy", "x")
    veto = reviews.request_changes(world.session, world.users["barbara"], n, "no")
    reviews.approve(world.session, world.users["grace"], n)
    with pytest.raises(Forbidden):
        reviews.dismiss_veto(world.session, world.users["alan"], n, veto.id, "because")
    with pytest.raises(BadRequest, match="needs a reason"):
        reviews.dismiss_veto(world.session, world.users["root"], n, veto.id, " ")
    reviews.dismiss_veto(world.session, world.users["root"], n, veto.id, "addressed in the text")
    d = detail(world, n)
    assert d["state"] == "approved"
    assert d["reviews"][0]["dismissed"] == {"by": {"name": "Root Admin", "email": "root@example.org"},
                                            "at": d["reviews"][0]["dismissed"]["at"],
                                            "reason": "addressed in the text"}


def test_a_viewer_who_owns_nothing_cannot_veto_but_can_comment(world):
    n = world.propose("ada", [ChangeInput("change", "tone", text("tone", "Warm."))])
    with pytest.raises(Forbidden, match="editor role or ownership"):
        reviews.request_changes(world.session, world.users["grace"], n, "no")
    comment(world.session, world.users["grace"], n, "Looks good to me")
    assert detail(world, n)["comments"][0]["text"] == "Looks good to me"
    with pytest.raises(Unauthorized):
        comment(world.session, None, n, "anonymous")


def test_a_draft_is_not_reviewed_until_submitted(world):
    n = world.propose("ada", [ChangeInput("change", "tone", text("tone", "Warm."))], draft=True)
    with pytest.raises(IllegalTransition, match="submit it first"):
        reviews.approve(world.session, world.users["root"], n)
    assert submit(world.session, world.users["ada"], n).state == "open"


def test_withdrawing_and_rejecting_close_a_proposal_for_good(world):
    a = world.change("ada", "respect_privacy", "x")
    b = world.change("ada", "be_brief", "y")
    with pytest.raises(Forbidden):
        withdraw(world.session, world.users["barbara"], a)
    assert withdraw(world.session, world.users["ada"], a, "changed my mind").state == "withdrawn"
    with pytest.raises(Forbidden, match="owner of a clause it touches"):
        reject(world.session, world.users["barbara"], b, "no")
    assert reject(world.session, world.users["alan"], b, "out of scope").state == "rejected"
    with pytest.raises(IllegalTransition, match="rejected cannot be revised"):
        do_revise(world, "ada", b, [ChangeInput("remove", "lists")])
    with pytest.raises(IllegalTransition):
        reviews.approve(world.session, world.users["grace"], a)


def test_lists_by_state_and_the_review_queue(world):
    a = world.change("ada", "respect_privacy", "x")
    b = world.change("ada", "be_brief", "y")
    reviews.approve(world.session, world.users["alan"], b)
    assert [p.id for p in list_proposals(world.session)] == [b, a]
    assert [p.id for p in list_proposals(world.session, "approved")] == [b]
    assert [p.id for p in list_proposals(world.session, clause="respect_privacy")] == [a]
    assert [p.id for p in review_queue(world.session, world.users["grace"])] == [a]
    assert review_queue(world.session, world.users["alan"]) == []  # alan approved b; a is grace's alone
    with pytest.raises(BadRequest, match="unknown state"):
        list_proposals(world.session, "pending")


def test_the_policy_is_read_at_the_base_not_later(world):
    n = world.change("ada", "respect_privacy", "x")
    world.repo.commit("Stricter policy", {"policy.toml": "[defaults]\nmin_approvals = 3\n"})
    world.ingest()
    reviews.approve(world.session, world.users["grace"], n)
    assert detail(world, n)["state"] == "approved"
    later = world.change("ada", "be_brief", "y")
    assert "[rule defaults: 3]" in detail(world, later)["policy"]["missing"][0]


def test_an_invalid_policy_version_leaves_the_previous_one_in_force(world):
    world.repo.commit("Broken policy", {"policy.toml": "[defaults\n"})
    world.ingest()
    n = world.change("ada", "be_honest", "Never lie.")
    assert "[rule authority.root: 2]" in detail(world, n)["policy"]["missing"][0]


def test_an_added_clause_is_owned_as_its_place_says(world):
    n = world.propose("ada", [ChangeInput("add", "be_kind", "## Be kind {#be_kind}\n\nBe kind.", after="rules")])
    clauses = detail(world, n)["policy"]["clauses"]
    assert clauses[0]["eligible"] == ["Grace Hopper", "Alan Turing"]  # spec/rules.md's owners


def test_every_use_case_is_audited(world):
    n = world.change("ada", "respect_privacy", "x")
    veto = reviews.request_changes(world.session, world.users["barbara"], n, "no")
    reviews.dismiss_veto(world.session, world.users["root"], n, veto.id, "ok")
    reviews.approve(world.session, world.users["grace"], n)
    comment(world.session, world.users["grace"], n, "nice")
    withdraw(world.session, world.users["ada"], n)
    events = world.session.execute(select(AuditEvent.action, AuditEvent.actor)
                                   .where(AuditEvent.subject == f"proposal:{n}").order_by(AuditEvent.seq)).all()
    assert [tuple(e) for e in events] == [
        ("proposal.create", "ada@example.org"), ("review.request_changes", "barbara@example.org"),
        ("review.dismiss", "root@example.org"), ("review.approve", "grace@example.org"),
        ("proposal.state", "grace@example.org"), ("proposal.comment", "grace@example.org"),
        ("proposal.withdraw", "ada@example.org")]
