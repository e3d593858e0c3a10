"""Accounts, roles, passwords, API tokens and login sessions (stored as hashes, revocable, audited)."""
from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from registry.accounts.credentials import (
    actor_for_session,
    actor_for_token,
    create_token,
    end_session,
    list_tokens,
    revoke_sessions,
    revoke_token,
    start_session,
)
from registry.accounts.users import (
    actor_for,
    add_user,
    authenticate,
    disable_user,
    enable_user,
    list_users,
    list_users_for,
    set_password,
    set_role,
    sso_actor,
)
from registry.errors import BadRequest, Conflict, Forbidden, Unauthorized, UnknownUser
from registry.models import ApiToken, AuditEvent, LoginSession, Person


@pytest.fixture
def admin(session):
    return add_user(session, None, "Root@Example.org", "Root Admin", "admin", "correct horse", bootstrap=True)


def actions(session) -> list[str]:
    return [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]


def test_the_first_account_needs_no_actor_but_must_be_an_admin(session):
    with pytest.raises(BadRequest, match="first account must be an admin"):
        add_user(session, None, "ada@example.org", "Ada", "editor", bootstrap=True)
    admin = add_user(session, None, "root@example.org", "Root", "admin", bootstrap=True)
    assert admin.role == "admin" and admin.email == "root@example.org"


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_without_bootstrap_nobody_creates_the_first_account_without_an_actor(session, role):
    # Only the command line bootstraps; the web and the API pass no flag and get 401.
    with pytest.raises(Unauthorized, match="log in to add users"):
        add_user(session, None, "mallory@example.org", "Mallory", role, "a long passphrase")
    assert session.scalar(select(func.count()).select_from(Person)) == 0


def test_after_the_first_admin_only_admins_add_users(session, admin):
    with pytest.raises(Unauthorized):
        add_user(session, None, "ada@example.org", "Ada", "editor", bootstrap=True)
    ada = add_user(session, admin, "ada@example.org", "Ada", "editor")
    with pytest.raises(Forbidden, match="needs the admin role"):
        add_user(session, ada, "bob@example.org", "Bob")
    with pytest.raises(Conflict, match="already has an account"):
        add_user(session, admin, "ADA@example.org", "Ada")


def test_an_account_builds_on_the_person_owners_already_know(session, admin):
    session.add(Person(email="grace@example.org", name="Grace Hopper", active=True))
    session.flush()
    grace = add_user(session, admin, "grace@example.org", "G", "viewer")
    assert grace.name == "Grace Hopper"
    assert session.scalar(select(Person.id).where(Person.email == "grace@example.org")) == grace.person_id


def test_passwords_are_hashed_and_logins_are_audited_both_ways(session, admin):
    assert authenticate(session, "root@example.org", "correct horse") == admin
    assert authenticate(session, "root@example.org", "wrong horse") is None
    assert authenticate(session, "nobody@example.org", "correct horse") is None
    assert actions(session)[-3:] == ["session.login", "session.login_failed", "session.login_failed"]
    assert b"correct horse" not in repr(list_users(session)).encode()


def test_passwords_are_stored_with_werkzeugs_default_scrypt_cost(session, admin, monkeypatch):
    # The tests hash with a cheaper scrypt (conftest's TEST_PASSWORD_HASH); the app passes no method.
    from werkzeug.security import generate_password_hash

    from registry.accounts import users as accounts

    monkeypatch.setattr(accounts, "generate_password_hash", generate_password_hash)
    ada = add_user(session, admin, "ada@example.org", "Ada", "editor", "a long passphrase")
    stored = session.get(accounts.Account, ada.person_id).password_hash
    assert stored.split("$")[0] == generate_password_hash("x").split("$")[0] == "scrypt:32768:8:1"
    assert authenticate(session, "ada@example.org", "a long passphrase") == ada


@pytest.mark.parametrize(("email", "password", "dummy"), [
    ("root@example.org", "correct horse", False),
    ("root@example.org", "wrong horse", False),
    ("nobody@example.org", "correct horse", True),
    ("nopassword@example.org", "correct horse", True),
    ("disabled@example.org", "correct horse", False),
], ids=["right password", "wrong password", "unknown email", "account without a password", "disabled account"])
def test_every_login_attempt_spends_one_password_check_so_timing_does_not_reveal_accounts(
        session, admin, monkeypatch, email, password, dummy):
    from registry.accounts import users as accounts

    add_user(session, admin, "nopassword@example.org", "No Password")
    add_user(session, admin, "disabled@example.org", "Dis Abled", password="correct horse")
    disable_user(session, admin, "disabled@example.org")
    checked: list[str] = []
    real_check = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: checked.append(h) or real_check(h, p))
    authenticate(session, email, password)
    assert len(checked) == 1 and (checked[0] == accounts._dummy_hash()) == dummy
    stored = session.get(accounts.Account, admin.person_id).password_hash
    assert checked[0].split("$")[0] == stored.split("$")[0]  # the dummy costs what a real check costs


