"""Proposal endpoints of the JSON API: the same use cases as the CLI and the pages.

Reads are open like the rest of the API; every write needs `Authorization: Bearer TOKEN`.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from registry import proposals, reviews
from registry.db import get_session
from registry.errors import BadRequest, MergeConflict
from registry.gitsource import SpecSource
from registry.merge import merge as merge_proposal
from registry.proposal_store import get_proposal
from registry.proposal_views import list_proposals, proposal_detail, review_queue
from registry.proposals import ChangeInput
from registry.web.auth import current_actor

bp = Blueprint("proposals_api", __name__, url_prefix="/api/v1")


def body() -> dict[str, Any]:
    """The request's JSON object."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("send a JSON object (Content-Type: application/json)")
    return data


def changes_from(data: dict[str, Any]) -> list[ChangeInput]:
    """`changes`: [{"kind", "id", "text", "document", "after"}] as use-case inputs."""
    items = data.get("changes")
    if not isinstance(items, list) or not all(isinstance(c, dict) and isinstance(c.get("id"), str) for c in items):
        raise BadRequest('"changes" must be a list of {"kind", "id", "text", "document", "after"} objects')
    return [ChangeInput(str(c.get("kind", "change")), c["id"], c.get("text"), c.get("document"), c.get("after"))
            for c in items]


def _state(n: int, status: int = 200, **extra: Any) -> tuple[Response, int]:
    get_session().commit()
    return jsonify({"id": n, "state": get_proposal(get_session(), n).state, **extra}), status


def _repo() -> SpecSource:
    return SpecSource(current_app.config["SPEC_REPO"])


@bp.get("/proposals")
def index() -> Response:
    """{"proposals": [...]}, newest first; `state` and `clause` filter."""
    rows = list_proposals(get_session(), request.args.get("state") or None, request.args.get("clause") or None)
    return jsonify({"proposals": rows})


@bp.post("/proposals")
def create() -> tuple[Response, int]:
    """Open (or with "draft": true, draft) a proposal: {"title", "rationale", "changes"}."""
    data = body()
    with _repo() as source:
        p = proposals.propose(get_session(), source, current_actor(), str(data.get("title", "")),
                              str(data.get("rationale", "")), changes_from(data), bool(data.get("draft")))
    return _state(p.id, 201)


@bp.get("/proposals/<int:n>")
def show(n: int) -> Response:
    """Everything `specreg proposal N --json` prints."""
    return jsonify(proposal_detail(get_session(), n))


@bp.post("/proposals/<int:n>/revisions")
def revise(n: int) -> tuple[Response, int]:
    """A new revision: {"changes", "note"}; earlier approvals become stale."""
    data = body()
    with _repo() as source:
        p = proposals.revise(get_session(), source, current_actor(), n, changes_from(data), str(data.get("note", "")))
    return _state(n, 201, revision=p.revision)


@bp.post("/proposals/<int:n>/comments")
def comment(n: int) -> tuple[Response, int]:
    """{"text"}."""
    row = proposals.comment(get_session(), current_actor(), n, str(body().get("text", "")))
    return _state(n, 201, comment=row.id)


@bp.post("/proposals/<int:n>/reviews")
def review(n: int) -> tuple[Response, int]:
    """{"kind": "approve" | "request_changes", "comment", "revision"}; 409 stale_revision when not current."""
    data = body()
    kind = data.get("kind")
    if kind not in ("approve", "request_changes"):
        raise BadRequest('"kind" must be "approve" or "request_changes"')
    r = getattr(reviews, kind)(get_session(), current_actor(), n, str(data.get("comment", "")),
                               data.get("revision"))
    return _state(n, 201, review=r.id, meaning=r.meaning, digest=r.digest)


@bp.post("/proposals/<int:n>/withdraw-veto")
def withdraw_veto(n: int) -> tuple[Response, int]:
    """Take back your own request for changes."""
    r = reviews.withdraw_veto(get_session(), current_actor(), n)
    return _state(n, review=r.id)


@bp.post("/proposals/<int:n>/reviews/<int:review_id>/dismiss")
def dismiss(n: int, review_id: int) -> tuple[Response, int]:
    """An admin dismisses a request for changes: {"reason"}."""
    reviews.dismiss_veto(get_session(), current_actor(), n, review_id, str(body().get("reason", "")))
    return _state(n, review=review_id)


@bp.post("/proposals/<int:n>/submit", defaults={"action": "submit"})
@bp.post("/proposals/<int:n>/withdraw", defaults={"action": "withdraw"})
@bp.post("/proposals/<int:n>/reject", defaults={"action": "reject"})
def close(n: int, action: str) -> tuple[Response, int]:
    """Submit a draft, withdraw, or reject ({"reason"} for the last two)."""
    reason = (request.get_json(silent=True) or {}).get("reason", "") if action != "submit" else None
    args = () if reason is None else (str(reason),)
    getattr(proposals, action)(get_session(), current_actor(), n, *args)
    return _state(n)


@bp.post("/proposals/<int:n>/merge")
def merge(n: int) -> tuple[Response, int]:
    """{"id", "state", "commit"}; 409 policy_not_satisfied or merge_conflict (the conflict is recorded)."""
    config = current_app.config
    result = merge_proposal(get_session(), config["SPEC_REPO"], config["SPEC_BRANCH"], current_actor(), n)
    get_session().commit()
    if result.conflicts:
        raise MergeConflict(f"proposal #{n} conflicts and must be revised: " + "; ".join(result.conflicts))
    return jsonify(result.as_dict()), 200


@bp.get("/review-queue")
def queue() -> Response:
    """{"proposals": [...]}: what waits for the token's owner to approve."""
    from registry.accounts import require_role

    return jsonify({"proposals": review_queue(get_session(), require_role(current_actor(), "viewer", "see a queue"))})


@bp.get("/me")
def me() -> Response:
    """The token's account: {"email", "name", "role"} (401 without a token)."""
    from registry.accounts import require_role

    return jsonify(require_role(current_actor(), "viewer", "say who you are").as_dict())
