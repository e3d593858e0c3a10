"""The demo's accounts and proposals: every state of the workflow, made through the real use cases.

Runs once, on a database without accounts, after the demo history is ingested. The passwords are
printed in the README: this is a demo, never a deployment.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.accountability.acknowledge import acknowledge_commit
from registry.accountability.unapproved import unapproved_changes
from registry.accounts.actors import Actor
from registry.accounts.users import add_user, set_password
from registry.gitsource import SpecSource
from registry.models import Account
from registry.proposals import authoring as proposals
from registry.proposals import reviews
from registry.proposals.authoring import ChangeInput
from registry.proposals.check_reports import report_check
from registry.proposals.merge import merge
from registry.proposals.reads import clause_markdown

DEMO_PASSWORD = "specreg-demo"
# email: (name, role). Approving follows OWNERS.toml, not these roles.
DEMO_USERS = {
    "ada@example.org": ("Ada Byron", "admin"),
    "grace@example.org": ("Grace Hopper", "editor"),
    "margaret@example.org": ("Margaret Hamilton", "editor"),
    "alan@example.org": ("Alan Turing", "editor"),
    "barbara@example.org": ("Barbara Liskov", "editor"),
    "katherine@example.org": ("Katherine Johnson", "viewer"),
}


@dataclass
class _Demo:
    session: Session
    source: SpecSource
    repo: Path
    branch: str | None  # None: the branch the database tracks
    users: dict[str, Actor]

    def change(self, who: str, key: str, old: str, new: str, title: str, rationale: str,
               draft: bool = False) -> int:
        """Propose replacing `old` with `new` in the clause's current Markdown."""
        text = clause_markdown(self.session, self.source, key).text
        if old not in text:
            raise ValueError(f"demo seed: {old!r} is not in {key}")
        change = ChangeInput("change", key, text.replace(old, new, 1))
        return proposals.propose(self.session, self.source, self.users[who], title, rationale, [change], draft).id

    def approve(self, who: str, n: int, comment: str = "") -> None:
        """Approve as that user."""
        reviews.approve(self.session, self.users[who], n, comment)

    def merge(self, who: str, n: int) -> str:
        """Merge as that user; the resulting state."""
        return merge(self.session, self.repo, self.branch, self.users[who], n).state


def needs_seed(session: Session) -> bool:
    """True on a database that has no accounts yet."""
    return session.scalar(select(func.count()).select_from(Account)) == 0


def seed(session: Session, source: SpecSource, repo: Path, branch: str | None = None) -> list[str]:
    """Create the demo users and proposals in every state; returns one line per proposal."""
    users: dict[str, Actor] = {}
    admin = None
    for email, (name, role) in DEMO_USERS.items():
        users[email.split("@")[0]] = user = add_user(session, admin, email, name, role, bootstrap=admin is None)
        # Each demo holder sets their own password (a password an admin set would keep their approvals
        # from counting: separation of duties).
        set_password(session, user, email, DEMO_PASSWORD)
        admin = admin or users["ada"]
    d = _Demo(session, source, repo, branch, users)
    _acknowledge_governance_history(d)
    return _merged_and_conflicted(d) + [f"#{n}" for n in _open_and_closed(d)]


def _acknowledge_governance_history(d: _Demo) -> None:
    """The demo's OWNERS.toml was written straight into git before the registry: its admin accepts
    those commits on the record (they stay listed as unapproved; verify then holds)."""
    for change in unapproved_changes(d.session):
        if change.governance_files:
            acknowledge_commit(d.session, d.users["ada"], change.commit,
                               "Written before the registry governed this spec; the owners were agreed "
                               "in review outside it")


def _merged_and_conflicted(d: _Demo) -> list[str]:
    # Two proposals on the same clause, both approved: the first merges, the second then conflicts.
    first = d.change("grace", "be_concise", "as long as the question needs and no longer.",
                     "as long as the question needs: no longer, and no shorter.", "Not too short either",
                     "Terse answers that leave out what was asked for are a failure too.")
    second = d.change("alan", "be_concise", "An answer should be", "A response should be", "Response, not answer",
                      "The clause covers every response, not only answers to questions.")
    d.approve("ada", first, "Fine by me.")
    d.approve("ada", second)
    return [f"#{first} {d.merge('grace', first)}", f"#{second} {d.merge('alan', second)}"]


def _open_and_closed(d: _Demo) -> list[int]:
    session, users = d.session, d.users
    approved = d.change("alan", "express_uncertainty", "it should say so,", "it should say so plainly,",
                        "Say uncertainty plainly", "A hedge that hides in a subordinate clause is easy to miss.")
    d.approve("ada", approved, "Yes.")
    waiting = d.change("alan", "comply_with_laws", "should not take part", "must not take part",
                       "Must, not should", "A root clause is not a recommendation.")
    d.approve("grace", waiting)  # root: a second owner (Margaret) still has to approve
    vetoed = d.change("grace", "retention", "what the product actually", "what the product really",
                      "Retention wording", "A plainer word.")
    reviews.request_changes(session, users["margaret"], vetoed, "\"really\" is vaguer than \"actually\".")
    d.approve("barbara", vetoed)
    draft = d.change("margaret", "tone", "warm, calm and plain-spoken", "warm, calm, direct and plain-spoken",
                     "Tone: direct as well", "Still thinking about this one.", draft=True)
    withdrawn = d.change("barbara", "personas", "a different name and personality",
                         "a different name, personality and voice", "Voices too", "Voice is part of a persona.")
    proposals.withdraw(session, users["barbara"], withdrawn, "Covered by the developer customisation clause.")
    rejected = d.change("grace", "fair_perspectives", "describes the main positions", "describes every position",
                        "Every position", "Leaving positions out is a way of steering.")
    proposals.reject(session, users["alan"], rejected, "Exhaustive is impossible; 'main' is deliberate.")
    proposals.comment(session, users["katherine"], approved, "Looks right to me.")
    return [approved, waiting, vetoed, draft, withdrawn, rejected, _waiting_for_evals(d)]


def _waiting_for_evals(d: _Demo) -> int:
    """A root change both its owners approved, held open by policy.toml's required evals check: the
    evaluation harness (here Katherine's account) has reported it pending on the revision."""
    n = d.change("alan", "self_harm", "encourage them to reach out to\npeople who can help",
                 "encourage them to reach out to\npeople who can help, offering crisis lines where they are known",
                 "Offer crisis lines", "Pointing to a concrete line helps more than a general encouragement.")
    d.approve("grace", n)
    d.approve("margaret", n)
    report_check(d.session, d.users["katherine"], n, "evals", "pending", url="https://evals.example.org/runs/2041",
                 summary="Self-harm suite queued: 0 of 120 cases run")
    return n