def test_the_dummy_hash_is_made_once_on_first_use_not_at_import(session, admin, monkeypatch):
    from registry.accounts import users as accounts

    probe = ("import werkzeug.security as ws; made = []; real = ws.generate_password_hash; "
             "ws.generate_password_hash = lambda *a, **k: made.append(1) or real(*a, **k); "
             "import registry.app, registry.accounts.users; print(len(made))")
    from registry.config import PROJECT_ROOT

    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
    assert run.stdout == "0\n"
    made: list[str] = []
    real_make = accounts.generate_password_hash
    monkeypatch.setattr(accounts, "generate_password_hash", lambda p: made.append(p) or real_make(p))
    accounts._dummy_hash.cache_clear()
    for _ in range(3):
        assert authenticate(session, "nobody@example.org", "guess") is None
    assert len(made) == 1


def test_a_short_password_is_refused_and_only_admins_set_other_peoples(session, admin):
    ada = add_user(session, admin, "ada@example.org", "Ada", "editor")
    with pytest.raises(BadRequest, match="at least 8"):
        set_password(session, ada, "ada@example.org", "short")
    set_password(session, ada, "ada@example.org", "a long passphrase")
    assert authenticate(session, "ada@example.org", "a long passphrase") == ada
    with pytest.raises(Forbidden):
        set_password(session, ada, "root@example.org", "a long passphrase")


def test_roles_change_by_admins_and_are_checked_by_name(session, admin):
    add_user(session, admin, "ada@example.org", "Ada")
    assert set_role(session, admin, "ada@example.org", "editor").role == "editor"
    with pytest.raises(BadRequest, match="unknown role"):
        set_role(session, admin, "ada@example.org", "owner")
    with pytest.raises(UnknownUser):
        set_role(session, admin, "nobody@example.org", "editor")


def test_tokens_are_stored_hashed_shown_once_and_revocable(session, admin):
    ada = add_user(session, admin, "ada@example.org", "Ada", "editor")
    secret, row = create_token(session, ada, "ada@example.org", "laptop")
    assert secret.startswith("srg_") and secret not in repr(session.get(ApiToken, row.id).__dict__)
    assert actor_for_token(session, secret) == ada
    assert list_tokens(session, ada)[0]["name"] == "laptop"
    with pytest.raises(Forbidden):
        create_token(session, ada, "root@example.org")
    revoke_token(session, ada, row.id)
    with pytest.raises(Unauthorized, match="revoked"):
        actor_for_token(session, secret)
    with pytest.raises(Unauthorized):
        actor_for_token(session, "srg_made-up")


def test_sessions_expire_are_revoked_at_logout_and_by_admins(session, admin):
    key = start_session(session, admin)
    assert actor_for_session(session, key) == admin
    end_session(session, key)
    assert actor_for_session(session, key) is None
    old = start_session(session, admin, lifetime=timedelta(seconds=-1))
    assert actor_for_session(session, old) is None
    keys = [start_session(session, admin) for _ in range(2)]
    assert revoke_sessions(session, admin, "root@example.org") == 2
    assert all(actor_for_session(session, k) is None for k in keys)
    assert session.scalar(select(LoginSession.key_hash).limit(1)) not in keys


def test_disabling_an_account_revokes_its_tokens_and_sessions_at_once(session, admin):
    ada = add_user(session, admin, "ada@example.org", "Ada", "editor", "a long passphrase")
    secret, _ = create_token(session, ada, "ada@example.org")
    key = start_session(session, ada)
    disable_user(session, admin, "ada@example.org")
    assert actor_for_session(session, key) is None
    with pytest.raises(Unauthorized):
        actor_for_token(session, secret)
    with pytest.raises(Unauthorized, match="disabled"):
        actor_for(session, "ada@example.org")
    assert authenticate(session, "ada@example.org", "a long passphrase") is None


