"""Reviews, roles and proposal states are tied to the audit chain: rows forged with SQL are named, and never merged."""
from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from proposal_helpers import OWNERS, World, adopted_copy, build_world, forged_approval
from repo_builder import RepoBuilder
from sqlalchemy import select, text

from registry.cli import main
from registry.db import session_scope
from registry.gitsource import SpecSource
from registry.proposals import reviews
from registry.proposals.merge import merge


@dataclass
class Governed:
    """Proposal `merged` merged with Grace's approval; proposal `pending` (Ada's, on respect_privacy) still open."""

    engine: object
    repo: RepoBuilder
    merged: int
    pending: int


def _governed(world: World) -> tuple[int, int]:
    s = world.session
    merged = world.change("ada", "be_brief", "Prefer very short answers.")
    reviews.approve(s, world.users["alan"], merged)
    merge(s, world.path, "main", world.users["ada"], merged)
    pending = world.change("ada", "respect_privacy", "Never reveal personal data.")
    return merged, pending


@pytest.fixture
def governed(databases, tmp_path, monkeypatch):
    for engine, repo, (merged, pending) in adopted_copy(databases, _governed, tmp_path / "spec", monkeypatch):
        yield Governed(engine, repo, merged, pending)


def sql(g: Governed, *statements: str) -> None:
    """Edit the database behind the registry's back."""
    with g.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement.format(merged=g.merged, pending=g.pending)))


# An approval of the pending proposal by Grace (its owner), forged exactly as the registry would write it.
FORGED_APPROVAL = forged_approval("{pending}")


def verify_json(capsys) -> tuple[int, dict]:
    code = main(["verify", "--json"])
    return code, json.loads(capsys.readouterr().out)


def found(data: dict, check: str, where: str, says: str) -> bool:
    return any(f["check"] == check and where in f["where"] and says in f["message"] for f in data["findings"])


def test_a_governed_record_with_reviews_accounts_and_states_verifies(governed, capsys):
    assert verify_json(capsys) == (0, {"ok": True, "findings": []})


@pytest.mark.parametrize(("statements", "check", "where", "says"), [
    ([FORGED_APPROVAL], "review", "proposal {pending} review", "no audit event recorded this approval"),
    (["UPDATE reviews SET meaning = 'approved as owner of be_brief and rules' WHERE proposal_id = {merged}"],
     "review", "proposal {merged} review", "differs from what audit event"),
    (["UPDATE reviews SET reviewer_id = (SELECT id FROM people WHERE email = 'grace@example.org') "
      "WHERE proposal_id = {merged}"], "review", "proposal {merged} review", "differs from what audit event"),
    (["UPDATE accounts SET role = 'admin' WHERE person_id = (SELECT id FROM people WHERE email = 'vic@example.org')"],
     "account", "user vic@example.org", "its last role event says viewer"),
    (["UPDATE accounts SET disabled_at = NULL, role = 'editor' WHERE person_id = "
      "(SELECT id FROM people WHERE email = 'grace@example.org')"],
     "account", "user grace@example.org", "its last role event says viewer"),
    (["INSERT INTO people (email, name, active, created_at) VALUES ('mallory@example.org', 'Mallory', true, "
      "CURRENT_TIMESTAMP)",
      "INSERT INTO accounts (person_id, role, created_at) SELECT id, 'admin', CURRENT_TIMESTAMP FROM people "
      "WHERE email = 'mallory@example.org'"],
     "account", "user mallory@example.org", "no audit event created the account"),
    (["UPDATE proposals SET state = 'approved' WHERE id = {pending}"],
     "proposal", "proposal {pending}", "is approved in the database, but its last state event says open"),
])
def test_rows_forged_with_sql_are_named_by_verify(governed, capsys, statements, check, where, says):
    sql(governed, *statements)
    code, data = verify_json(capsys)
    assert code == 1 and found(data, check, where.format(merged=governed.merged, pending=governed.pending), says), data


