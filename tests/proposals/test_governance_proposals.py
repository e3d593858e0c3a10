"""Governance files (OWNERS.toml, policy.toml, specreg.toml) change through proposals approved by admins."""
from __future__ import annotations

import git
import pytest
from proposal_helpers import OWNERS, POLICY, RULES, STYLE, build_world, without_governance
from sqlalchemy import func, select

from registry.accountability.verify import verify
from registry.accounts.users import add_user, set_role
from registry.errors import BadRequest, Forbidden, PolicyNotSatisfied
from registry.gitsource import SpecSource, trailers
from registry.ledger.refs import head_point
from registry.models import AuditEvent, Proposal
from registry.proposals import reviews
from registry.proposals.authoring import ChangeInput, propose, revise
from registry.proposals.merge import merge
from registry.proposals.policy_store import policy_at
from registry.proposals.reads import proposal_detail

STRICTER = POLICY + "\n[authority.system]\nmin_approvals = 2\n"


@pytest.fixture
def world(repo, session):
    w = build_world(repo, session)
    w.users["ops"] = add_user(session, w.users["root"], "ops@example.org", "Ops Admin", "admin")
    return w


def file_proposal(world, who="root", path="policy.toml", text=STRICTER) -> int:
    with SpecSource(world.path) as source:
        return propose(world.session, source, world.users[who], "Stricter policy", "System rules matter.",
                       [ChangeInput("file", path, text)]).id


def do_merge(world, n, who="root"):
    return merge(world.session, world.path, "main", world.users[who], n)


def at_head(world, path: str) -> str:
    with SpecSource(world.path) as source:
        return source.read_file(world.repo.head(), path).decode()


def message_of(world, sha: str) -> str:
    with git.Repo(world.path) as r:
        return r.commit(sha).message


def test_an_admin_proposes_another_admin_approves_and_the_merge_replaces_the_file_with_trailers(world):
    n = file_proposal(world)
    review = reviews.approve(world.session, world.users["ops"], n)
    assert review.meaning == "approved as admin for governance file policy.toml"
    assert proposal_detail(world.session, n).state == "approved"
    result = do_merge(world, n)
    assert at_head(world, "policy.toml") == STRICTER
    message = message_of(world, result.commit)
    assert message.startswith("Stricter policy\n\nSystem rules matter.\n\n")
    assert trailers.values(message, "Proposal-Id") == [str(n)]
    assert [a.split(";")[0] for a in trailers.values(message, "Approved-by")] == ["Ops Admin <ops@example.org>"]
    assert trailers.values(message, "Approved-by")[0].endswith("; approved as admin for governance file policy.toml")
    assert len(trailers.values(message, "Audit-Head")) == 1
    assert policy_at(world.session, head_point(world.session).seq).policy.authority["system"] == 2
    event = world.session.scalars(select(AuditEvent).where(AuditEvent.action == "proposal.merge")).one()
    assert event.new["approvals"] == [{"review": review.id, "counts_for": ["policy.toml"]}]
    assert without_governance(verify(world.session, str(world.path))) == []


def test_the_proposal_shows_the_file_its_base_and_a_diff(world):
    n = file_proposal(world)
    change = proposal_detail(world.session, n).current.changes[0].as_dict()
    assert (change["kind"], change["id"], change["document"], change["text"]) == (
        "file", "policy.toml", "policy.toml", STRICTER)
    assert change["base"]["body"] == POLICY and change["base"]["commit"] == world.repo.head()
    assert "".join(d["text"] for d in change["diff"] if d["op"] != "insert") == POLICY
    assert "".join(d["text"] for d in change["diff"] if d["op"] == "insert") == "\n\n[authority.system]min_approvals = 2\n"


def test_the_proposer_never_counts_even_as_an_admin(world):
    n = file_proposal(world)
    with pytest.raises(Forbidden):
        reviews.approve(world.session, world.users["root"], n)
    policy = proposal_detail(world.session, n).policy
    assert not policy.satisfied
    assert policy.missing == ("policy.toml: needs 1 more approval from the admins (policy.toml is a governance "
                              "file): Ops Admin [rule governance: 1]",)


@pytest.mark.parametrize("who", ["grace", "ada", "alan"])
def test_an_owner_or_editor_who_is_not_an_admin_may_not_approve(world, who):
    n = file_proposal(world)
    with pytest.raises(Forbidden, match="only an admin approves a change to a governance file"):
        reviews.approve(world.session, world.users[who], n)


def test_an_admin_approval_stops_counting_once_they_are_no_longer_an_admin(world):
    n = file_proposal(world)
    reviews.approve(world.session, world.users["ops"], n)
    assert proposal_detail(world.session, n).state == "approved"
    set_role(world.session, world.users["root"], "ops@example.org", "editor")
    detail = proposal_detail(world.session, n)
    assert (detail.state, detail.policy.satisfied) == ("open", False)
    with pytest.raises(PolicyNotSatisfied):
        do_merge(world, n)


