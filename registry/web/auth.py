"""Who is asking: login sessions (local accounts), a trusted SSO header, or an API token; and CSRF.

- Pages: a server-side login session whose key sits in Flask's signed cookie (revocable: logout,
  `specreg user revoke-sessions`, disabling the account). With SPECREG_AUTH=header the configured
  header names the user instead; it is trusted only in that mode, ignored otherwise.
- API (/api/): only `Authorization: Bearer TOKEN`; cookies are never read there, so a page
  elsewhere cannot make a logged-in browser change anything through the API.
- Every state-changing request to a page carries the session's CSRF token (a form field or the
  X-CSRF-Token header); GET never changes state.
"""
from __future__ import annotations

import hmac
import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from registry.accounts.actors import Actor
from registry.accounts.credentials import FULL, actor_for_session, actor_for_token, end_session, start_session
from registry.accounts.logins import log_in
from registry.accounts.users import actor_for, sso_actor
from registry.db import get_session, request_writes
from registry.errors import ConfigError, CsrfFailure, NotFound, TooManyAttempts, Unauthorized, UnknownUser
from registry.models import utcnow

bp = Blueprint("auth", __name__)
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
View = TypeVar("View", bound=Callable[..., object])


API_DOCS = "/api/docs"  # the API reference is a page for people, read with the browser's session


def api_request() -> bool:
    """Whether this request is for the JSON API: /api/..., all but the reference page."""
    return request.path.startswith("/api/") and request.path != API_DOCS


def current_actor() -> Actor | None:
    """The acting user of this request, or None."""
    return g.get("actor")


def token_scope(scope: str) -> Callable[[View], View]:
    """Mark an API view as needing only this token scope (every other view needs a full token)."""
    def mark(view: View) -> View:
        view.token_scope = scope  # type: ignore[attr-defined]
        return view
    return mark


def _needed_scope() -> str:
    """The token scope this request needs: what its view is marked with, else full (unknown URLs too)."""
    view = current_app.view_functions.get(request.endpoint or "")
    return str(getattr(view, "token_scope", FULL))


def _bearer() -> Actor | None:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("use `Authorization: Bearer TOKEN` (create one with `specreg token create`)")
    return actor_for_token(get_session(), token, _needed_scope())


def _from_header(email: str) -> Actor | None:
    """The SSO user; their account is created on their first state-changing request, never on a GET."""
    if request_writes():
        return sso_actor(get_session(), email)
    try:
        return actor_for(get_session(), email)
    except (UnknownUser, Unauthorized):
        g.sso_pending = email
        return None


def load_actor() -> None:
    """Set g.actor from the token (API), the SSO header (header mode) or the login session."""
    if request.blueprint in ("health", "hooks"):
        g.actor = None  # health checks answer anyone, push hooks prove themselves by their signature
    elif api_request():
        g.actor = _bearer()
    elif current_app.config["AUTH"] == "header":
        email = request.headers.get(current_app.config["AUTH_HEADER"], "").strip()
        g.actor = _from_header(email) if email else None
    elif current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        # No cookie, no session to read: leaving it unread keeps `Vary: Cookie` off an anonymous answer,
        # so a shared cache may keep it (the feeds); a forged or empty cookie is still read, and refused.
        g.actor = None
    else:
        key = session.get("sid")
        g.actor = actor_for_session(get_session(), key) if key else None


def csrf_token() -> str:
    """This browser session's CSRF token (made on first use)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    """Refuse a state-changing page request without the session's CSRF token."""
    if request.method not in UNSAFE or api_request() or request.blueprint == "hooks":
        return  # the API has tokens, a push hook its signature: neither reads the session cookie
    given = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token", "")
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(expected, given):
        raise CsrfFailure("the form's security token is missing or out of date; reload the page and try again")


