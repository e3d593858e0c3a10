"""Proposal endpoints of the JSON API: the same use cases as the CLI and the pages.

Reads are open like the rest of the API; every write needs `Authorization: Bearer TOKEN`.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from registry.db import get_session
from registry.errors import MergeConflict
from registry.proposals import authoring as proposals
from registry.proposals import reviews
from registry.proposals.authoring import ChangeInput, check_input
from registry.proposals.check_reports import report_check
from registry.proposals.feasibility import proposal_shortfalls
from registry.proposals.merge import merge as merge_proposal
from registry.proposals.reads import list_proposals, proposal_detail, review_queue
from registry.proposals.store import get_proposal
from registry.web.auth import current_actor, token_scope
from registry.web.bodies import NOTHING, REASON, Field, Schema, checked_first, json_body
from registry.web.spec_repo import spec_source

bp = Blueprint("proposals_api", __name__, url_prefix="/api/v1")

CHANGE: Schema = {"kind": Field(str, default="change", choices=("change", "add", "remove", "file")),
                  "id": Field(str, required=True), "text": Field(str), "document": Field(str), "after": Field(str)}
CREATE: Schema = {"title": Field(str, required=True), "rationale": Field(str, required=True),
                  "changes": Field(list, required=True, items=CHANGE), "draft": Field(bool, default=False)}
REVISE: Schema = {"changes": Field(list, required=True, items=CHANGE), "note": Field(str, default=""),
                  "revision": Field(int, minimum=1)}
COMMENT: Schema = {"text": Field(str, required=True)}
REVIEW: Schema = {"kind": Field(str, required=True, choices=("approve", "request_changes")),
                  "comment": Field(str, default=""), "revision": Field(int, minimum=1)}
CHECK: Schema = {"name": Field(str, required=True), "status": Field(str, required=True,
                                                                   choices=("pending", "success", "failure")),
                 "revision": Field(int, required=True, minimum=1), "url": Field(str), "summary": Field(str, default="")}
OPTIONAL_REASON: Schema = {"reason": Field(str, default="")}
CLOSE = {"submit": NOTHING, "withdraw": OPTIONAL_REASON, "reject": REASON}


def changes_from(items: list[dict[str, Any]]) -> list[ChangeInput]:
    """Validated `changes` items as use-case inputs."""
    return [ChangeInput(c["kind"], c["id"], c["text"], c["document"], c["after"]) for c in items]


def _state(n: int, status: int = 200, **extra: Any) -> tuple[Response, int]:
    get_session().commit()
    return jsonify({"id": n, "state": get_proposal(get_session(), n).state, **extra}), status


@bp.get("/proposals")
def index() -> Response:
    """{"proposals": [...]}, newest first; `state` and `clause` filter."""
    rows = list_proposals(get_session(), request.args.get("state") or None, request.args.get("clause") or None)
    return jsonify({"proposals": [r.as_dict() for r in rows]})


def _create_check() -> None:
    data = json_body(CREATE)
    check_input(changes_from(data["changes"]), data["title"], data["rationale"])


def _revise_check() -> None:
    data = json_body(REVISE)
    check_input(changes_from(data["changes"]), note=data["note"])


@bp.post("/proposals")
@checked_first(_create_check)
def create() -> tuple[Response, int]:
    """Open (or with "draft": true, draft) a proposal: {"title", "rationale", "changes"}."""
    data = json_body(CREATE)
    with spec_source() as source:
        p = proposals.propose(get_session(), source, current_actor(), data["title"], data["rationale"],
                              changes_from(data["changes"]), data["draft"])
    short = proposal_shortfalls(get_session(), p.id)
    return _state(p.id, 201, infeasible=[s.as_dict() for s in short])


@bp.get("/proposals/<int:n>")
def show(n: int) -> Response:
    """Everything `specreg proposal N --json` prints."""
    return jsonify(proposal_detail(get_session(), n).as_dict())


@bp.post("/proposals/<int:n>/revisions")
@checked_first(_revise_check)
def revise(n: int) -> tuple[Response, int]:
    """A new revision: {"changes", "note", "revision"}; 409 stale_revision when `revision` is not current."""
    data = json_body(REVISE)
    with spec_source() as source:
        p = proposals.revise(get_session(), source, current_actor(), n, changes_from(data["changes"]), data["note"],
                             data["revision"])
    return _state(n, 201, revision=p.revision)


@bp.post("/proposals/<int:n>/comments")
def comment(n: int) -> tuple[Response, int]:
    """{"text"}."""
    row = proposals.comment(get_session(), current_actor(), n, json_body(COMMENT)["text"])
    return _state(n, 201, comment=row.id)


@bp.post("/proposals/<int:n>/reviews")
def review(n: int) -> tuple[Response, int]:
    """{"kind": "approve" | "request_changes", "comment", "revision"}; 409 stale_revision when not current."""
    data = json_body(REVIEW)
    r = getattr(reviews, data["kind"])(get_session(), current_actor(), n, data["comment"], data["revision"])
    return _state(n, 201, review=r.id, meaning=r.meaning, digest=r.digest)


@bp.post("/proposals/<int:n>/checks")
@token_scope("checks")
def check(n: int) -> tuple[Response, int]:
    """Report a check on a revision: {"name", "status", "revision", "url", "summary"}; a `checks` token suffices."""
    data = json_body(CHECK)
    row = report_check(get_session(), current_actor(), n, data["name"], data["status"], data["revision"],
                       data["url"], data["summary"])
    return _state(n, 201, check=row.id)


@bp.post("/proposals/<int:n>/withdraw-veto")
def withdraw_veto(n: int) -> tuple[Response, int]:
    """Take back your own request for changes."""
    json_body(NOTHING)
    r = reviews.withdraw_veto(get_session(), current_actor(), n)
    return _state(n, review=r.id)


@bp.post("/proposals/<int:n>/reviews/<int:review_id>/dismiss")
def dismiss(n: int, review_id: int) -> tuple[Response, int]:
    """An admin dismisses a request for changes: {"reason"}."""
    reviews.dismiss_veto(get_session(), current_actor(), n, review_id, json_body(REASON)["reason"])
    return _state(n, review=review_id)


@bp.post("/proposals/<int:n>/submit", defaults={"action": "submit"})
@bp.post("/proposals/<int:n>/withdraw", defaults={"action": "withdraw"})
@bp.post("/proposals/<int:n>/reject", defaults={"action": "reject"})
def close(n: int, action: str) -> tuple[Response, int]:
    """Submit a draft, withdraw, or reject ({"reason"} for the last two)."""
    data = json_body(CLOSE[action])
    if action == "submit":
        proposals.submit(get_session(), current_actor(), n)
    else:  # by name: a body field added to the schema can never land in the reason
        getattr(proposals, action)(get_session(), current_actor(), n, reason=data["reason"])
    return _state(n)


@bp.post("/proposals/<int:n>/merge")
def merge(n: int) -> tuple[Response, int]:
    """{"id", "state", "commit"}; 409 policy_not_satisfied or merge_conflict (the conflict is recorded)."""
    json_body(NOTHING)
    config = current_app.config
    result = merge_proposal(get_session(), config["SPEC_REPO"], config["SPEC_BRANCH"], current_actor(), n,
                            remote=config["SPEC_REMOTE"])
    get_session().commit()
    if result.conflicts:
        raise MergeConflict(f"proposal #{n} conflicts and must be revised: " + "; ".join(result.conflicts))
    return jsonify(result.as_dict()), 200


@bp.get("/review-queue")
def queue() -> Response:
    """{"proposals": [...]}: what waits for the token's owner to approve."""
    from registry.accounts.actors import require_role

    rows = review_queue(get_session(), require_role(current_actor(), "viewer", "see a queue"))
    return jsonify({"proposals": [r.as_dict() for r in rows]})


@bp.get("/me")
def me() -> Response:
    """The token's account: {"email", "name", "role"} (401 without a token)."""
    from registry.accounts.actors import require_role

    return jsonify(require_role(current_actor(), "viewer", "say who you are").as_dict())
