"""Who may do what, through the API and the pages (a matrix of routes x roles), CSRF, SSO, logins.

Roles in the matrix: anonymous; vic (viewer, owns nothing); barbara (editor, owns nothing);
grace (viewer, owns respect_privacy); ada (editor, the proposer); root (admin, owns nothing here).
Every cell acts on its own fresh proposal by Ada on respect_privacy; the owner assignment cells
start instead from a known assignment state (OWNER_STATE).
"""
from __future__ import annotations

import pytest
from proposal_helpers import HEADINGS

WHO = [None, "vic", "barbara", "grace", "ada", "root"]
TEXT = f"{HEADINGS['respect_privacy']}\n\nKeep it private.\n"
REVISION = {"changes": [{"kind": "change", "id": "respect_privacy", "text": TEXT}]}
NEW = {"title": "T", "rationale": "R", "changes": [{"kind": "change", "id": "be_brief",
                                                    "text": f"{HEADINGS['be_brief']}\n\nShort.\n"}]}

ASSIGN = {"owner": "grace@example.org", "reason": "cover"}

# action: (api path, api body, page path, page form, {who: expected status}); {n} is the proposal.
MATRIX = {
    "propose": ("/api/v1/proposals", NEW, "/clauses/be_brief/propose",
                {"title": "T", "rationale": "R", "text": NEW["changes"][0]["text"]},
                {None: 401, "vic": 403, "barbara": 201, "grace": 403, "ada": 201, "root": 201}),
    "comment": ("/api/v1/proposals/{n}/comments", {"text": "hi"}, "/proposals/{n}/comment", {"text": "hi"},
                {None: 401, "vic": 201, "barbara": 201, "grace": 201, "ada": 201, "root": 201}),
    "approve": ("/api/v1/proposals/{n}/reviews", {"kind": "approve"}, "/proposals/{n}/review", {"kind": "approve"},
                {None: 401, "vic": 403, "barbara": 403, "grace": 201, "ada": 403, "root": 403}),
    "request changes": ("/api/v1/proposals/{n}/reviews", {"kind": "request_changes", "comment": "no"},
                        "/proposals/{n}/review", {"kind": "request_changes", "comment": "no"},
                        {None: 401, "vic": 403, "barbara": 201, "grace": 201, "ada": 403, "root": 201}),
    "revise": ("/api/v1/proposals/{n}/revisions", REVISION, "/proposals/{n}/revise",
               {"id": "respect_privacy", "text": TEXT},
               {None: 401, "vic": 403, "barbara": 403, "grace": 403, "ada": 201, "root": 201}),
    "withdraw": ("/api/v1/proposals/{n}/withdraw", {}, "/proposals/{n}/withdraw", {},
                 {None: 401, "vic": 403, "barbara": 403, "grace": 403, "ada": 200, "root": 200}),
    "reject": ("/api/v1/proposals/{n}/reject", {"reason": "no"}, "/proposals/{n}/reject", {"reason": "no"},
               {None: 401, "vic": 403, "barbara": 403, "grace": 200, "ada": 403, "root": 200}),
    "merge (not approved)": ("/api/v1/proposals/{n}/merge", {}, "/proposals/{n}/merge", {},
                             {None: 401, "vic": 403, "barbara": 403, "grace": 409, "ada": 409, "root": 409}),
    "submit (not a draft)": ("/api/v1/proposals/{n}/submit", {}, "/proposals/{n}/submit", {},
                             {None: 401, "vic": 403, "barbara": 403, "grace": 403, "ada": 409, "root": 409}),
    "assign owner": ("/api/v1/clauses/be_brief/owners/assign", ASSIGN, "/clauses/be_brief/owners/assign", ASSIGN,
                     {None: 401, "vic": 403, "barbara": 403, "grace": 403, "ada": 403, "root": 201}),
    "unassign owner": ("/api/v1/clauses/tone/owners/unassign", ASSIGN, "/clauses/tone/owners/unassign", ASSIGN,
                       {None: 401, "vic": 403, "barbara": 403, "grace": 403, "ada": 403, "root": 201}),
}
# Owner actions need no proposal: (clause, whether Grace is assigned to it when the cell starts).
OWNER_STATE = {"assign owner": ("be_brief", False), "unassign owner": ("tone", True)}
CELLS = [(action, who) for action in MATRIX for who in WHO]
IDS = [f"{action}-{who or 'anonymous'}" for action, who in CELLS]
# A page redirects back to the proposal (302) where the API answers 200 or 201, and a logged-out
# browser to the login page (303) where the API answers 401.
PAGE_OK = {200: 302, 201: 302, 401: 303}


