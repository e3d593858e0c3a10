"""The account guards hold under concurrency: real threads, each with its own connection and transaction.

PostgreSQL is where these races were found (two admins disabling each other left no admin; 40 wrong
passwords at once checked 21 instead of 5). SQLite serializes writers at BEGIN IMMEDIATE, so there the
same tests only confirm the outcome.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.pool import NullPool

from registry.accounts import permissions
from registry.accounts.logins import log_in
from registry.accounts.users import add_user, disable_user, set_role
from registry.db import make_engine, session_scope
from registry.errors import Conflict, TooManyAttempts
from registry.models import Account, AuditEvent, LoginFailure

WAIT = 2.0  # how long one side waits for the other at the rendezvous; never long enough to hang
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url):
    options = {"connect_args": {"options": "-c lock_timeout=30000"}} if database_url.startswith("postgres") else {}
    eng = make_engine(database_url, poolclass=NullPool, **options)
    yield eng
    eng.dispose()


def run_at_once(jobs: list[Callable[[], object]]) -> list[object]:
    """Run each job in its own thread, all released together; each one's result or the exception it raised."""
    results: list[object] = [None] * len(jobs)
    start = threading.Barrier(len(jobs))

    def run(i: int) -> None:
        start.wait(30)
        try:
            results[i] = jobs[i]()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a writer is still waiting for a lock"
    return results


@pytest.fixture
def admins(engine):
    with session_scope(engine, write=True) as s:
        root = add_user(s, None, "root@example.org", "Root", "admin", bootstrap=True)
        ada = add_user(s, root, "ada@example.org", "Ada", "admin")
    return root, ada


def meet_after(monkeypatch, name: str, barrier: threading.Barrier) -> None:
    """After the permission rule `name` passed, wait (at most WAIT) for the other side to pass it too.

    Unguarded, both sides pass the rule before either writes; guarded, the second one waits for the
    first one's transaction before it even asks, so the first one meets nobody and goes on alone.
    """
    rule = getattr(permissions, name)

    def passed_then_meet(*args: object) -> object:
        actor = rule(*args)
        try:
            barrier.wait(WAIT)
        except threading.BrokenBarrierError:
            pass
        return actor

    monkeypatch.setattr(permissions, name, passed_then_meet)


def _disable(engine, actor, email: str) -> None:
    with session_scope(engine, write=True) as s:
        disable_user(s, actor, email)


def _demote(engine, actor, email: str) -> None:
    with session_scope(engine, write=True) as s:
        set_role(s, actor, email, "viewer")


@pytest.mark.parametrize(("first", "second"), [(_disable, _disable), (_demote, _demote), (_disable, _demote)],
                         ids=["both disable", "both demote", "one disables, one demotes"])
def test_two_admins_removing_each_other_at_once_leave_one_admin(engine, admins, monkeypatch, first, second):
    root, ada = admins
    barrier = threading.Barrier(2)
    for name in ("disable", "set_role"):
        meet_after(monkeypatch, name, barrier)
    results = run_at_once([lambda: first(engine, root, ada.email), lambda: second(engine, ada, root.email)])
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "NoneType"]
    assert "last active admin" in next(str(r) for r in results if isinstance(r, Conflict))
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Account).where(
            Account.role == "admin", Account.disabled_at.is_(None))) == 1


@pytest.fixture
def nell(engine):
    with session_scope(engine, write=True) as s:
        root = add_user(s, None, "root@example.org", "Root", "admin", bootstrap=True)
        add_user(s, root, "nell@example.org", "Nell", "viewer", "a long passphrase")


def _wrong_password(engine, email: str, client: str) -> object:
    with session_scope(engine, write=True) as s:
        return log_in(s, email, "wrong guess", client, NOW)


@pytest.mark.parametrize(("emails", "clients", "checked"), [
    (["nell@example.org"] * 40, [f"10.0.0.{i}" for i in range(40)], 5),           # one email: 5 per email
    ([f"guess{i}@example.org" for i in range(40)], ["10.0.0.1"] * 40, 20),         # one client: 20 per client
], ids=["one email from 40 clients", "40 emails from one client"])
def test_forty_wrong_passwords_at_once_check_only_as_many_as_the_throttle_allows(engine, nell, emails, clients,
                                                                                 checked):
    results = run_at_once([lambda e=e, c=c: _wrong_password(engine, e, c) for e, c in zip(emails, clients)])
    assert [r for r in results if not isinstance(r, TooManyAttempts)] == [None] * checked
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(LoginFailure)) == checked
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "session.login_failed")) == checked
