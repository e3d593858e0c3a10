"""The admin's webhooks page: list, add and remove webhooks, and see each delivery's attempts.

The same use cases as `specreg webhook ...`, so checks and audit events are the same. A secret is
never shown back: one made for a new webhook is shown once, on the page that answers the form (never
in a flash message, which would travel in the cookie).
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from registry.db import get_session
from registry.errors import BadRequest, NotFound, SpecregError
from registry.web.auth import current_actor
from registry.webhooks.delivery import deliveries
from registry.webhooks.events import EVENTS
from registry.webhooks.subscriptions import add_webhook, list_webhooks, manager, remove_webhook

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")


@bp.before_request
def admins_only() -> None:
    """Every page and form here needs an admin (401 logged out, 403 for other roles)."""
    manager(current_actor())


def _page(error: str | None = None, status: int = 200, made: tuple[int, str] | None = None) -> tuple[str, int]:
    session, failed = get_session(), request.args.get("failed") == "1"
    typed = {"url": request.form.get("url", ""), "events": request.form.getlist("events")} if error else {}
    return render_template("admin/webhooks.html", hooks=list_webhooks(session), events=EVENTS, error=error,
                           deliveries=deliveries(session, failed=failed, limit=50), failed=failed, made=made,
                           typed=typed), status


@bp.errorhandler(BadRequest)
@bp.errorhandler(NotFound)
def refused(exc: SpecregError) -> tuple[str, int]:
    """The page again with what went wrong and the form as typed (never the secret); nothing is kept."""
    get_session().rollback()
    return _page(f"Could not {'add the webhook' if request.endpoint == 'webhooks.add' else 'remove it'}: "
                 f"{exc.message}", exc.status)


@bp.get("")
def index() -> tuple[str, int]:
    """The webhooks and the latest deliveries (?failed=1: only those failing)."""
    return _page()


@bp.post("")
def add() -> Response | tuple[str, int]:
    """Add a webhook; a secret made for it is shown on this answer only."""
    session = get_session()
    view, made = add_webhook(session, current_actor(), request.form.get("url", ""),
                             ",".join(request.form.getlist("events")), request.form.get("secret") or None)
    session.commit()
    if made:
        return _page(made=(view.id, made))
    flash(f"Added webhook {view.id} for {view.url}.")
    return redirect(url_for("webhooks.index"), 303)


@bp.post("/<int:webhook_id>/remove")
def remove(webhook_id: int) -> Response:
    """Remove a webhook; its unsent deliveries are cancelled."""
    view = remove_webhook(get_session(), current_actor(), webhook_id)
    get_session().commit()
    flash(f"Removed webhook {view.id} ({view.url}); its unsent deliveries are cancelled.")
    return redirect(url_for("webhooks.index"), 303)
