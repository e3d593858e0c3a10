"""POST /hooks/push: a git host says the spec's remote moved; a sync is requested and the host answered at once.

Authenticated by the shared secret SPECREG_WEBHOOK_SECRET, never by a session or token: GitHub and
Gitea send `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`, GitLab sends the secret
itself as `X-Gitlab-Token`; both are compared in constant time. A bad or missing signature is a 401
and changes nothing; with no secret configured the endpoint answers 503 push_hook_not_configured.
A good one records a sync request (coalesced with any pending one) for `specreg worker` and answers
202: the request never waits for git or ingest. A replay of one it accepted (the same signed body or
the same delivery id within a week, or a GitHub push older than that) is a 409 push_hook_replayed
that changes nothing (registry/worker/notifications.py).
"""
from __future__ import annotations

import hashlib
import hmac
import logging

from flask import Blueprint, Response, current_app, jsonify, request

from registry.db import get_session
from registry.errors import HookNotConfigured, Unauthorized
from registry.models import utcnow
from registry.worker.notifications import names, remember
from registry.worker.requests import SYNC, request_job

bp = Blueprint("hooks", __name__)
log = logging.getLogger("specreg.hooks")

SIGNATURE_HEADER = "X-Hub-Signature-256"
GITLAB_TOKEN_HEADER = "X-Gitlab-Token"
# Which host sent it (for the log and the request's source), by the event header each one sends.
_HOSTS = (("X-GitHub-Event", "github"), ("X-Gitea-Event", "gitea"), ("X-Gitlab-Event", "gitlab"))
_DELIVERY_HEADERS = ("X-GitHub-Delivery", "X-Gitea-Delivery", "X-Gitlab-Event-UUID")


def _bytes(value: str) -> bytes:
    # Headers arrive as latin-1 text; any byte a client sent compares, none raises.
    return value.encode("latin-1", "replace")


def signature_ok(secret: str, body: bytes, signature: str | None, gitlab_token: str | None) -> bool:
    """Whether the body carries the secret's HMAC (GitHub, Gitea) or, without one, GitLab's token is the secret."""
    key = secret.encode("utf-8")
    if signature is not None:
        expected = b"sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest().encode()
        return hmac.compare_digest(expected, _bytes(signature.strip()))
    if gitlab_token is not None:
        return hmac.compare_digest(key, _bytes(gitlab_token))
    return False


def _sender() -> tuple[str, str]:
    """(host, event) named by the request's headers: ("github", "push"), else ("unknown", "")."""
    for header, host in _HOSTS:
        if header in request.headers:
            return host, request.headers[header][:60]
    return "unknown", ""


def _delivery() -> str:
    """The git host's id of this delivery, the same on its redeliveries ("" when none was sent)."""
    return next((request.headers[h] for h in _DELIVERY_HEADERS if request.headers.get(h)), "")[:100]


@bp.post("/hooks/push")
def push() -> tuple[Response, int]:
    """Record a sync request for the worker when the signature is good: 202, or 401 doing nothing."""
    secret = current_app.config.get("WEBHOOK_SECRET")
    if not secret:
        raise HookNotConfigured("push hooks are off: set SPECREG_WEBHOOK_SECRET (docs/deploy.md)")
    body = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH: a 413 before any of it is read
    signature = request.headers.get(SIGNATURE_HEADER)
    if not signature_ok(secret, body, signature, request.headers.get(GITLAB_TOKEN_HEADER)):
        raise Unauthorized(f"the push hook's {SIGNATURE_HEADER} (or {GITLAB_TOKEN_HEADER}) does not match "
                           "SPECREG_WEBHOOK_SECRET")
    (host, event), delivery = _sender(), _delivery()
    session = get_session()
    signed = body if signature is not None else None  # GitLab's token signs no body: only its delivery id names it
    remember(session, signed, names(signed, host, delivery), utcnow())
    request_job(session, SYNC, f"hooks/push ({host}{' ' + event if event else ''})")
    session.commit()
    log.info("push hook accepted: sync requested", extra={"fields": {"host": host, "event": event,
                                                                      "delivery": delivery}})
    return jsonify({"status": "accepted", "job": SYNC}), 202
