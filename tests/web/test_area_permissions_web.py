"""The Users page and a clause's owners page offer an action exactly when its use case takes it."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from registry.accounts.credentials import revoke_sessions
from registry.accounts.users import disable_user, enable_user, set_password, set_role
from registry.db import make_engine, session_scope
from registry.errors import SpecregError
from registry.owners.assignments import assign, unassign

CSRF = {"csrf_token": "csrf-token"}


def taken(gov, call: Callable[[Session], object]) -> bool:
    """Whether the use case acts (True) or refuses (False), in a transaction that is then rolled back."""
    engine = make_engine(gov.app.config["DATABASE_URL"], poolclass=NullPool)
    conn = engine.connect()
    outer = conn.begin()
    s = Session(bind=conn, join_transaction_mode="create_savepoint")
    try:
        call(s)
        return True
    except SpecregError:
        return False
    finally:
        s.close()
        outer.rollback()
        conn.close()
        engine.dispose()


def committed(gov, call: Callable[[Session], object]) -> None:
    engine = make_engine(gov.app.config["DATABASE_URL"], poolclass=NullPool)
    with session_scope(engine, write=True) as s:
        call(s)
    engine.dispose()


def html(gov, who: str | None, url: str) -> str:
    response = gov.browser(who).get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_users_page_offers_no_demotion_or_disabling_of_the_last_active_admin(gov):
    page = html(gov, "root", "/admin/users")
    assert 'action="/admin/users/root@example.org/role"' not in page
    assert 'aria-label="Disable root@example.org"' not in page
    assert "The last active admin: make another account an admin" in page
    assert 'action="/admin/users/vic@example.org/role"' in page and 'aria-label="Disable vic@example.org"' in page
    committed(gov, lambda s: set_role(s, gov.users["root"], "ada@example.org", "admin"))
    page = html(gov, "root", "/admin/users")
    assert 'action="/admin/users/root@example.org/role"' in page and 'aria-label="Disable root@example.org"' in page


def test_the_users_page_offers_each_action_on_each_account_exactly_when_the_use_case_takes_it(gov):
    committed(gov, lambda s: disable_user(s, gov.users["root"], "barbara@example.org"))
    page = html(gov, "root", "/admin/users")
    root = gov.users["root"]
    for email in ("root@example.org", "ada@example.org", "vic@example.org", "barbara@example.org"):
        disabled = email == "barbara@example.org"
        switch = "Enable" if disabled else "Disable"
        offered = {"role": f'action="/admin/users/{email}/role"' in page,
                   "switch": f'aria-label="{switch} {email}"' in page,
                   "password": f'action="/admin/users/{email}/password"' in page,
                   "revoke": f'aria-label="Revoke sessions of {email}"' in page}
        calls: dict[str, Callable[[Session], object]] = {
            "role": lambda s, e=email: set_role(s, root, e, "viewer"),
            "switch": lambda s, e=email, d=disabled: (enable_user if d else disable_user)(s, root, e),
            "password": lambda s, e=email: set_password(s, root, e, "a long enough password"),
            "revoke": lambda s, e=email: revoke_sessions(s, root, e)}
        assert offered == {action: taken(gov, call) for action, call in calls.items()}, email


@pytest.mark.parametrize("who", [None, "vic", "ada", "root"])
def test_a_clauses_owners_page_offers_assigning_exactly_when_the_use_case_takes_it(shared_gov, who):
    gov = shared_gov
    gov.set_assignment("tone", "grace@example.org", True)
    page = html(gov, who, "/clauses/tone/owners")
    actor = gov.users[who] if who else None
    offered = {"assign": 'action="/clauses/tone/owners/assign"' in page,
               "unassign": 'action="/clauses/tone/owners/unassign"' in page}
    assert offered == {
        "assign": taken(gov, lambda s: assign(s, actor, "tone", "alan@example.org", "covering")),
        "unassign": taken(gov, lambda s: unassign(s, actor, "tone", "grace@example.org", "back"))}
    assert ("Assign or unassign registry owners" in html(gov, who, "/clauses/tone")) == offered["assign"]
    assert ('href="/admin/users"' in html(gov, who, "/")) == (who == "root")


def _ingest(gov) -> None:
    from registry.gitsource import SpecSource
    from registry.ledger.ingest import ingest

    committed(gov, lambda s: ingest(s, SpecSource(gov.repo.path)))


def test_the_unapproved_report_offers_acknowledging_exactly_when_the_use_case_takes_it(gov):
    from proposal_helpers import RULES

    from registry.accountability.acknowledge import acknowledge_commit, acknowledge_rewrite
    from registry.accountability.unapproved import history_rewrites

    base = gov.repo.head()
    gov.repo.commit("Gone", {"spec/rules.md": RULES.replace("Prefer short answers.", "Be short.")})
    _ingest(gov)
    gov.repo.reset(base)
    push = gov.repo.commit("Direct", {"spec/rules.md": RULES.replace("Prefer short answers.", "Be brief.")})
    _ingest(gov)
    engine = make_engine(gov.app.config["DATABASE_URL"], poolclass=NullPool)
    with session_scope(engine) as s:
        rewrite = history_rewrites(s)[0].id
    engine.dispose()
    for who in (None, "vic", "ada", "root"):
        page = html(gov, who, "/unapproved")
        actor = gov.users[who] if who else None
        offered = {"commit": f'action="/unapproved/{push}/acknowledge"' in page,
                   "rewrite": f'action="/rewrites/{rewrite}/acknowledge"' in page}
        assert offered == {
            "commit": taken(gov, lambda s, a=actor: acknowledge_commit(s, a, push, "A hotfix.")),
            "rewrite": taken(gov, lambda s, a=actor: acknowledge_rewrite(s, a, rewrite, "A secret."))}, who
        assert any(offered.values()) == (who == "root")