@pytest.mark.parametrize(("path", "text", "problem"), [
    ("policy.toml", "[defaults\nmin_approvals = 1\n", "is not valid TOML"),
    ("policy.toml", "[defaults]\nmin_approvals = 0\n", "min_approvals must be a whole number of at least 1"),
    ("policy.toml", "[governance]\nmin_aprovals = 2\n", "unknown key 'min_aprovals'"),
    ("policy.toml", "[governance]\nmin_approvals = 0\n", "[governance] min_approvals must be a whole number"),
    ("OWNERS.toml", '[owners]\n"x" = [\n', "OWNERS.toml does not parse"),
    ("OWNERS.toml", '[owners]\n"be_brief" = ["nobody"]\n', "nobody"),
    ("specreg.toml", "include = [\n", "specreg.toml does not parse"),
    ("specreg.toml", "include = [1]\n", "include and exclude must be lists of glob strings"),
    ("policy.toml", "  \n", "is empty"),
    ("README.md", "# hi\n", "is not a governance file"),
    ("spec/rules.md", "# hi\n", "is not a governance file"),
    ("policy.toml", POLICY, "is the same as the current one"),
])
def test_a_file_that_would_not_parse_cleanly_is_refused_and_nothing_is_stored(world, path, text, problem):
    before = world.session.scalar(select(func.count()).select_from(Proposal))
    with pytest.raises(BadRequest) as raised:
        file_proposal(world, path=path, text=text)
    assert problem in raised.value.message
    assert world.session.scalar(select(func.count()).select_from(Proposal)) == before


def test_a_governance_file_is_replaced_alone(world):
    with SpecSource(world.path) as source, pytest.raises(BadRequest, match="changes nothing else"):
        propose(world.session, source, world.users["root"], "T", "R", [
            ChangeInput("file", "policy.toml", STRICTER),
            ChangeInput("change", "be_brief", "## Be brief {#be_brief}\n\nShort.\n")])


def test_a_proposal_that_loosens_the_governance_rule_is_judged_by_the_rule_at_its_base(world):
    world.repo.commit("Two admins for governance", {"policy.toml": POLICY + "\n[governance]\nmin_approvals = 2\n"})
    world.ingest()
    world.users["sec"] = add_user(world.session, world.users["root"], "sec@example.org", "Sec Admin", "admin")
    n = file_proposal(world, text=POLICY + "\n[governance]\nmin_approvals = 1\n")
    reviews.approve(world.session, world.users["ops"], n)
    policy = proposal_detail(world.session, n).policy
    assert (policy.satisfied, policy.clauses[0].rule, policy.clauses[0].required) == (False, "governance", 2)
    with pytest.raises(PolicyNotSatisfied, match="needs 1 more approval"):
        do_merge(world, n)
    reviews.approve(world.session, world.users["sec"], n)
    assert do_merge(world, n).state == "merged"


def test_a_file_changed_on_the_branch_since_the_base_conflicts_until_revised(world):
    n = file_proposal(world)
    reviews.approve(world.session, world.users["ops"], n)
    pushed = POLICY + "\n[clause.\"tone\"]\nmin_approvals = 3\n"
    world.repo.commit("Direct policy edit", {"policy.toml": pushed})
    world.ingest()
    assert proposal_detail(world.session, n).drift == ("policy.toml changed on the branch since this revision's base",)
    result = do_merge(world, n)
    assert (result.state, result.conflicts) == ("conflicted", ["policy.toml: changed on the branch since the "
                                                               "proposal's base"])
    assert at_head(world, "policy.toml") == pushed
    with SpecSource(world.path) as source:
        revise(world.session, source, world.users["root"], n, [ChangeInput("file", "policy.toml", pushed + STRICTER[len(POLICY):])])
    reviews.approve(world.session, world.users["ops"], n)
    assert do_merge(world, n).state == "merged"
    assert "[clause.\"tone\"]" in at_head(world, "policy.toml")


def test_owners_toml_and_specreg_toml_merge_the_same_way(world):
    owners = OWNERS + '"tone" = ["barbara@example.org"]\n'
    n = file_proposal(world, path="OWNERS.toml", text=owners)
    reviews.approve(world.session, world.users["ops"], n)
    do_merge(world, n)
    m = file_proposal(world, path="specreg.toml", text='include = ["spec/**/*.md"]\n')
    reviews.approve(world.session, world.users["ops"], m)
    sha = do_merge(world, m).commit
    assert at_head(world, "OWNERS.toml") == owners
    assert at_head(world, "specreg.toml") == 'include = ["spec/**/*.md"]\n'
    assert trailers.values(message_of(world, sha), "Proposal-Id") == [str(m)]
    assert without_governance(verify(world.session, str(world.path))) == []