def prepare(gov, action: str) -> int | None:
    """A cell's starting point: a fresh proposal (its number), or the assignment state an owner action needs."""
    if action in OWNER_STATE:
        key, assigned = OWNER_STATE[action]
        gov.set_assignment(key, "grace@example.org", assigned)
        return None
    return gov.propose()


@pytest.mark.parametrize(("action", "who"), CELLS, ids=IDS)
def test_api_permissions(shared_gov, action, who):
    api, body, _page, _form, expected = MATRIX[action]
    n = prepare(shared_gov, action)
    response = shared_gov.app.test_client().post(api.format(n=n), json=body, headers=shared_gov.api(who))
    assert response.status_code == expected[who], response.get_json()
    if response.status_code >= 400:
        assert set(response.get_json()) == {"error", "message"}


@pytest.mark.parametrize(("action", "who"), CELLS, ids=IDS)
def test_page_permissions(shared_gov, action, who):
    _api, _body, page, form, expected = MATRIX[action]
    n = prepare(shared_gov, action)
    response = shared_gov.browser(who).post(page.format(n=n), data={**form, "csrf_token": "csrf-token"})
    if action == "revise" and who is None:  # the revise editor shows its page again with the text typed
        assert response.status_code == 401 and "Not saved: log in to" in response.get_data(as_text=True)
    else:
        assert response.status_code == PAGE_OK.get(expected[who], expected[who])
    if response.status_code == 302:
        assert ("/owners" if action in OWNER_STATE else "/proposals/") in response.headers["Location"]


@pytest.mark.parametrize("action", list(MATRIX))
def test_every_form_needs_the_csrf_token_even_for_an_admin(shared_gov, action):
    _api, _body, page, form, _expected = MATRIX[action]
    n = prepare(shared_gov, action)
    browser = shared_gov.browser("root")
    for token in (None, "wrong-token"):
        data = dict(form) if token is None else {**form, "csrf_token": token}
        response = browser.post(page.format(n=n), data=data)
        assert response.status_code == 403 and b"csrf failed" in response.data.lower()


@pytest.mark.parametrize("path", ["/proposals/{n}/merge", "/proposals/{n}/review", "/proposals/{n}/withdraw",
                                  "/proposals/{n}/comment", "/logout", "/api/v1/proposals/{n}/merge",
                                  "/clauses/tone/owners/assign", "/clauses/tone/owners/unassign",
                                  "/api/v1/clauses/tone/owners/assign", "/api/v1/clauses/tone/owners/unassign"])
def test_nothing_changes_state_over_get(shared_gov, path):
    n = shared_gov.propose()
    assert shared_gov.browser("root").get(path.format(n=n)).status_code == 405


def test_a_real_login_logout_and_failed_login(gov):
    from registry.accounts.users import set_password
    from registry.db import make_engine, session_scope

    engine = make_engine(gov.app.config["DATABASE_URL"])
    with session_scope(engine, write=True) as s:
        set_password(s, gov.users["root"], "ada@example.org", "a long passphrase")
    engine.dispose()
    client = gov.app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    bad = client.post("/login", data={"email": "ada@example.org", "password": "wrong", "csrf_token": token})
    assert bad.status_code == 401 and b"do not match" in bad.data
    ok = client.post("/login", data={"email": "ada@example.org", "password": "a long passphrase",
                                     "csrf_token": token, "next": "//evil.example/"})
    assert ok.status_code == 302 and ok.headers["Location"] == "/"  # no open redirect
    home = client.get("/").get_data(as_text=True)
    assert "Ada Byron" in home and "Log out" in home
    new_token = home.split('name="csrf_token" value="')[1].split('"')[0]
    assert new_token != token  # the token changes at login
    assert client.post("/logout", data={"csrf_token": new_token}).status_code == 302
    assert "Log in" in client.get("/").get_data(as_text=True)


def test_a_revoked_session_is_logged_out_at_once(gov):
    from registry.accounts.credentials import revoke_sessions
    from registry.db import make_engine, session_scope

    browser = gov.browser("ada")
    assert "Ada Byron" in browser.get("/proposals").get_data(as_text=True)
    engine = make_engine(gov.app.config["DATABASE_URL"])
    with session_scope(engine, write=True) as s:
        revoke_sessions(s, gov.users["root"], "ada@example.org")
    engine.dispose()
    assert "Ada Byron" not in browser.get("/proposals").get_data(as_text=True)


