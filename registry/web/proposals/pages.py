"""Proposal pages: propose from a clause page, the proposal page with its actions, lists, the queue.

Every form posts (with the CSRF token), calls one use case, commits and redirects back to the
proposal page, so a reload never repeats an action.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from registry.accounts.actors import require_role
from registry.db import get_session, read_only
from registry.errors import BadRequest, Conflict, Forbidden, SpecregError, StaleRevision
from registry.gitsource import SpecSource
from registry.paging import page_of
from registry.proposals import authoring as proposals
from registry.proposals import permissions, reviews
from registry.proposals.authoring import ChangeInput, check_clause_text, check_input
from registry.proposals.feasibility import proposal_shortfalls
from registry.proposals.governance import FILE, checked_content
from registry.proposals.list_models import ProposalSummary
from registry.proposals.merge import merge as merge_proposal
from registry.proposals.permissions import allowed_actions, require_proposer
from registry.proposals.reads import (
    clause_markdown,
    new_clause_place,
    proposal_detail,
    proposals_page,
    review_queue,
    state_counts,
    waiting_count,
    waiting_for,
)
from registry.proposals.states import APPROVED, CONFLICTED, DRAFT, MERGED, OPEN, REJECTED, WITHDRAWN
from registry.proposals.store import get_proposal
from registry.spec.clause_edit import new_clause_id
from registry.web.auth import current_actor
from registry.web.bodies import checked_first, read_only_request, refused
from registry.web.context import page_arg
from registry.web.proposals.editor_form import (
    SWITCHES,
    editor_state,
    example_level,
    live_preview,
    posted_text,
    preview_of,
)
from registry.web.spec_repo import spec_source

bp = Blueprint("proposals", __name__)
# The list page's tabs: every state once (a test holds it to ProposalState), those people act on first.
STATES = tuple(s.value for s in (OPEN, APPROVED, CONFLICTED, DRAFT, MERGED, REJECTED, WITHDRAWN))
EDITOR_VIEWS = ("preview", *SWITCHES)  # buttons that show the editor again and save nothing
# A form the use case refused (bad input, a second approval, a state that moved on, a role that does not
# allow it) is shown again on the proposal page with the reason and what was typed, never a bare error page.
REFUSED = (BadRequest, Conflict, Forbidden)


def done(n: int, message: str) -> Response:
    get_session().commit()
    flash(message)
    return redirect(url_for("proposals.show", n=n))


def waiting_on_me() -> list[ProposalSummary]:
    """The open and approved proposals waiting on the signed-in user (none when logged out), once per request:
    the header's badge, the home page's list and the list's "waiting on me" tab."""
    if "waiting_on_me" not in g:
        actor = current_actor()
        g.waiting_on_me = [] if actor is None else waiting_for(get_session(), actor)
    return list(g.waiting_on_me)


def waiting_on_me_count() -> int:
    """How many proposals wait on the signed-in user (the header's badge), without building their rows
    unless this request already has them."""
    if "waiting_on_me" in g:
        return len(g.waiting_on_me)
    if "waiting_on_me_count" not in g:
        actor = current_actor()
        g.waiting_on_me_count = 0 if actor is None else waiting_count(get_session(), actor)
    return int(g.waiting_on_me_count)


@bp.app_context_processor
def my_queue() -> dict[str, Any]:
    """`waiting_on_me()` for the home page and the list, its count for every page's header, each
    computed only when a page asks."""
    return {"waiting_on_me": waiting_on_me, "waiting_on_me_count": waiting_on_me_count}


@bp.get("/proposals")
def index() -> str:
    """Proposals by state (default: the open ones), or `?waiting_on=me`: those waiting on the signed-in user."""
    state, clause = request.args.get("state", OPEN.value), request.args.get("clause") or None
    if request.args.get("waiting_on") == "me":
        require_role(current_actor(), "viewer", "see what waits on you")
        shown = page_of(waiting_on_me(), page_arg())
        state, clause = "waiting", None
    else:
        shown = proposals_page(get_session(), None if state == "all" else state, clause, page_arg())
    return render_template("proposals/list.html", rows=shown.items, window=shown.window, state=state,
                           states=STATES, clause=clause, counts=None if clause else state_counts(get_session()))


