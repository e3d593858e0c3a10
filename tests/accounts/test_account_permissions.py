"""The account rules as pure functions: who may change roles, disable, enable, set passwords, revoke sessions."""
from __future__ import annotations

import pytest

from registry.accounts import permissions
from registry.accounts.actors import Actor
from registry.accounts.permissions import AccountFacts, account_actions
from registry.errors import BadRequest, Conflict, Forbidden, Unauthorized, UnknownUser

ADMIN = Actor(1, "root@example.org", "Root", "admin")
EDITOR = Actor(2, "ada@example.org", "Ada", "editor")
LAST_ADMIN = AccountFacts("root@example.org", "admin", True, True)
VIEWER = AccountFacts("vic@example.org", "viewer", True, False)
NOBODY = AccountFacts("nobody@example.org", None, False, False)


@pytest.mark.parametrize(("rule", "error", "message"), [
    (lambda: permissions.set_role(None, VIEWER, "editor"), Unauthorized, "log in to change roles"),
    (lambda: permissions.set_role(EDITOR, VIEWER, "editor"), Forbidden,
     "change roles needs the admin role; ada@example.org is an editor"),
    (lambda: permissions.set_role(ADMIN, VIEWER, "boss"), BadRequest, "unknown role 'boss'"),
    (lambda: permissions.set_role(ADMIN, NOBODY, "editor"), UnknownUser, "no account has the email"),
    (lambda: permissions.set_role(ADMIN, LAST_ADMIN, "editor"), Conflict,
     "root@example.org is the last active admin; make another account an admin before you make "
     "root@example.org an editor"),
    (lambda: permissions.disable(ADMIN, LAST_ADMIN), Conflict, "before you disable root@example.org"),
    (lambda: permissions.enable(EDITOR, VIEWER), Forbidden, "enable users needs the admin role"),
    (lambda: permissions.set_password(EDITOR, "vic@example.org"), Forbidden,
     "only admins set other people's passwords"),
    (lambda: permissions.revoke_sessions(None, "vic@example.org"), Unauthorized, "log in to revoke sessions"),
    (lambda: permissions.revoke_sessions(EDITOR, "vic@example.org"), Forbidden,
     "only admins revoke other people's sessions"),
])
def test_a_refused_account_action_names_its_error(rule, error, message):
    with pytest.raises(error, match=message):
        rule()


def test_the_last_active_admin_keeps_the_admin_role_and_stays_enabled_but_sets_passwords_and_logs_out():
    actions = account_actions(ADMIN, LAST_ADMIN)
    assert {a: bool(d) for a, d in actions.items()} == {
        "demote": False, "disable": False, "enable": True, "password": True, "revoke": True}
    assert actions["disable"].reason.startswith("root@example.org is the last active admin")
    assert permissions.set_role(ADMIN, LAST_ADMIN, "admin") == ADMIN


def test_anyone_sets_their_own_password_and_ends_their_own_sessions():
    assert permissions.set_password(EDITOR, EDITOR.email) == EDITOR
    assert permissions.revoke_sessions(EDITOR, EDITOR.email) == EDITOR
