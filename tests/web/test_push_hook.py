"""POST /hooks/push: a git host's signed push notification requests a sync; anything unsigned does nothing."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.pool import NullPool

from registry.app import create_app
from registry.cli import main
from registry.config import Settings
from registry.db import make_engine, session_scope
from registry.errors import ReplayedNotification
from registry.limits import MAX_BODY_BYTES
from registry.models import Commit, PushNotification
from registry.worker.notifications import WINDOW, names, remember
from registry.worker.requests import pending

SECRET = "It's a Secret to Everybody"
BODY = json.dumps({"ref": "refs/heads/main", "after": "0" * 40}).encode()


def _sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
def hooked(database_url, repo, tmp_path):
    """(app, engine): an app on a fresh database whose push hook secret is SECRET, and that database."""
    repo.commit("first rule", {"spec/rules.md": "# Rules\n\n## One {#one}\n\nSay one.\n"})
    app = create_app({"TESTING": True}, settings=Settings(database_url, repo.path, tmp_path / "instance",
                                                          webhook_secret=SECRET))
    engine = make_engine(database_url, poolclass=NullPool)
    yield app, engine
    app.extensions["specreg.engine"].dispose()
    engine.dispose()


def _pending(engine) -> list:
    with session_scope(engine) as s:
        return pending(s)


@pytest.mark.parametrize("headers", [
    {"X-Hub-Signature-256": _sign(BODY), "X-GitHub-Event": "push", "X-GitHub-Delivery": "72d3162e"},
    {"X-Hub-Signature-256": _sign(BODY), "X-Gitea-Event": "push"},
    {"X-Gitlab-Token": SECRET, "X-Gitlab-Event": "Push Hook"},
], ids=["github", "gitea", "gitlab"])
def test_a_signed_push_is_accepted_at_once_and_requests_a_sync(hooked, headers):
    app, engine = hooked
    response = app.test_client().post("/hooks/push", data=BODY, headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 202
    assert response.get_json() == {"status": "accepted", "job": "sync"}
    [asked] = _pending(engine)
    assert asked.kind == "sync" and asked.source.startswith("hooks/push (")
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Commit)) == 0  # nothing ran in the request


def test_a_github_form_encoded_push_is_checked_against_its_raw_body(hooked):
    app, engine = hooked
    body = b"payload=" + BODY.replace(b" ", b"+")
    response = app.test_client().post("/hooks/push", data=body, headers={
        "X-Hub-Signature-256": _sign(body), "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 202 and len(_pending(engine)) == 1


@pytest.mark.parametrize("headers", [
    {},
    {"X-Hub-Signature-256": _sign(BODY, "not the secret")},
    {"X-Hub-Signature-256": _sign(BODY + b" ")},  # a signature taken from another body
    {"X-Hub-Signature-256": _sign(BODY)[:-1]},  # one hex digit short
    {"X-Hub-Signature-256": _sign(BODY) + "00"},  # longer than a SHA-256
    {"X-Hub-Signature-256": _sign(BODY).removeprefix("sha256=")},
    {"X-Hub-Signature-256": _sign(BODY).replace("sha256=", "sha1=")},
    {"X-Hub-Signature-256": "sha256=" + "é" * 64},
    {"X-Hub-Signature-256": ""},
    {"X-Gitlab-Token": SECRET + "x"},
    {"X-Gitlab-Token": ""},
    {"X-Hub-Signature-256": _sign(BODY, "wrong"), "X-Gitlab-Token": SECRET},  # a bad signature is never excused
], ids=["none", "other-secret", "other-body", "short", "long", "no-prefix", "sha1", "non-ascii", "empty",
        "gitlab-wrong", "gitlab-empty", "bad-signature-good-token"])
def test_a_missing_or_forged_signature_is_a_401_that_does_nothing(hooked, headers):
    app, engine = hooked
    response = app.test_client().post("/hooks/push", data=BODY, headers={**headers, "X-GitHub-Event": "push"})
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert _pending(engine) == []


def _replay_refused(response) -> None:
    assert response.status_code == 409
    assert response.get_json()["error"] == "push_hook_replayed" and "replay" in response.get_json()["message"]


def _github(body: bytes, delivery: str) -> dict:
    return {"X-Hub-Signature-256": _sign(body), "X-GitHub-Event": "push", "X-GitHub-Delivery": delivery}


@pytest.mark.parametrize("replay_delivery", ["72d3162e", "a-new-id-the-replayer-made-up", None],
                         ids=["same-delivery-id", "new-delivery-id", "no-delivery-id"])
def test_a_replayed_signed_push_is_a_409_that_asks_for_nothing(hooked, replay_delivery):
    app, engine = hooked
    client = app.test_client()
    assert client.post("/hooks/push", data=BODY, headers=_github(BODY, "72d3162e")).status_code == 202
    headers = _github(BODY, replay_delivery or "")
    if replay_delivery is None:
        del headers["X-GitHub-Delivery"]
    _replay_refused(client.post("/hooks/push", data=BODY, headers=headers))
    [asked] = _pending(engine)
    assert asked.generation == 1


def test_a_host_delivery_id_seen_before_is_refused_even_with_another_signed_body(hooked):
    app, engine = hooked
    client = app.test_client()
    other = BODY.replace(b"0" * 40, b"1" * 40)
    assert client.post("/hooks/push", data=BODY, headers=_github(BODY, "72d3162e")).status_code == 202
    _replay_refused(client.post("/hooks/push", data=other, headers=_github(other, "72d3162e")))
    assert client.post("/hooks/push", data=other, headers=_github(other, "0b9e5c1a")).status_code == 202
    assert _pending(engine)[0].generation == 2


def test_a_gitlab_push_is_named_by_its_event_uuid_not_by_its_unsigned_body(hooked):
    app, engine = hooked
    client = app.test_client()
    gitlab = {"X-Gitlab-Token": SECRET, "X-Gitlab-Event": "Push Hook"}
    assert client.post("/hooks/push", data=BODY, headers={**gitlab, "X-Gitlab-Event-UUID": "u-1"}).status_code == 202
    assert client.post("/hooks/push", data=BODY, headers={**gitlab, "X-Gitlab-Event-UUID": "u-2"}).status_code == 202
    _replay_refused(client.post("/hooks/push", data=BODY, headers={**gitlab, "X-Gitlab-Event-UUID": "u-1"}))
    assert _pending(engine)[0].generation == 2


def test_a_push_replayed_to_another_host_sharing_the_database_is_refused(hooked, database_url, repo, tmp_path):
    app_a, engine = hooked
    app_b = create_app({"TESTING": True}, settings=Settings(database_url, repo.path, tmp_path / "instance-b",
                                                            webhook_secret=SECRET))
    try:
        assert app_a.test_client().post("/hooks/push", data=BODY, headers=_github(BODY, "72d3162e")).status_code == 202
        _replay_refused(app_b.test_client().post("/hooks/push", data=BODY, headers=_github(BODY, "5e1f00d")))
    finally:
        app_b.extensions["specreg.engine"].dispose()
    assert _pending(engine)[0].generation == 1


def _pushed(when: datetime) -> bytes:
    return json.dumps({"ref": "refs/heads/main", "repository": {"pushed_at": int(when.timestamp())}}).encode()


def test_a_github_push_older_than_the_window_is_refused_and_a_recent_one_accepted(hooked):
    app, engine = hooked
    client = app.test_client()
    stale = _pushed(datetime.now(UTC) - WINDOW - timedelta(minutes=1))
    _replay_refused(client.post("/hooks/push", data=stale, headers=_github(stale, "old")))
    form = b"payload=" + stale
    _replay_refused(client.post("/hooks/push", data=form, headers={
        **_github(form, "old-form"), "Content-Type": "application/x-www-form-urlencoded"}))
    assert _pending(engine) == []
    fresh = _pushed(datetime.now(UTC) - timedelta(minutes=5))
    assert client.post("/hooks/push", data=fresh, headers=_github(fresh, "new")).status_code == 202


def test_what_the_hook_remembers_is_forgotten_after_the_window(session):
    now = datetime.now(UTC)
    remember(session, BODY, names(BODY, "github", "72d3162e"), now - WINDOW - timedelta(seconds=1))
    remember(session, b"another", names(b"another", "github", "0b9e5c1a"), now)
    assert session.scalar(select(func.count()).select_from(PushNotification)) == 2  # only the older pair went
    remember(session, BODY, names(BODY, "github", "72d3162e"), now + timedelta(seconds=1))  # no longer a replay
    with pytest.raises(ReplayedNotification):
        remember(session, BODY, names(BODY, "github", "72d3162e"), now + timedelta(seconds=2))


def test_with_no_secret_configured_the_push_hook_is_off(database_url, repo, tmp_path):
    app = create_app({"TESTING": True}, settings=Settings(database_url, repo.path, tmp_path / "instance"))
    response = app.test_client().post("/hooks/push", data=BODY, headers={"X-Hub-Signature-256": _sign(BODY, "")})
    assert response.status_code == 503
    assert response.get_json()["error"] == "push_hook_not_configured"
    app.extensions["specreg.engine"].dispose()


def test_a_body_over_the_limit_is_a_413_that_does_nothing(hooked):
    app, engine = hooked
    body = b"x" * (MAX_BODY_BYTES + 1)
    response = app.test_client().post("/hooks/push", data=body, headers={"X-Hub-Signature-256": _sign(body)})
    assert response.status_code == 413 and response.is_json
    assert _pending(engine) == []


def test_the_push_hook_takes_no_session_cookie_and_no_csrf_token(hooked):
    app, engine = hooked
    client = app.test_client()
    client.set_cookie("session", "not-a-signed-cookie")
    response = client.post("/hooks/push", data=BODY, headers={"X-Hub-Signature-256": _sign(BODY),
                                                             "Authorization": "Bearer nonsense"})
    assert response.status_code == 202 and len(_pending(engine)) == 1


def test_other_pages_still_refuse_a_post_without_a_csrf_token(hooked):
    app, _engine = hooked
    assert app.test_client().post("/logout").status_code == 403


def test_after_a_push_the_worker_once_ingests_the_new_commits(hooked, repo, database_url, monkeypatch, capsys):
    app, engine = hooked
    head = repo.commit("second rule", {"spec/rules.md": "# Rules\n\n## One {#one}\n\nSay one.\n\n## Two {#two}\n\nTwo.\n"})
    assert app.test_client().post("/hooks/push", data=BODY, headers={"X-Hub-Signature-256": _sign(BODY)}).status_code == 202
    monkeypatch.setenv("SPECREG_DATABASE_URL", database_url)
    monkeypatch.setenv("SPECREG_REPO", str(repo.path))
    assert main(["worker", "--once", "--json"]) == 0
    [job] = [j for j in json.loads(capsys.readouterr().out)["jobs"] if j["job"] == "sync"]
    assert job["reason"] == "requested" and job["head"] == head and job["commits"] == 2
    assert _pending(engine) == []


@pytest.mark.parametrize(("value", "secret"), [("", None), (SECRET, SECRET)])
def test_the_push_hook_secret_is_read_from_the_environment(value, secret):
    from registry.config import load_settings

    assert load_settings({"SPECREG_WEBHOOK_SECRET": value}).webhook_secret == secret


def test_a_push_hook_secret_shorter_than_16_characters_is_refused_at_start_up():
    from registry.config import load_settings
    from registry.errors import ConfigError

    with pytest.raises(ConfigError, match="SPECREG_WEBHOOK_SECRET must be at least 16 characters"):
        load_settings({"SPECREG_WEBHOOK_SECRET": "hunter2"})
