"""For every role, relation and proposal state: the page offers an action exactly when its use case takes it.

One governed world holds a proposal by Ada (an editor) in every state, and one by Pam (an admin) and
by Pat (an editor when proposing, a viewer now) in every state. Each user's page is read as HTML,
then each action's use case runs in a transaction that is rolled back, so nothing a case does is
seen by the next. The rules contain no SQL, so SQLite alone stands for both backends here.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from proposal_helpers import HEADINGS, build_world
from repo_builder import RepoBuilder
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

import registry.proposals.merge as merging
from registry.accounts.actors import Actor
from registry.accounts.credentials import start_session
from registry.accounts.users import add_user, set_role
from registry.app import create_app
from registry.config import Settings
from registry.db import make_engine, session_scope
from registry.errors import SpecregError
from registry.gitsource import SpecSource
from registry.models import STATES, Proposal, Review
from registry.owners.assignments import assign
from registry.proposals import authoring, reviews
from registry.proposals.authoring import ChangeInput
from registry.proposals.permissions import ACTIONS, allowed_actions

SITUATIONS = ("draft", "open", "open with a request for changes", "approved", "conflicted", "merged", "rejected",
              "withdrawn")
WHO = {  # role and relation: (the user, or None, and whose proposal they look at)
    "anonymous": (None, "ada"),
    "viewer proposer": ("pat", "pat"), "editor proposer": ("ada", "ada"), "admin proposer": ("pam", "pam"),
    "viewer owner": ("grace", "ada"), "editor owner": ("alan", "ada"), "admin owner": ("olga", "ada"),
    "viewer other": ("vic", "ada"), "editor other": ("barbara", "ada"), "admin other": ("root", "ada"),
}
MARKERS = {  # what on the proposal page offers each action
    "comment": '/comment"', "approve": 'value="approve"', "request_changes": 'value="request_changes"',
    "withdraw_veto": '/withdraw-veto"', "dismiss": '/dismiss"', "revise": '/revise"', "submit": '/submit"',
    "withdraw": '/withdraw"', "reject": '/reject"', "merge": '/merge"',
}


@dataclass
class Table:
    """The app, its database and repo, the users, their login keys, and the proposal per (situation, proposer)."""

    app: object
    engine: Engine
    repo: Path
    users: dict[str, Actor]
    keys: dict[str, str]
    numbers: dict[tuple[str, str], int]


def _text(label: str) -> ChangeInput:
    return ChangeInput("change", "respect_privacy", f"{HEADINGS['respect_privacy']}\n\n{label}.\n")


def _build(s: Session, world, users: dict[str, Actor]) -> dict[tuple[str, str], int]:
    """Every situation for each proposer; merges and conflicts are real ones (Grace approves, root merges)."""
    numbers: dict[tuple[str, str], int] = {}

    def propose(situation: str, who: str, draft: bool = False) -> int:
        n = world.propose(who, [_text(f"{situation} by {who}")], draft=draft)
        numbers[(situation, who)] = n
        return n

    for who in ("ada", "pam", "pat"):  # based on the head that the merges below move away from
        reviews.approve(s, users["grace"], propose("conflicted", who))
    for who in ("ada", "pam", "pat"):
        reviews.approve(s, users["grace"], propose("merged", who))
        merging.merge(s, world.path, "main", users["root"], numbers[("merged", who)])
    for who in ("ada", "pam", "pat"):
        assert merging.merge(s, world.path, "main", users["root"], numbers[("conflicted", who)]).conflicts
        propose("draft", who, draft=True)
        propose("open", who)
        reviews.request_changes(s, users["barbara"], propose("open with a request for changes", who), "Not yet.")
        reviews.approve(s, users["grace"], propose("approved", who))
        authoring.reject(s, users["root"], propose("rejected", who), "Not wanted.")
        authoring.withdraw(s, users[who], propose("withdrawn", who), "Changed my mind.")
    return numbers


@pytest.fixture(scope="module")
def table(databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Table]:
    """The world, built once: extra accounts, Alan and Olga assigned to respect_privacy, and every proposal."""
    root = tmp_path_factory.mktemp("permissions")
    repo, url = RepoBuilder(root / "spec"), databases.fresh()
    engine = make_engine(url, poolclass=NullPool)
    with session_scope(engine, write=True) as s:
        world = build_world(repo, s)
        users = world.users
        for email, name, role in (("olga@example.org", "Olga Owner", "admin"),
                                  ("pam@example.org", "Pam Proposer", "admin"),
                                  ("pat@example.org", "Pat Proposer", "editor")):
            users[email.split("@")[0]] = add_user(s, users["root"], email, name, role)
        for owner in ("alan@example.org", "olga@example.org"):
            assign(s, users["root"], "respect_privacy", owner, "a second and third owner")
        numbers = _build(s, world, users)
        users["pat"] = set_role(s, users["root"], "pat@example.org", "viewer")  # a proposer who is no longer an editor
        keys = {n: start_session(s, a) for n, a in users.items()}
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret"},
                     settings=Settings(url, repo.path, root / "instance"))
    yield Table(app, engine, repo.path, dict(users), keys, numbers)
    app.extensions["specreg.engine"].dispose()
    engine.dispose()


def offered(t: Table, who: str | None, n: int) -> dict[str, bool]:
    """The actions the proposal page shows this user a button (or link) for."""
    client = t.app.test_client()
    with client.session_transaction() as sess:
        sess["csrf"] = "csrf-token"
        if who:
            sess["sid"] = t.keys[who]
    response = client.get(f"/proposals/{n}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return {action: MARKERS[action] in html for action in ACTIONS}


class Published(Exception):
    """A merge got as far as writing its commit (stopped there: git is not rolled back with the database)."""


def _calls(repo: Path, n: int, review_id: int) -> dict[str, Callable[[Session, Actor | None], object]]:
    """Each action's use case with input the page's form would send."""
    def revise(s: Session, actor: Actor | None) -> object:
        with SpecSource(repo) as source:
            return authoring.revise_clause(s, source, actor, n, None, f"{HEADINGS['respect_privacy']}\n\nRevised.\n",
                                           seen=_revision(s, n))
    return {
        "comment": lambda s, a: authoring.comment(s, a, n, "A note."),
        "approve": lambda s, a: reviews.approve(s, a, n, "", _revision(s, n)),
        "request_changes": lambda s, a: reviews.request_changes(s, a, n, "Please change it.", _revision(s, n)),
        "withdraw_veto": lambda s, a: reviews.withdraw_veto(s, a, n),
        "dismiss": lambda s, a: reviews.dismiss_veto(s, a, n, review_id, "Settled elsewhere."),
        "revise": revise,
        "submit": lambda s, a: authoring.submit(s, a, n),
        "withdraw": lambda s, a: authoring.withdraw(s, a, n, "No longer needed."),
        "reject": lambda s, a: authoring.reject(s, a, n, "Not wanted."),
        "merge": lambda s, a: merging.merge(s, repo, "main", a, n),
    }


def _revision(s: Session, n: int) -> int:
    from registry.proposals.store import get_proposal

    return get_proposal(s, n).revision


def attempt(t: Table, call: Callable[[Session, Actor | None], object], actor: Actor | None) -> object:
    """Run a use case in a transaction that is rolled back: its result, or the error it refused with."""
    conn = t.engine.connect()
    outer = conn.begin()
    s = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        return call(s, actor)
    except (SpecregError, Published) as exc:
        return exc
    finally:
        s.close()
        outer.rollback()
        conn.close()


def _stop_before_publishing(*_args: object) -> None:
    raise Published()


def _veto_id(t: Table, n: int) -> int:
    with Session(t.engine) as s:
        found = s.query(Review.id).filter(Review.proposal_id == n, Review.kind == "request_changes").first()
    return found[0] if found else 10**6


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
@pytest.mark.parametrize("situation", SITUATIONS)
@pytest.mark.parametrize("who", WHO)
def test_the_page_offers_an_action_exactly_when_its_use_case_takes_it(table, who, situation, monkeypatch):
    name, proposer = WHO[who]
    n = table.numbers[(situation, proposer)]
    actor = table.users[name] if name else None
    shown = offered(table, name, n)
    with Session(table.engine) as s:
        decisions = allowed_actions(s, n, actor)
    monkeypatch.setattr(merging, "_publish", _stop_before_publishing)
    outcomes = {action: attempt(table, call, actor) for action, call in _calls(table.repo, n, _veto_id(table, n)).items()}
    if situation == "merged" and isinstance(outcomes["merge"], merging.MergeResult):
        # A merge of a merged proposal answers with its commit (a double click); no page offers it.
        assert outcomes["merge"].commit and not shown["merge"]
        outcomes["merge"] = decisions["merge"].error
    taken = {action: not isinstance(outcome, SpecregError) for action, outcome in outcomes.items()}
    assert shown == taken
    assert {a: bool(d) for a, d in decisions.items()} == taken
    refusals = {a: (type(o).__name__, o.message) for a, o in outcomes.items() if isinstance(o, SpecregError)}
    reasons = {a: (type(d.error).__name__, d.reason) for a, d in decisions.items() if not d}
    if "dismiss" in refusals and "dismiss" in reasons:  # no veto to name: the page asks "any?", the form names one
        refusals["dismiss"], reasons["dismiss"] = refusals["dismiss"][0], reasons["dismiss"][0]
    assert refusals == reasons


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)
def test_the_table_holds_every_state_for_each_proposer(table):
    with Session(table.engine) as s:
        states = {key: s.get_one(Proposal, n).state for key, n in table.numbers.items()}
    assert {state for state in states.values()} == set(STATES)
    assert all(state == situation.split(" ")[0] for (situation, _who), state in states.items()), states
    assert table.users["pat"].role == "viewer"