@bp.get("/proposals/queue")
def queue() -> str:
    """What waits for the logged-in user's approval."""
    actor = require_role(current_actor(), "viewer", "see your review queue")
    return render_template("proposals/queue.html", rows=review_queue(get_session(), actor))


@bp.get("/clauses/<id>/propose")
def propose_form(id: str) -> str:
    """An editor on the clause's current Markdown, with a live preview and diff."""
    require_proposer(current_actor())
    with spec_source() as source:
        clause = clause_markdown(get_session(), source, id)
    return render_template("proposals/edit.html", clause=clause, text=clause.text, form={}, preview=None,
                           editor=editor_state({}, clause.text, clause.id, None))


def _editor_check() -> None:
    """The editor's form before the write lock: a preview or a mode toggle writes nothing; else the limits and one clause."""
    form = request.form
    if form.get("action") in EDITOR_VIEWS:
        return read_only_request()
    check_input([], form.get("title"), form.get("rationale"), form.get("note"))
    if form.get("kind") == FILE:  # the revise page of a governance proposal: the whole file
        checked_content(form.get("id", ""), form.get("text", ""))
    elif form.get("action") != "remove":
        fixed = (request.view_args or {}).get("id") or form.get("id") or None
        check_clause_text(posted_text(form, fixed))


def _clause_text(fixed_id: str | None) -> str:
    """The clause's Markdown from the form, whichever mode it was written in (after the first check's verdict)."""
    refused()
    return posted_text(request.form, fixed_id)


def _open(source: SpecSource, change: ChangeInput) -> Response:
    """Open the proposal the posted form describes (title, rationale, draft) with this one change."""
    form = request.form
    p = proposals.propose(get_session(), source, current_actor(), form.get("title", ""), form.get("rationale", ""),
                          [change], form.get("draft") == "1")
    warnings = "".join(f" Warning: {s.message()}." for s in proposal_shortfalls(get_session(), p.id))
    return done(p.id, f"Proposal #{p.id} is {p.state}.{warnings}")


def kept(template: str, exc: SpecregError, **page: Any) -> tuple[str, int]:
    """The form again with everything the user wrote and why nothing was saved."""
    get_session().rollback()
    return render_template(template, error=exc.message, preview=None, **page), exc.status


@bp.post("/clauses/<id>/propose")
@checked_first(_editor_check)
def propose(id: str) -> Response | tuple[str, int] | str:
    """Preview (no change), or open the proposal: new text, or removing the clause."""
    require_proposer(current_actor())  # the preview too, as on the editor page
    form = request.form
    with spec_source() as source:
        clause = clause_markdown(get_session(), source, id)
        page: dict[str, Any] = {"clause": clause, "form": form}
        try:
            text = "" if form.get("action") == "remove" else _clause_text(clause.id)
            page |= {"text": text, "editor": editor_state(form, text, clause.id, None)}
            if form.get("action") in EDITOR_VIEWS:
                return render_template("proposals/edit.html", preview=preview_of(clause.id, text, clause.body),
                                       **page)
            refused()
            return _open(source, ChangeInput("remove", clause.id) if form.get("action") == "remove"
                         else ChangeInput("change", clause.id, text))
        except SpecregError as exc:
            return kept("proposals/edit.html", exc, **_typed_page(page, clause.id, None))


@bp.get("/proposals/new")
def add_form() -> str:
    """An empty editor for a new clause: after a clause (`?after=ID`) or at a document's end (`?document=PATH`)."""
    require_proposer(current_actor())
    place = new_clause_place(get_session(), request.args.get("after"), request.args.get("document"))
    return render_template("proposals/add.html", place=place, text="", form={}, preview=None,
                           editor=editor_state({}, "", None, example_level(place.example)))