def test_a_veto_marked_dismissed_with_sql_is_named_by_verify(governed, capsys):
    with session_scope(governed.engine, write=True) as s:
        from registry.accounts.users import actor_for

        veto = reviews.request_changes(s, actor_for(s, "alan@example.org"), governed.pending, "Not like this.").id
    sql(governed, f"UPDATE reviews SET dismissed_at = CURRENT_TIMESTAMP, dismiss_reason = 'ok' WHERE id = {veto}")
    code, data = verify_json(capsys)
    assert code == 1
    assert found(data, "review", f"proposal {governed.pending} review {veto}", "audit events say pending"), data


def test_a_disabled_account_enabled_with_sql_is_named_by_verify(governed, capsys):
    with session_scope(governed.engine, write=True) as s:
        from registry.accounts.users import actor_for, disable_user

        disable_user(s, actor_for(s, "root@example.org"), "barbara@example.org")
    sql(governed, "UPDATE accounts SET disabled_at = NULL WHERE person_id = "
                  "(SELECT id FROM people WHERE email = 'barbara@example.org')")
    code, data = verify_json(capsys)
    assert code == 1 and found(data, "account", "user barbara@example.org", "its last event says disabled"), data


def test_merge_does_not_count_an_approval_no_audit_event_recorded_and_writes_nothing(governed, capsys):
    sql(governed, FORGED_APPROVAL)
    with SpecSource(governed.repo.path) as source:
        head = source.resolve("main")
    code = main(["merge", str(governed.pending), "--as", "ada@example.org", "--json"])
    error = json.loads(capsys.readouterr().out)
    assert (code, error["error"]) == (1, "policy_not_satisfied"), error
    assert "respect_privacy: needs 1 more approval" in error["message"]
    with SpecSource(governed.repo.path) as source:
        assert source.resolve("main") == head
    with session_scope(governed.engine) as s:
        assert s.scalar(text(f"SELECT state FROM proposals WHERE id = {governed.pending}")) == "open"


def test_merge_with_approvals_the_audit_trail_backs_still_merges(governed, capsys):
    with session_scope(governed.engine, write=True) as s:
        from registry.accounts.users import actor_for

        reviews.approve(s, actor_for(s, "grace@example.org"), governed.pending)
    assert main(["merge", str(governed.pending), "--as", "ada@example.org", "--json"]) == 0
    capsys.readouterr()
    assert verify_json(capsys) == (0, {"ok": True, "findings": []})


def test_a_hand_made_merge_commit_naming_an_approval_no_event_recorded_does_not_complete_the_proposal(repo, session):
    from proposal_helpers import RULES

    from registry.audit import events as audit
    from registry.gitsource import trailers
    from registry.ledger.refs import iso
    from registry.models import IngestWarning, Proposal, Review
    from registry.proposals import counted

    world = build_world(repo, session)
    n = world.change("ada", "respect_privacy", "Never reveal personal data.")
    session.execute(text(FORGED_APPROVAL.format(pending=n)))
    session.execute(text(f"UPDATE proposals SET state = 'approved' WHERE id = {n}"))
    proposal = session.get_one(Proposal, n)
    session.refresh(proposal)
    assert counted.counting(session, proposal) == ()  # the policy does not count the forged row
    [forged] = session.scalars(select(Review).where(Review.proposal_id == n)).all()
    named = trailers.approved_by(forged.printed_name, "grace@example.org", iso(forged.created_at) or "", forged.meaning)
    seq, digest = audit.head(session)
    # The commit the registry would write had it counted the row: the approved text, the trailers, a real Audit-Head.
    message = trailers.commit_message(proposal.title, proposal.rationale, [
        (trailers.PROPOSAL_ID, str(n)), (trailers.APPROVED_BY, named), (trailers.AUDIT_HEAD, f"{seq}:{digest}")])
    sha = repo.commit(message, {"spec/rules.md": RULES.replace("Do not reveal personal data.",
                                                               "Never reveal personal data.")})
    world.ingest()
    session.refresh(proposal)
    assert (proposal.state, proposal.merged_sha) == ("approved", None)
    warned = [w.message for w in session.query(IngestWarning).filter(IngestWarning.commit_sha == sha)]
    assert any("Approved-by trailers differ from the approvals in the database" in w and "Grace Hopper" in w
               for w in warned), warned


@dataclass(frozen=True)
class Hooked:
    """`governed` with a live webhook (proposal.merged to ci.example.org) and one added, then removed."""

    governed: Governed
    live: int
    removed: int


