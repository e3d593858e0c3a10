"""Whose password is it: an account remembers who set its password when that was not the holder.

An approval by someone whose password another person chose does not count until they set their own
(separation of duties, registry/proposals/approval_rules.py); these tests hold the flag's life to that.
"""
from __future__ import annotations

from alembic import command
from proposal_helpers import HEADINGS, build_world
from sqlalchemy import select

from registry.accounts.users import add_user, authenticate, passwords_set_by_others, set_password, sso_actor
from registry.db import make_engine, session_scope
from registry.models import Account, Person
from registry.owners.assignments import assign
from registry.proposals import reviews
from registry.proposals.authoring import ChangeInput
from registry.proposals.permissions import allowed_actions
from registry.proposals.reads import proposal_detail
from registry.schema import _config, sqlite_foreign_keys_off, upgrade

PASSWORD = "chosen-by-root"


def test_an_admin_who_creates_an_account_with_a_password_is_named_until_the_holder_sets_their_own(repo, session):
    world = build_world(repo, session)
    root = world.users["root"]
    mallory = add_user(session, root, "mallory@example.org", "Mallory", "viewer", PASSWORD)
    add_user(session, root, "nopass@example.org", "No Password", "viewer")
    assert passwords_set_by_others(session) == {"mallory@example.org": "root@example.org"}
    set_password(session, mallory, "mallory@example.org", "mallory-own-choice", PASSWORD)
    assert passwords_set_by_others(session) == {}
    set_password(session, root, "mallory@example.org", "reset-by-root")  # an admin's reset names them again
    assert passwords_set_by_others(session) == {"mallory@example.org": "root@example.org"}


def test_the_first_admin_and_single_sign_on_accounts_hold_their_own_credentials(session):
    add_user(session, None, "first@example.org", "First", "admin", "first-admin-password", bootstrap=True)
    sso_actor(session, "sso-user@example.org")
    assert passwords_set_by_others(session) == {}


def test_an_approver_counts_once_they_set_their_own_password_and_stops_when_an_admin_resets_it(repo, session):
    world = build_world(repo, session)
    root = world.users["root"]
    n = world.propose("ada", [ChangeInput("change", "respect_privacy",
                                          f"{HEADINGS['respect_privacy']}\n\nNever reveal it.\n")])
    add_user(session, root, "mallory@example.org", "Mallory", "viewer", PASSWORD)
    assign(session, root, "respect_privacy", "mallory@example.org", "privacy reviewer")
    mallory = authenticate(session, "mallory@example.org", PASSWORD)
    reason = ("the password of mallory@example.org was set by root@example.org; an approval counts once its holder "
              "sets their own")
    assert allowed_actions(session, n, mallory)["approve"].reason == f"your approval would not count: {reason}"
    set_password(session, mallory, "mallory@example.org", "mallory-own-choice", PASSWORD)
    reviews.approve(session, mallory, n)
    assert proposal_detail(session, n).state == "approved"
    set_password(session, root, "mallory@example.org", "reset-by-root")  # re-evaluated at once
    detail = proposal_detail(session, n)
    assert detail.state == "open"
    assert f"the approval by Mallory does not count: {reason}" in detail.policy.notes


def test_migration_0015_names_who_set_each_password_from_the_audit_trail(database_url):
    engine = make_engine(database_url)
    with session_scope(engine, write=True) as s:
        root = add_user(s, None, "root@example.org", "Root", "admin", "root-password", bootstrap=True)
        own = add_user(s, root, "own@example.org", "Own", "viewer", PASSWORD)
        set_password(s, own, "own@example.org", "own-choice-now", PASSWORD)
        add_user(s, root, "given@example.org", "Given", "viewer", PASSWORD)
        add_user(s, root, "reset@example.org", "Reset", "viewer")
        set_password(s, root, "reset@example.org", PASSWORD)
        add_user(s, root, "none@example.org", "None", "viewer")
    with engine.connect() as conn, sqlite_foreign_keys_off(conn), conn.begin():
        command.downgrade(_config(conn), "0014")
    upgrade(engine)
    with session_scope(engine) as s:
        setter = {pid: email for pid, email in s.execute(select(Person.id, Person.email))}
        rows = s.execute(select(Person.email, Account.password_set_by_id).join(Account, Account.person_id == Person.id))
        assert {e: setter.get(by) for e, by in rows} == {
            "root@example.org": None, "own@example.org": None, "given@example.org": "root@example.org",
            "reset@example.org": "root@example.org", "none@example.org": None}
    engine.dispose()