@bp.post("/proposals/new")
@checked_first(_editor_check)
def add() -> Response | tuple[str, int] | str:
    """Preview (no change), or open a proposal adding the clause; its id comes from its heading line."""
    require_proposer(current_actor())
    form = request.form
    place = new_clause_place(get_session(), form.get("after"), form.get("document"))
    page: dict[str, Any] = {"place": place, "form": form}
    level = example_level(place.example)
    with spec_source() as source:
        try:
            text = _clause_text(None)
            page |= {"text": text, "editor": editor_state(form, text, None, level)}
            if form.get("action") in EDITOR_VIEWS:
                return render_template("proposals/add.html", preview=preview_of("", text, ""), **page)
            return _open(source, ChangeInput("add", new_clause_id(text), text, place.document, place.after))
        except SpecregError as exc:
            return kept("proposals/add.html", exc, **_typed_page(page, None, level))


def _typed_page(page: dict[str, Any], fixed_id: str | None, level: int | None) -> dict[str, Any]:
    """A refused editor page keeps what was typed: the Markdown, or the fields as they were."""
    text = page.get("text") or request.form.get("text", "")
    return page | {"text": text, "editor": editor_state(request.form, text, fixed_id, level, refused=True)}


@bp.post("/proposals/preview")
@read_only
def preview() -> Response:
    """The live preview's JSON (posted by static/propose.js with the CSRF header); changes nothing."""
    require_role(current_actor(), "editor", "preview a proposal")
    data = request.get_json(silent=True)
    return jsonify(live_preview(data if isinstance(data, dict) else {}))


@bp.get("/proposals/<int:n>")
def show(n: int) -> str:
    """Revisions, the diff, reviews, comments, policy status and the actions this user may take."""
    session = get_session()
    return render_template("proposals/show.html", p=proposal_detail(session, n),
                           can=allowed_actions(session, n, current_actor()))


def _revise_page(n: int, key: str | None, text: str | None = None, error: str | None = None, note: str = "") -> str:
    """The editor on one clause of the proposal's current revision (`key`, default the first with text).

    After a refused save, `text` is what the user wrote: it stays in the editor, and the clause's text
    in the current revision is shown beside it, so nothing is lost and nothing is overwritten unseen.
    """
    p = proposal_detail(get_session(), n)
    texts = [c for c in p.current.changes if c.kind != "remove"]
    change = next((c for c in texts if c.id == key), None)
    if change is None and (text is None or not key):
        change = texts[0] if texts else None
    if change is None and text is None:
        raise BadRequest("this proposal only removes clauses; there is no text to revise")
    # change is None when the current revision no longer has the clause the user was revising.
    current = change.text if change else None
    shown, clause_id = (current or "") if text is None else text, change.id if change else key
    return render_template("proposals/revise.html", p=p, clause_id=clause_id, current=current,
                           kind=change.kind if change else None,
                           base_body=change.base.body if change and change.base else "", error=error, note=note,
                           text=shown, editor=editor_state(request.form, shown, clause_id, None, refused=error is not None))


@bp.get("/proposals/<int:n>/revise")
def revise_form(n: int) -> str:
    """The editor on one clause of the proposal (`?id=`, default the first with text), for whoever may revise it."""
    # The same rule as saving: an editor that could never be saved is not offered (401, 403 or 409, with the reason).
    permissions.check(get_session(), current_actor(), get_proposal(get_session(), n), "revise")
    return _revise_page(n, request.args.get("id"))


@bp.post("/proposals/<int:n>/revise")
@checked_first(_editor_check)
def revise(n: int) -> Response | tuple[str, int]:
    """A new revision of one clause, based on the revision the page showed (the others stay as they are)."""
    form = request.form
    try:
        text = form.get("text", "") if form.get("kind") == FILE else _clause_text(form.get("id") or None)
        with spec_source() as source:
            p = proposals.revise_clause(get_session(), source, current_actor(), n, form.get("id") or None,
                                        text, note=form.get("note", ""), seen=_revision_seen())
    except SpecregError as exc:  # nothing was recorded: the page again, with the user's text and the reason
        get_session().rollback()
        return _revise_page(n, form.get("id") or None, form.get("text", ""), exc.message,
                            form.get("note", "")), exc.status
    return done(n, f"Revision {p.revision} saved; earlier approvals are now stale.")