@pytest.fixture
def hooked(governed):
    """The webhooks' ids are read back: PostgreSQL's sequences are not reset between tests."""
    from registry.accounts.users import actor_for
    from registry.webhooks.subscriptions import add_webhook, remove_webhook

    with session_scope(governed.engine, write=True) as s:
        root = actor_for(s, "root@example.org")
        live = add_webhook(s, root, "https://ci.example.org/hook", "proposal.merged")[0].id
        removed = add_webhook(s, root, "https://old.example.org/hook", "verify.failed")[0].id
        remove_webhook(s, root, removed)
    return Hooked(governed, live, removed)


def test_webhooks_added_and_removed_through_the_registry_verify(hooked, capsys):
    assert verify_json(capsys) == (0, {"ok": True, "findings": []})


@pytest.mark.parametrize(("statement", "where", "says"), [
    ("INSERT INTO webhooks (url, events, sealed_secret, created_by, created_at) VALUES ('https://evil.example/x', "
     "'[\"proposal.merged\"]', 'a-secret-the-attacker-knows', 'root@example.org', CURRENT_TIMESTAMP)",
     "webhook {new}", "sends to https://evil.example/x, but no audit event added it"),
    ("UPDATE webhooks SET url = 'https://evil.example/x' WHERE id = {live}",
     "webhook {live}", "its webhook.add event says proposal.merged to https://ci.example.org/hook"),
    ("UPDATE webhooks SET events = '[\"proposal.merged\", \"verify.failed\"]' WHERE id = {live}",
     "webhook {live}", "sends proposal.merged, verify.failed to https://ci.example.org/hook in the database"),
    ("UPDATE webhooks SET sealed_secret = 'a-secret-the-attacker-knows' WHERE id = {live}",
     "webhook {live}", "its secret does not open under the audit key"),
    ("DELETE FROM webhooks WHERE id = {live}",
     "webhook {live}", "was added (to https://ci.example.org/hook) and never removed, but is not in the database"),
    ("UPDATE webhooks SET removed_at = CURRENT_TIMESTAMP WHERE id = {live}",
     "webhook {live}", "is removed in the database, but no audit event removed it"),
    ("UPDATE webhooks SET removed_at = NULL WHERE id = {removed}",
     "webhook {removed}", "is live in the database, but a webhook.remove event removed it"),
])
def test_webhooks_forged_with_sql_are_named_by_verify(hooked, capsys, statement, where, says):
    ids = {"live": hooked.live, "removed": hooked.removed}
    with hooked.governed.engine.begin() as conn:
        conn.execute(text(statement.format(**ids)))
        new = conn.execute(text("SELECT max(id) FROM webhooks")).scalar()
    code, data = verify_json(capsys)
    assert code == 1 and found(data, "webhook", where.format(new=new, **ids), says), data


FRAMEWORKS = """[frameworks.demo-act]
title = "Demo AI Act"
items = { "art-9" = "Risk management" }

[map]
"be_*" = ["demo-act:art-9"]
"""


# OWNERS.toml as a direct commit after adoption: a team that owns be_brief, and an inherit entry.
TEAM_OWNERS = OWNERS.replace('"be_brief" = ["alan@example.org"]', """"be_brief" = ["team:brevity"]
"be_warm" = { owners = ["ada@example.org"], inherit = true }

[teams]
brevity = ["alan@example.org", "barbara@example.org"]""")


@pytest.fixture
def recorded(governed, capsys):
    """`governed` with frameworks.toml and an OWNERS.toml with a team committed and ingested; no `recorded` finding."""
    governed.repo.commit("Map the clauses to a framework", {"frameworks.toml": FRAMEWORKS})
    governed.repo.commit("Give be_brief to a team", {"OWNERS.toml": TEAM_OWNERS})
    assert main(["ingest", "--json"]) == 0
    capsys.readouterr()
    assert not [f for f in verify_json(capsys)[1]["findings"] if f["check"] == "recorded"]
    return governed


def recorded_finding(g: Governed, capsys, path: str, says: str) -> None:
    """verify fails and names `path` in check `recorded` with `says`."""
    code, data = verify_json(capsys)
    assert code == 1 and found(data, "recorded", f"{path} at commit", says), data