def test_an_admin_can_enable_a_disabled_account_whose_old_credentials_stay_revoked(session, admin):
    ada = add_user(session, admin, "ada@example.org", "Ada", "editor", "a long passphrase")
    secret, _ = create_token(session, ada, "ada@example.org")
    disable_user(session, admin, "ada@example.org")
    with pytest.raises(Forbidden, match="enable users needs the admin role; ada@example.org is an editor"):
        enable_user(session, ada, "ada@example.org")
    enable_user(session, admin, "ada@example.org")
    assert authenticate(session, "ada@example.org", "a long passphrase") is not None
    assert session.scalar(select(Person).where(Person.email == "ada@example.org")).active
    with pytest.raises(Unauthorized):
        actor_for_token(session, secret)
    assert actions(session)[-2:] == ["user.enable", "session.login"]


def test_a_trusted_sso_header_creates_a_viewer_on_first_sight(session, admin):
    first = sso_actor(session, "Newcomer@Example.org")
    assert (first.email, first.role) == ("newcomer@example.org", "viewer")
    assert sso_actor(session, "newcomer@example.org") == first
    with pytest.raises(Unauthorized):
        sso_actor(session, "not-an-email")


def test_every_account_change_is_audited(session, admin):
    add_user(session, admin, "ada@example.org", "Ada")
    set_role(session, admin, "ada@example.org", "editor")
    _, row = create_token(session, admin, "ada@example.org")
    revoke_token(session, admin, row.id)
    disable_user(session, admin, "ada@example.org")
    assert actions(session) == ["user.create", "user.create", "user.role", "token.create", "token.revoke",
                                "user.disable"]


@pytest.mark.parametrize(("email", "name", "message"), [
    ("not-an-email", "Ada", "'not-an-email' is not an email address"),
    ("@example.org", "Ada", "is not an email address"),
    ("ada@", "Ada", "is not an email address"),
    ("ada@b@example.org", "Ada", "is not an email address"),
    ("ada@example.org", "  ", "give the person's name"),
    ("ada@example.org", "Ada <x@y>", "may not contain '<'"),
    ("ada smith@example.org", "Ada", "may not contain a space"),
])
def test_bad_emails_and_names_are_refused_with_a_clear_message(session, admin, email, name, message):
    with pytest.raises(BadRequest, match=message):
        add_user(session, admin, email, name)


def test_a_short_initial_password_is_refused_before_anyone_is_written(session, admin):
    with pytest.raises(BadRequest, match="at least 8"):
        add_user(session, admin, "ada@example.org", "Ada", "editor", "short")
    assert session.scalar(select(Person).where(Person.email == "ada@example.org")) is None


@pytest.mark.parametrize("change", ["demote", "disable"])
def test_the_last_active_admin_can_be_neither_demoted_nor_disabled(session, admin, change):
    act = {"demote": lambda who: set_role(session, admin, who, "editor"),
           "disable": lambda who: disable_user(session, admin, who)}[change]
    with pytest.raises(Conflict, match="root@example.org is the last active admin"):
        act("root@example.org")
    assert [u["role"] for u in list_users(session)] == ["admin"]
    add_user(session, admin, "ada@example.org", "Ada", "admin")
    act("root@example.org")  # with a second admin it is allowed
    assert actor_for(session, "ada@example.org").role == "admin"


def test_a_disabled_admin_does_not_count_as_the_other_admin(session, admin):
    add_user(session, admin, "ada@example.org", "Ada", "admin")
    disable_user(session, admin, "ada@example.org")
    with pytest.raises(Conflict, match="last active admin"):
        set_role(session, admin, "root@example.org", "viewer")
    assert set_role(session, admin, "ada@example.org", "viewer").role == "viewer"  # disabled: no guard needed


def test_the_user_list_shows_the_last_login_and_live_token_count(session, admin):
    add_user(session, admin, "ada@example.org", "Ada", "editor", "a long passphrase")
    ada = authenticate(session, "ada@example.org", "a long passphrase")
    start_session(session, ada)
    create_token(session, admin, "ada@example.org")
    _, revoked = create_token(session, admin, "ada@example.org")
    revoke_token(session, admin, revoked.id)
    users = {u["email"]: u for u in list_users(session)}
    assert users["ada@example.org"]["tokens"] == 1
    assert str(users["ada@example.org"]["last_login"]).endswith("Z")
    assert users["root@example.org"] == {"email": "root@example.org", "name": "Root Admin", "role": "admin",
                                        "enabled": True, "password": True, "last_login": None, "tokens": 0}