def test_a_clause_is_never_added_to_a_governance_file_even_when_the_include_rules_match_it(world):
    world.repo.commit("Everything is a document", {"specreg.toml": 'include = ["spec/*.md", "*.toml"]\n'})
    world.ingest()
    for path in ("specreg.toml", "policy.toml", "OWNERS.toml"):
        with SpecSource(world.path) as source, pytest.raises(BadRequest, match=f"'{path}' is not a spec document"):
            propose(world.session, source, world.users["ada"], "T", "R",
                    [ChangeInput("add", "new_rule", "# New {#new_rule}\n\nText.\n", document=path)])


def test_governance_can_ask_the_owners_of_root_clauses_to_approve_too(world):
    world.repo.commit("Root owners too", {"policy.toml": POLICY + "\n[governance]\nroot_owners = 1\n"})
    world.ingest()
    n = file_proposal(world)
    reviews.approve(world.session, world.users["ops"], n)
    policy = proposal_detail(world.session, n).policy
    assert [(c.key, c.rule, c.required, c.approved_by) for c in policy.clauses] == [
        ("policy.toml", "governance", 1, ("Ops Admin",)),
        ("policy.toml (root owners)", "governance.root_owners", 1, ())]
    assert policy.missing == ("policy.toml (root owners): needs 1 more approval from the owners of root clauses "
                              "(policy.toml is a governance file): Alan Turing, Grace Hopper "
                              "[rule governance.root_owners: 1]",)
    with pytest.raises(Forbidden, match="or, as policy.toml's \\[governance\\] asks, an owner of a root clause"):
        reviews.approve(world.session, world.users["barbara"], n)  # owns no root clause
    review = reviews.approve(world.session, world.users["grace"], n)  # owns be_honest (authority=root)
    assert review.meaning == "approved as owner of a root clause for governance file policy.toml"
    sha = do_merge(world, n).commit
    assert [a.split(";")[0] for a in trailers.values(message_of(world, sha), "Approved-by")] == [
        "Ops Admin <ops@example.org>", "Grace Hopper <grace@example.org>"]
    assert without_governance(verify(world.session, str(world.path))) == []


def test_a_governance_proposal_follows_an_assignment_that_makes_or_unmakes_an_owner_of_a_root_clause(world):
    from registry.owners.assignments import assign, unassign

    world.repo.commit("Root owners too", {"policy.toml": POLICY + "\n[governance]\nroot_owners = 1\n"})
    world.ingest()
    n = file_proposal(world, who="ada")
    reviews.approve(world.session, world.users["ops"], n)
    assign(world.session, world.users["root"], "be_honest", "barbara@example.org", "she reviews root rules")
    reviews.approve(world.session, world.users["barbara"], n)
    assert proposal_detail(world.session, n).state == "approved"
    unassign(world.session, world.users["root"], "be_honest", "barbara@example.org", "no longer")
    detail = proposal_detail(world.session, n)
    assert (detail.state, detail.policy.satisfied) == ("open", False)


def test_a_governance_proposal_follows_a_direct_commit_that_hands_root_authority_to_another_clause(world):
    world.repo.commit("Root owners too", {"policy.toml": POLICY + "\n[governance]\nroot_owners = 1\n",
                                          "OWNERS.toml": OWNERS + '"tone" = ["barbara@example.org"]\n'})
    world.ingest()
    n = file_proposal(world)
    reviews.approve(world.session, world.users["ops"], n)
    reviews.approve(world.session, world.users["grace"], n)  # owns be_honest, the one root clause
    assert proposal_detail(world.session, n).state == "approved"
    world.repo.commit("Tone is the root rule now", {
        "spec/rules.md": RULES.replace("{#be_honest authority=root}", "{#be_honest}"),
        "spec/style.md": STYLE.replace("{#tone}", "{#tone authority=root}")})
    world.ingest()
    detail = proposal_detail(world.session, n)
    assert (detail.state, detail.policy.satisfied) == ("open", False)
    assert detail.policy.missing[0].endswith("from the owners of root clauses (policy.toml is a governance file): "
                                             "Barbara Liskov [rule governance.root_owners: 1]")
    world.repo.commit("Honesty is the root rule again", {"spec/rules.md": RULES, "spec/style.md": STYLE})
    world.ingest()
    assert proposal_detail(world.session, n).state == "approved"
    reasons = world.session.scalars(select(AuditEvent.new["reason"].as_string()).where(
        AuditEvent.subject == f"proposal:{n}", AuditEvent.action == "proposal.state",
        AuditEvent.actor == "registry:ingest").order_by(AuditEvent.seq)).all()
    assert reasons == ["authority changed", "authority changed"]