@pytest.mark.parametrize("statement", [
    "UPDATE policy_versions SET text = text || ' '",
    "UPDATE policy_versions SET status = 'invalid'",
    "UPDATE frameworks_versions SET text = text || '\"tone\" = [\"demo-act:art-9\"]'",
    "UPDATE frameworks_versions SET status = 'deleted', text = ''",
])
def test_a_recorded_policy_or_frameworks_version_edited_with_sql_is_named_by_verify(recorded, capsys, statement):
    sql(recorded, statement)
    file = statement.split()[1].removesuffix("_versions")
    recorded_finding(recorded, capsys, f"{file}.toml", "not the file git holds")


NEWEST_OWNERS = "(SELECT max(id) FROM owners_versions)"


@pytest.mark.parametrize("statement", [
    "UPDATE owner_entries SET owners = '[\"ada@example.org\"]' WHERE key = 'respect_privacy'",
    "UPDATE owner_entries SET inherit = false WHERE key = 'be_warm'",
    "DELETE FROM owner_entries WHERE key = 'spec/rules.md'",
    "INSERT INTO owner_entries (version_id, position, key, kind, owners, inherit) "
    f"SELECT {NEWEST_OWNERS}, 9, 'be_honest', 'clause', '[\"ada@example.org\"]', false",
    "INSERT INTO team_memberships (version_id, team_id, person_id) SELECT v.id, t.id, p.id "
    "FROM owners_versions v, teams t, people p WHERE v.id = " + NEWEST_OWNERS
    + " AND t.name = 'brevity' AND p.email = 'ada@example.org'",
    "DELETE FROM team_memberships WHERE person_id = (SELECT id FROM people WHERE email = 'barbara@example.org')",
    "UPDATE owners_versions SET listed = '[\"ada@example.org\"]'",
    "UPDATE owners_versions SET status = 'invalid' WHERE id = " + NEWEST_OWNERS,
])
def test_an_owners_version_or_its_entries_edited_with_sql_are_named_by_verify(recorded, capsys, statement):
    sql(recorded, statement)
    recorded_finding(recorded, capsys, "OWNERS.toml", "not the file git holds")


@pytest.mark.parametrize(("path", "statements"), [
    ("OWNERS.toml", [f"DELETE FROM owner_entries WHERE version_id = {NEWEST_OWNERS}",
                     f"DELETE FROM team_memberships WHERE version_id = {NEWEST_OWNERS}",
                     f"DELETE FROM owners_versions WHERE id = {NEWEST_OWNERS}"]),
    ("policy.toml", ["DELETE FROM policy_versions"]),
    ("frameworks.toml", ["DELETE FROM frameworks_versions"]),
])
def test_a_recorded_version_deleted_with_sql_is_named_by_verify(recorded, capsys, path, statements):
    sql(recorded, *statements)
    recorded_finding(recorded, capsys, path, f"changed {path}, but the database records no version of it")


def test_a_request_for_changes_edited_to_name_the_proposer_is_still_only_its_givers_to_withdraw(governed, capsys):
    from registry.accounts.users import actor_for
    from registry.errors import NotFound
    from registry.models import Proposal
    from registry.proposals.verdict import verdict

    with session_scope(governed.engine, write=True) as s:
        veto = reviews.request_changes(s, actor_for(s, "alan@example.org"), governed.pending, "Not like this.").id
    sql(governed, "UPDATE reviews SET reviewer_id = (SELECT id FROM people WHERE email = 'ada@example.org') "
                  f"WHERE id = {veto}")
    with session_scope(governed.engine, write=True) as s, pytest.raises(NotFound):
        reviews.withdraw_veto(s, actor_for(s, "ada@example.org"), governed.pending)
    with session_scope(governed.engine) as s:
        assert verdict(s, s.get_one(Proposal, governed.pending)).evaluation.vetoes  # still Alan's, still blocking
    with session_scope(governed.engine, write=True) as s:
        assert reviews.withdraw_veto(s, actor_for(s, "alan@example.org"), governed.pending).id == veto
        assert not verdict(s, s.get_one(Proposal, governed.pending)).evaluation.vetoes
    code, data = verify_json(capsys)
    assert code == 1 and found(data, "review", f"proposal {governed.pending} review {veto}", "differs from"), data