def test_the_sso_header_is_ignored_unless_configured(gov):
    client = gov.app.test_client()
    response = client.get("/proposals/queue", headers={"X-Remote-User": "root@example.org"})
    assert response.status_code == 303 and response.headers["Location"] == "/login?next=/proposals/queue"


@pytest.fixture
def sso(databases, tmp_path):
    from proposal_web import make_gov

    yield from make_gov(databases, tmp_path, AUTH="header", AUTH_HEADER="X-Forwarded-User")


def test_the_sso_header_names_the_user_when_configured(sso):
    client = sso.app.test_client()
    assert "Grace Hopper" in client.get("/proposals/queue", headers={"X-Forwarded-User": "grace@example.org"}).get_data(
        as_text=True)
    assert client.get("/login").status_code == 404  # no passwords in this mode
    assert client.get("/proposals/queue", headers={"X-Remote-User": "grace@example.org"}).status_code == 401


def test_a_new_sso_user_gets_a_viewer_account_on_their_first_action_not_on_a_get(sso):
    client = sso.app.test_client()
    headers = {"X-Forwarded-User": "newcomer@example.org"}
    page = client.get("/proposals", headers=headers).get_data(as_text=True)
    assert "no account yet" in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0] if 'name="csrf_token"' in page else None
    with client.session_transaction() as sess:
        sess["csrf"] = token = token or "t"
    n = sso.propose()
    assert client.post(f"/proposals/{n}/comment", data={"text": "Hello", "csrf_token": token},
                       headers=headers).status_code == 302
    page = client.get("/proposals", headers=headers).get_data(as_text=True)
    assert 'newcomer <span class="role">(viewer)</span>' in page


PREVIEW = {"id": "respect_privacy", "text": f"{HEADINGS['respect_privacy']}\n\nKeep it **private**.\n",
           "body": "Do not reveal personal data."}
PREVIEW_STATUS = {None: 401, "vic": 403, "grace": 403, "barbara": 200, "ada": 200, "root": 200}


@pytest.mark.parametrize("who", WHO, ids=[w or "anonymous" for w in WHO])
def test_the_live_preview_needs_an_editor_and_the_csrf_header(shared_gov, who):
    browser = shared_gov.browser(who)
    assert browser.post("/proposals/preview", json=PREVIEW).status_code == 403  # no CSRF header
    response = browser.post("/proposals/preview", json=PREVIEW, headers={"X-CSRF-Token": "csrf-token"})
    assert response.status_code == PREVIEW_STATUS[who]
    if response.status_code == 200:
        assert "<strong>private</strong>" in response.get_json()["html"]


@pytest.mark.parametrize("who", WHO, ids=[w or "anonymous" for w in WHO])
def test_the_preview_button_needs_an_editor_too(shared_gov, who):
    form = {"csrf_token": "csrf-token", "action": "preview", "title": "T", "rationale": "R", "text": PREVIEW["text"]}
    response = shared_gov.browser(who).post("/clauses/respect_privacy/propose", data=form)
    assert response.status_code == (303 if who is None else PREVIEW_STATUS[who])  # logged out: to /login
    assert ("<strong>private</strong>" in response.get_data(as_text=True)) == (response.status_code == 200)


@pytest.mark.parametrize(("path", "body", "session"), [
    ("/proposals/preview", {"json": PREVIEW}, "specreg.sessions"),
    ("/proposals/{n}/comment", {"data": {"text": "hi"}}, "specreg.write_sessions"),  # the contrast: a write
])
def test_the_live_preview_uses_a_read_session_and_never_takes_the_write_lock(gov, monkeypatch, path, body, session):
    n = gov.propose()
    opened: list[str] = []
    for kind in ("specreg.sessions", "specreg.write_sessions"):
        maker = gov.app.extensions[kind]
        monkeypatch.setitem(gov.app.extensions, kind, lambda kind=kind, maker=maker: opened.append(kind) or maker())
    response = gov.browser("ada").post(path.format(n=n), headers={"X-CSRF-Token": "csrf-token"}, **body)
    assert response.status_code in (200, 302)
    assert opened == [session]