def same_site_path(target: str | None) -> str | None:
    """The target when it is a path on this site, else None (no open redirect, no header injection).

    Browsers drop tabs and line breaks from a URL and read a backslash as a slash, so
    `/%09/evil.example` (a tab) and `/%5Cevil.example` (a backslash) mean `//evil.example`, another
    host. Any character that is not printable (controls, line and paragraph separators, whitespace
    but a space) or a backslash refuses the target outright; what is left must be a path with one
    leading '/', no scheme and no host.
    """
    if not target or "\\" in target or not target.isprintable():
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def _safe_next(target: str | None) -> str:
    """Where to go after logging in: a same-site path, else the home page."""
    return same_site_path(target) or url_for("pages.home")


@bp.get("/login")
def login_form() -> str:
    """The login page (local accounts only)."""
    if current_app.config["AUTH"] != "local":
        raise NotFound("sign-in happens at the single sign-on proxy in front of Specreg")
    return render_template("login.html", next=request.args.get("next", ""))


@bp.post("/login")
def login() -> Response | tuple[str, int]:
    """Check the password; start a server-side session (the failure is audited too); 429 while throttled."""
    db, form = get_session(), request.form
    try:
        actor = log_in(db, form.get("email", ""), form.get("password", ""), request.remote_addr or "",
                       current_app.config["CLOCK"]())
    except TooManyAttempts as exc:
        page = render_template("login.html", next=form.get("next", ""), refused=exc.message)
        return Response(page, 429, {"Retry-After": str(exc.minutes * 60)}, mimetype="text/html")
    key = start_session(db, actor) if actor else None
    db.commit()
    if key is None:
        return render_template("login.html", next=form.get("next", ""), failed=True), 401
    session.clear()  # a fresh cookie (and CSRF token) at the privilege change
    session["sid"] = key
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout() -> Response:
    """End the server-side session."""
    if session.get("sid"):
        end_session(get_session(), session["sid"])
        get_session().commit()
    session.clear()
    return redirect(url_for("pages.home"))


def _secret_key(app: Flask, configured: str | None) -> str:
    """The configured key, else the instance folder's (see instance_secret_key)."""
    return configured or instance_secret_key(Path(app.instance_path))


def instance_secret_key(instance: Path) -> str:
    """The key kept (owner-only) in the instance folder, generated once; ConfigError when it cannot be.

    Several workers may start at once on an empty instance: each writes a candidate to a temp file
    created 0600 and links it into place, which fails when the name exists, so the first writer's
    key wins and the others read it. The key file is never visible half-written or to other users.
    """
    path = instance / "secret_key"
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(prefix=".secret_key.", dir=path.parent)  # mkstemp creates it 0600
            try:
                with os.fdopen(fd, "w") as out:
                    out.write(secrets.token_urlsafe(48))
                    out.flush()
                    os.fsync(out.fileno())
                os.link(temp, path)
            except FileExistsError:
                pass  # another worker's key is in place: use it
            finally:
                os.unlink(temp)
        elif path.stat().st_mode & 0o077:
            path.chmod(0o600)  # a key kept by an older version, readable by others
        key = path.read_text().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot keep the session key in {path} ({exc.__class__.__name__}: "
                          f"{getattr(exc, 'strerror', None) or exc}); set SPECREG_SECRET_KEY") from exc
    if not key:
        raise ConfigError(f"the session key file {path} is empty; delete it (a new key is made) "
                          "or set SPECREG_SECRET_KEY")
    return key


def init_app(app: Flask, auth: str, header: str, secret: str | None, secure_cookies: bool = False) -> None:
    """Sessions, cookie settings, the actor and CSRF checks, and the login routes."""
    app.config.setdefault("AUTH", auth)
    app.config.setdefault("AUTH_HEADER", header)
    app.config.setdefault("CLOCK", utcnow)  # the login throttle's clock; tests move it instead of sleeping
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app, secret)
    # Scripts never read the cookie, and other sites' forms and subrequests do not carry it; Secure
    # (HTTPS only) is opt-in because the local demo runs over plain http.
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=secure_cookies)
    app.before_request(check_csrf)
    app.before_request(load_actor)
    app.add_template_global(csrf_token, "csrf_token")
    app.context_processor(lambda: {"actor": g.get("actor"), "sso_pending": g.get("sso_pending"),
                                   "auth_mode": app.config["AUTH"]})
    app.register_blueprint(bp)
