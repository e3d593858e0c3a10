"""Every kind of state change appends an audit event: drive each use case once and enumerate the actions."""
from __future__ import annotations

import re
from pathlib import Path

from proposal_helpers import HEADINGS, RULES, build_world
from sqlalchemy import select

from registry.accountability.acknowledge import acknowledge_commit, acknowledge_rewrite
from registry.accountability.unapproved import history_rewrites
from registry.accounts.credentials import create_token, end_session, revoke_sessions, revoke_token, start_session
from registry.accounts.users import authenticate, disable_user, enable_user, set_password, set_role, sso_actor
from registry.audit import events as audit
from registry.models import AuditEvent
from registry.owners.assignments import assign, unassign
from registry.proposals import authoring as proposals
from registry.proposals import reviews
from registry.proposals.authoring import ChangeInput
from registry.proposals.check_reports import report_check
from registry.proposals.merge import merge
from registry.webhooks.subscriptions import add_webhook, remove_webhook

# The state changes issue 6 lists, by the action each one records.
EXPECTED = {
    "ingest runs": {"ingest", "ingest.rewrite", "ingest.tags"},
    "proposals": {"proposal.create", "proposal.submit", "proposal.comment", "proposal.withdraw",
                  "proposal.reject", "proposal.state", "proposal.conflict"},
    "revisions": {"proposal.revise"},
    "reviews": {"review.approve"},
    "approvals under the policy's fallback": {"policy.fallback"},
    "vetoes and dismissals": {"review.request_changes", "review.withdraw_veto", "review.dismiss"},
    "merges": {"proposal.merge"},
    "check reports": {"check.report"},
    "owner assignments": {"owner.assign", "owner.unassign"},
    "user and token changes": {"user.create", "user.role", "user.password", "user.disable", "user.enable",
                               "token.create",
                               "token.revoke"},
    "logins and failed logins": {"session.login", "session.login_failed", "session.logout", "session.revoke"},
    "acknowledgements": {"unapproved.acknowledge", "rewrite.acknowledge"},
    "webhooks": {"webhook.add", "webhook.remove"},
}
ALL = set().union(*EXPECTED.values())
DOC = Path(__file__).parents[2] / "docs" / "accountability.md"


def text(key: str, body: str) -> str:
    return f"{HEADINGS[key]}\n\n{body}\n"


def drive_everything(world) -> None:
    """One of each state change, through the use cases the edges call."""
    s, u = world.session, world.users
    root, ada, grace, alan = u["root"], u["ada"], u["grace"], u["alan"]
    set_role(s, root, "vic@example.org", "editor")
    set_password(s, root, "ada@example.org", "a long passphrase")
    authenticate(s, "ada@example.org", "a long passphrase")
    authenticate(s, "ada@example.org", "wrong password")
    end_session(s, start_session(s, ada))
    revoke_sessions(s, root, "ada@example.org")
    revoke_token(s, root, create_token(s, root, "ada@example.org")[1].id)
    sso_actor(s, "newcomer@example.org")
    disable_user(s, root, "newcomer@example.org")
    enable_user(s, root, "newcomer@example.org")
    assign(s, root, "lists", "ada@example.org", "covering")
    unassign(s, root, "lists", "ada@example.org", "back")

    draft = world.propose("ada", [ChangeInput("change", "tone", text("tone", "Be kind."))], draft=True)
    proposals.submit(s, ada, draft)
    proposals.comment(s, grace, draft, "Looks fine.")
    proposals.withdraw(s, ada, draft, "not now")
    rejected = world.change("ada", "be_brief", "Prefer brief answers.")
    proposals.reject(s, alan, rejected, "no")

    n = world.change("ada", "respect_privacy", "Never reveal personal data.")
    veto = reviews.request_changes(s, u["barbara"], n, "Say more.").id
    reviews.dismiss_veto(s, root, n, veto, "Addressed.")
    reviews.request_changes(s, grace, n, "Wait.")
    reviews.withdraw_veto(s, grace, n)
    from registry.gitsource import SpecSource

    with SpecSource(world.path) as source:
        proposals.revise(s, source, ada, n, [ChangeInput("change", "respect_privacy",
                                                         text("respect_privacy", "Reveal nothing personal."))])
    report_check(s, alan, n, "evals", "success", url="https://ci.example.org/runs/1")
    reviews.approve(s, grace, n)  # the policy is met: proposal.state
    merge(s, world.path, "main", ada, n)

    conflicted = world.change("ada", "lists", "Use lists rarely.")
    reviews.approve(s, alan, conflicted)
    base = world.repo.head()
    world.repo.commit("Direct edit", {"spec/rules.md": (world.path / "spec/rules.md").read_text()
                                      .replace("Use lists sparingly.", "Use lists when they help.")}, tag="v1")
    merge(s, world.path, "main", ada, conflicted)  # conflicted; ingests the direct edit and its tag
    acknowledge_commit(s, root, world.repo.head(), "Hotfix.")
    world.repo.reset(base)
    world.repo.commit("Replace the hotfix", {"spec/rules.md": RULES.replace("Intro.", "Introduction.")})
    world.ingest()
    acknowledge_rewrite(s, root, history_rewrites(s)[0].id, "Force-push.")

    # be_brief needs two approvals and has one owner: the policy lets the admins approve it.
    world.repo.commit("Fallback", {"policy.toml": '[clause."be_brief"]\nmin_approvals = 2\n'
                                                  "[fallback]\nadmins_approve_when_short = true\n"})
    world.ingest()
    reviews.approve(s, root, world.change("ada", "be_brief", "Prefer brief answers."))
    remove_webhook(s, root, add_webhook(s, root, "https://ci.example.org/hook", "proposal.merged")[0].id)


def test_every_listed_state_change_appends_an_audit_event(repo, session):
    world = build_world(repo, session)
    drive_everything(world)
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    actions = {e.action for e in events}
    missing = {kind: sorted(want - actions) for kind, want in EXPECTED.items() if want - actions}
    assert missing == {}, missing
    assert actions <= ALL, f"undocumented actions: {sorted(actions - ALL)}"
    assert all(e.actor and e.subject and e.at.tzinfo is not None for e in events)
    assert audit.verify_chain(session) == []


def _section(doc: str, heading: str) -> str:
    """The doc's section under this level-2 heading, up to the next level-2 heading."""
    return doc.split(heading, 1)[1].split("\n## ", 1)[0]


# Actions a world of build_world cannot reach (a restore, a second remote, an upgrade's backfill, a reindex): the tests named here drive them.
ELSEWHERE = {"backup.restore": Path("tests/backup/test_backup_restore.py"),
             "ledger.remote_changed": Path("tests/ledger/test_sync.py"),
             "ingest.backfill": Path("tests/proposals/test_kept_verdicts_after_a_push.py"),
             "search.reindex": Path("tests/accountability/test_verify_search_index.py")}


def test_the_docs_list_exactly_these_actions():
    listed = set(re.findall(r"`([a-z_]+\.[a-z_]+|ingest)`", _section(DOC.read_text(), "## What is audited")))
    assert listed == ALL | set(ELSEWHERE)


def test_each_action_driven_elsewhere_is_checked_by_the_test_named_for_it():
    root = Path(__file__).parents[2]
    for action, path in ELSEWHERE.items():
        assert f'"{action}"' in (root / path).read_text(), (action, path)
