"""Accountability pages: the unapproved-changes report (with acknowledgements), the incident lookup and the
audit trail browser.

The acknowledgement forms post with the CSRF token, call one use case, commit and redirect back.
"""
from __future__ import annotations

from functools import partial
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from registry.accountability import permissions
from registry.accountability.acknowledge import acknowledge_commit, acknowledge_rewrite
from registry.accountability.audit_trail import AuditEntry, audit_events, parse_filter
from registry.accountability.in_force import in_force, moment_and_point
from registry.accountability.unapproved import (
    PER_PAGE,
    history_rewrites,
    page_of,
    pre_governance_count,
    unapproved_count,
    unapproved_page,
)
from registry.db import get_session
from registry.errors import BadRequest, UnknownClause, UnknownRef, UnknownVersion
from registry.history.governance import governance_start
from registry.history.search import search
from registry.paging import window
from registry.web.auth import current_actor
from registry.web.context import page_arg

bp = Blueprint("accountability", __name__)


@bp.get("/unapproved")
def report(commit: str = "", **refused: Any) -> str:
    """Unapproved changes, newest first (`?page=N` or the page of `?commit=SHA`), and the history rewrites."""
    session, commit = get_session(), commit or request.args.get("commit", "")
    page = page_arg(page_of(session, commit) if commit else 1)
    total, open_count = unapproved_count(session)
    return render_template("unapproved.html", changes=unapproved_page(session, page), page=page,
                           governance=governance_start(session), pre_governance=pre_governance_count(session),
                           pages=max(1, -(-total // PER_PAGE)), total=total, open_count=open_count,
                           window=window(page, PER_PAGE, total),
                           rewrites=history_rewrites(session)[::-1], can=permissions.report_actions(current_actor()),
                           **refused)


def _refused(exc: BadRequest, form_id: str, commit: str = "") -> tuple[str, int]:
    """The report again with why nothing was recorded and the reason as typed in form `form_id`."""
    get_session().rollback()
    return report(commit, error=exc.message, kept={"form": form_id, "reason": request.form.get("reason", "")}), exc.status


def _back(anchor: str, message: str) -> Response:
    """Commit, say what happened, and return to the report at the acknowledged row."""
    get_session().commit()
    flash(message)
    commit = anchor[2:] if anchor.startswith("c-") else None
    return redirect(url_for("accountability.report", commit=commit, _anchor=anchor))


@bp.post("/unapproved/<commit>/acknowledge")
def acknowledge(commit: str) -> Response | tuple[str, int]:
    """An admin's reason for one unapproved commit."""
    try:
        ack = acknowledge_commit(get_session(), current_actor(), commit, request.form.get("reason", ""))
    except BadRequest as exc:
        return _refused(exc, f"reason-{commit}", commit)
    return _back(f"c-{commit}", f"Acknowledged commit {commit[:10]}: “{ack.reason}”. It stays flagged as unapproved.")


@bp.post("/rewrites/<int:n>/acknowledge")
def acknowledge_rewrite_form(n: int) -> Response | tuple[str, int]:
    """An admin's reason for one history rewrite."""
    try:
        ack = acknowledge_rewrite(get_session(), current_actor(), n, request.form.get("reason", ""))
    except BadRequest as exc:
        return _refused(exc, f"rewrite-reason-{n}")
    return _back(f"r-{n}", f"Acknowledged history rewrite {n}: “{ack.reason}”.")


def _lookup(clause: str, at: str) -> dict[str, Any]:
    """The page's answer, a search for the clause, or the reason there is no text then."""
    session = get_session()
    try:
        return {"result": in_force(session, clause, at)}
    except (UnknownVersion, UnknownRef) as exc:
        return {"error": exc.message}
    except UnknownClause:  # not an id, now or then: search titles and texts as they stood then
        pass
    try:
        hits = search(session, clause, moment_and_point(session, at)[1], past=True).hits
    except BadRequest as exc:
        return {"error": exc.message}
    return {"hits": hits, "error": None if hits else f"no clause id, title or text matches {clause!r}"}


@bp.get("/incident")
def incident() -> str:
    """What a clause said at a moment, who owned it, who proposed and approved it, and what came next."""
    clause, at = request.args.get("clause", "").strip(), request.args.get("at", "").strip()
    answer = _lookup(clause, at) if clause and at else {}
    return render_template("incident.html", clause=clause, moment=at, **answer)


@bp.app_context_processor
def audit_permission() -> dict[str, bool]:
    """`may_read_audit` for every page (the navigation links the audit trail): the same rule as the use case."""
    return {"may_read_audit": bool(permissions.decision("read_audit",
                                                        partial(permissions.require, "read_audit", current_actor())))}


def subject_url(entry: AuditEntry) -> str | None:
    """The page of the thing an audit event is about (a proposal, clause, user or commit), else None."""
    target = entry.target
    if target is None:
        return None
    kind, value = target
    if kind == "proposal":
        return url_for("proposals.show", n=int(value)) if value.isdigit() and len(value) < 19 else None
    if kind == "clause":
        return url_for("clauses.show", id=value)
    if kind == "user":
        return url_for("admin.users")
    return url_for("accountability.report", commit=value, _anchor=f"c-{value}")


@bp.get("/audit")
def audit() -> Response | str:
    """The audit trail, newest first, filtered and paged like GET /api/v1/audit (admins; log in first)."""
    actor = current_actor()
    if actor is None:
        return redirect(url_for("auth.login_form", next=request.full_path.rstrip("?")))
    wanted = parse_filter(request.args.to_dict())
    page = audit_events(get_session(), actor, wanted)
    return render_template("audit.html", page=page, wanted=wanted, link=subject_url)