def test_only_admins_list_users_through_the_edges(session, admin):
    ada = add_user(session, admin, "ada@example.org", "Ada", "editor")
    assert [u["email"] for u in list_users_for(session, admin)] == ["ada@example.org", "root@example.org"]
    with pytest.raises(Forbidden, match="manage users needs the admin role"):
        list_users_for(session, ada)
    with pytest.raises(Unauthorized):
        list_users_for(session, None)


def test_setting_a_password_or_revoking_sessions_without_an_actor_asks_to_log_in(session, admin):
    with pytest.raises(Unauthorized, match="log in to set a password"):
        set_password(session, None, "root@example.org", "a long passphrase")
    with pytest.raises(Unauthorized, match="log in to revoke sessions"):
        revoke_sessions(session, None, "root@example.org")


def _live(session, person_id: int) -> tuple[int, int]:
    """(unrevoked API tokens, unrevoked login sessions) of a person."""
    tokens = session.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.person_id == person_id, ApiToken.revoked_at.is_(None)))
    logins = session.scalar(select(func.count()).select_from(LoginSession).where(
        LoginSession.person_id == person_id, LoginSession.revoked_at.is_(None)))
    return tokens, logins


@pytest.mark.parametrize(("current", "error", "message"), [
    (None, BadRequest, "give your current password"), ("", BadRequest, "give your current password"),
    ("a wrong guess", Forbidden, "current password is not right")])
def test_changing_your_own_password_needs_the_current_one(session, admin, current, error, message):
    ada = add_user(session, admin, "ada@example.org", "Ada", "editor", "a long passphrase")
    create_token(session, ada, ada.email)
    start_session(session, ada)
    with pytest.raises(error, match=message):
        set_password(session, ada, ada.email, "a new passphrase", current)
    assert authenticate(session, ada.email, "a long passphrase") == ada  # nothing changed
    assert _live(session, ada.person_id) == (1, 1)  # the refused call revoked nothing


def test_changing_your_own_password_revokes_your_tokens_and_other_sessions_but_keeps_this_one(session, admin):
    ada = add_user(session, admin, "ada@example.org", "Ada", "editor", "a long passphrase")
    secret, _ = create_token(session, ada, ada.email)
    here, elsewhere = start_session(session, ada), start_session(session, ada)
    set_password(session, ada, "ADA@example.org", "a new passphrase", "a long passphrase", keep_session=here)
    assert authenticate(session, ada.email, "a new passphrase") == ada
    assert actor_for_session(session, here) == ada and actor_for_session(session, elsewhere) is None
    with pytest.raises(Unauthorized):
        actor_for_token(session, secret)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.password")).one()
    assert event.new == {"revoked": {"tokens": 1, "sessions": 1}}


def test_an_admin_setting_someone_s_password_needs_no_current_one_and_logs_them_out_everywhere(session, admin):
    ada = add_user(session, admin, "ada@example.org", "Ada", "editor", "a long passphrase")
    secret, _ = create_token(session, ada, ada.email)
    key = start_session(session, ada)
    admin_key = start_session(session, admin)
    set_password(session, admin, ada.email, "a new passphrase", keep_session=admin_key)
    assert authenticate(session, ada.email, "a new passphrase") == ada
    assert actor_for_session(session, key) is None and actor_for_session(session, admin_key) == admin
    assert _live(session, ada.person_id) == (0, 0)
    with pytest.raises(Unauthorized):
        actor_for_token(session, secret)


def test_an_account_without_a_password_sets_its_first_one_without_a_current_one(session, admin):
    ada = add_user(session, admin, "ada@example.org", "Ada", "editor")
    set_password(session, ada, ada.email, "a long passphrase")
    assert authenticate(session, ada.email, "a long passphrase") == ada


def test_wrong_current_passwords_count_like_failed_logins_and_are_throttled_alike(session, admin):
    from registry.accounts.logins import log_in
    from registry.errors import TooManyAttempts, WrongPassword

    ada = add_user(session, admin, "ada@example.org", "Ada", "editor", "a long passphrase")
    for _ in range(5):
        with pytest.raises(WrongPassword, match="current password is not right"):
            set_password(session, ada, ada.email, "a new passphrase", "a wrong guess")
    with pytest.raises(TooManyAttempts):  # even the right one, until the window passes
        set_password(session, ada, ada.email, "a new passphrase", "a long passphrase")
    with pytest.raises(TooManyAttempts):
        log_in(session, ada.email, "a long passphrase", "10.0.0.1")
    assert authenticate(session, ada.email, "a long passphrase") == ada