def _show_again(n: int, exc: SpecregError, **kept: object) -> tuple[str, int]:
    """The proposal page again with why nothing was recorded and what the user typed in its form."""
    session = get_session()
    session.rollback()
    return render_template("proposals/show.html", p=proposal_detail(session, n),
                           can=allowed_actions(session, n, current_actor()), error=exc.message, kept=kept), exc.status


@bp.post("/proposals/<int:n>/comment")
def comment(n: int) -> Response | tuple[str, int]:
    """Add a comment."""
    text = request.form.get("text", "")
    try:
        proposals.comment(get_session(), current_actor(), n, text)
    except REFUSED as exc:
        return _show_again(n, exc, text=text)
    return done(n, "Comment added.")


def _revision_seen() -> int | None:
    """The form's hidden `revision`: the revision the page showed (to a reviewer, or to the author revising)."""
    raw = request.form.get("revision", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise BadRequest(f"revision must be a revision number, not {raw!r}")
    return int(raw)


@bp.post("/proposals/<int:n>/review")
def review(n: int) -> Response | tuple[str, int]:
    """Approve or request changes, for the revision the page showed; a newer one sends the reviewer back."""
    kind = "approve" if request.form.get("kind") == "approve" else "request_changes"
    text = request.form.get("comment", "")
    try:
        r = getattr(reviews, kind)(get_session(), current_actor(), n, text, _revision_seen())
    except StaleRevision as exc:  # nothing was recorded: show the new revision with the reason
        get_session().rollback()
        flash(f"Not recorded: {exc.message}.")
        return redirect(url_for("proposals.show", n=n))
    except REFUSED as exc:
        return _show_again(n, exc, comment=text)
    return done(n, f"Recorded: {r.meaning}.")


@bp.post("/proposals/<int:n>/withdraw-veto")
def withdraw_veto(n: int) -> Response:
    """Take back your request for changes."""
    reviews.withdraw_veto(get_session(), current_actor(), n)
    return done(n, "Your request for changes is withdrawn.")


@bp.post("/proposals/<int:n>/reviews/<int:review_id>/dismiss")
def dismiss(n: int, review_id: int) -> Response | tuple[str, int]:
    """An admin dismisses a request for changes with a reason."""
    reason = request.form.get("reason", "")
    try:
        reviews.dismiss_veto(get_session(), current_actor(), n, review_id, reason)
    except REFUSED as exc:
        return _show_again(n, exc, reason=reason, review=review_id)
    return done(n, "The request for changes is dismissed.")


@bp.post("/proposals/<int:n>/submit", defaults={"action": "submit"})
@bp.post("/proposals/<int:n>/withdraw", defaults={"action": "withdraw"})
@bp.post("/proposals/<int:n>/reject", defaults={"action": "reject"})
def close(n: int, action: str) -> Response | tuple[str, int]:
    """Submit a draft, withdraw or reject."""
    args = () if action == "submit" else (request.form.get("reason", ""),)
    try:
        p = getattr(proposals, action)(get_session(), current_actor(), n, *args)
    except REFUSED as exc:
        return _show_again(n, exc, **{action: "".join(args)})
    return done(n, f"Proposal #{n} is {p.state}.")


@bp.post("/proposals/<int:n>/merge")
def merge(n: int) -> Response:
    """Merge; a conflict is recorded and shown."""
    config = current_app.config
    result = merge_proposal(get_session(), config["SPEC_REPO"], config["SPEC_BRANCH"], current_actor(), n,
                            remote=config["SPEC_REMOTE"])
    if result.conflicts:  # recorded (the proposal is now conflicted), then shown on its page
        reasons = "; ".join(result.conflicts)
        return done(n, f"Not merged: {reasons}. Revise the proposal against the current text.")
    return done(n, f"Merged as commit {(result.commit or '?')[:12]}.")
