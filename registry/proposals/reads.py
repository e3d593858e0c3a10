"""Read use cases for proposals: one proposal in full, lists by state, an owner's review queue."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts.users import Actor
from registry.errors import BadRequest, UnknownVersion
from registry.gitsource import SpecSource
from registry.history.queries import show_clause, version_at
from registry.ledger.refs import head_point, iso
from registry.models import STATES, ClauseVersion, Commit, Person, Proposal, ProposedChange, Review, Revision
from registry.proposals import counted, store
from registry.proposals.policy_store import policy_at
from registry.proposals.states import ACTIVE, APPROVED, OPEN
from registry.proposals.verdict import may_approve, verdict
from registry.spec.parser import parse
from registry.spec.worddiff import word_diff


def _who(person: Person | None) -> dict[str, str] | None:
    return None if person is None else {"name": person.name, "email": person.email}


def _base(session: Session, ch: ProposedChange) -> dict[str, Any] | None:
    v = session.get(ClauseVersion, ch.base_version_id) if ch.base_version_id else None
    if v is None:
        return None
    return {"commit": session.get_one(Commit, v.seq).sha, "title": v.title, "attributes": dict(v.attributes),
            "body": v.body}


def change_dict(session: Session, ch: ProposedChange) -> dict[str, Any]:
    """One proposed clause change with what it was based on and a word diff of the body."""
    base = _base(session, ch)
    ops = word_diff(base["body"] if base else "", ch.body or "")
    return {"kind": ch.kind, "id": ch.key, "document": ch.document, "after": ch.after_key,
            "title": ch.title, "attributes": ch.attributes, "text": ch.text, "body": ch.body, "base": base,
            "diff": [{"op": o.op, "text": o.text} for o in ops]}


def _revision_dict(session: Session, r: Revision) -> dict[str, Any]:
    return {"number": r.number, "author": _who(store.person(session, r.author_id)), "created_at": iso(r.created_at),
            "base": r.base_sha, "digest": r.digest, "note": r.note,
            "changes": [change_dict(session, ch) for ch in store.changes(session, r)]}


def _review_dict(session: Session, r: Review, numbers: dict[int, int], current: Revision) -> dict[str, Any]:
    dismissed = None if r.dismissed_at is None else {
        "by": _who(store.person(session, r.dismissed_by_id)), "at": iso(r.dismissed_at), "reason": r.dismiss_reason}
    return {"id": r.id, "kind": r.kind, "reviewer": _who(store.person(session, r.reviewer_id)),
            "printed_name": r.printed_name, "time": iso(r.created_at), "meaning": r.meaning, "digest": r.digest,
            "revision": numbers[r.revision_id], "comment": r.comment, "pending": r.pending,
            "stale": r.kind == "approve" and (r.revision_id != current.id or r.digest != current.digest),
            "withdrawn_at": iso(r.withdrawn_at), "dismissed": dismissed}


def drifted(session: Session, proposal: Proposal) -> list[str]:
    """Touched clauses whose text at the ledger head differs from the base (a merge would conflict)."""
    if proposal.state not in ACTIVE:
        return []
    seq, out = head_point(session).seq, []
    for ch in store.changes(session, store.current_revision(session, proposal)):
        base = session.get(ClauseVersion, ch.base_version_id) if ch.base_version_id else None
        now = version_at(session, ch.clause_id, seq) if ch.clause_id else None
        if base is not None and (now is None or (now.title, now.attributes, now.body, now.document)
                                 != (base.title, base.attributes, base.body, base.document)):
            out.append(f"{ch.key} changed on the branch since this revision's base")
    return out


def merged_by_commit(session: Session, sha: str) -> dict[str, Any] | None:
    """The proposal a commit merged, with its approvers and the policy that applied (None: no proposal).

    What "which proposal introduced this text" needs: {"id", "title", "rationale", "proposer",
    "approvers": [{"name", "email", "time", "meaning"}], "policy": {"path", "commit", "defaults"}}.
    """
    p = session.scalar(select(Proposal).where(Proposal.merged_sha == sha))
    if p is None:
        return None
    approvers = [a.as_dict() for a in counted.recorded(session, p)]
    base = store.current_revision(session, p).base_seq
    return {"id": p.id, "title": p.title, "rationale": p.rationale,
            "proposer": _who(store.person(session, p.proposer_id)), "approvers": approvers,
            "policy": policy_at(session, base).as_dict()}


def proposal_detail(session: Session, number: int) -> dict[str, Any]:
    """`specreg proposal N`: {"id", "state", "revisions", "reviews", "comments", "policy", ...}."""
    p = store.get_proposal(session, number)
    current = store.current_revision(session, p)
    numbers = store.revision_numbers(session, p)
    v = verdict(session, p)
    return {
        "id": p.id, "title": p.title, "rationale": p.rationale, "state": p.state,
        "proposer": _who(store.person(session, p.proposer_id)), "created_at": iso(p.created_at),
        "updated_at": iso(p.updated_at), "revision": p.revision, "closed_reason": p.closed_reason,
        "merge": {"commit": p.merged_sha, "at": iso(p.merged_at)} if p.merged_sha else None,
        "revisions": [_revision_dict(session, r) for r in store.revisions(session, p)],
        "reviews": [_review_dict(session, r, numbers, current) for r in store.reviews(session, p)],
        "comments": [{"id": c.id, "author": _who(store.person(session, c.author_id)), "time": iso(c.created_at),
                      "revision": c.revision, "text": c.body} for c in store.comments(session, p)],
        "policy": v.as_dict(), "drift": drifted(session, p),
    }


def _summary(session: Session, p: Proposal) -> dict[str, Any]:
    keys = session.scalars(select(ProposedChange.key).join(Revision, Revision.id == ProposedChange.revision_id)
                           .where(Revision.proposal_id == p.id, Revision.number == p.revision)
                           .order_by(ProposedChange.position))
    return {"id": p.id, "title": p.title, "state": p.state, "proposer": _who(store.person(session, p.proposer_id)),
            "created_at": iso(p.created_at), "updated_at": iso(p.updated_at), "revision": p.revision,
            "clauses": list(keys), "commit": p.merged_sha}


def list_proposals(session: Session, state: str | None = None, clause: str | None = None) -> list[dict[str, Any]]:
    """Proposals, newest first, optionally in one state or touching one clause id."""
    if state is not None and state not in STATES:
        raise BadRequest(f"unknown state {state!r}; one of {', '.join(STATES)}")
    q = select(Proposal).order_by(Proposal.id.desc())
    if state is not None:
        q = q.where(Proposal.state == state)
    rows = [_summary(session, p) for p in session.scalars(q)]
    return [r for r in rows if clause is None or clause in r["clauses"]]


def review_queue(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Open proposals the actor may approve and has not approved in their current revision."""
    out = []
    for p in session.scalars(select(Proposal).where(Proposal.state.in_((OPEN, APPROVED))).order_by(Proposal.id)):
        if p.proposer_id == actor.person_id or actor.email in store.revision_authors(session, p):
            continue
        v = verdict(session, p)
        mine = may_approve(v.clauses, actor.email)
        current = store.current_revision(session, p)
        done = any(r.pending and r.reviewer_id == actor.person_id and r.revision_id == current.id
                   for r in store.reviews(session, p))
        if mine and not done:
            out.append(_summary(session, p) | {"as_owner_of": mine, "policy": v.as_dict()})
    return out


def clause_markdown(session: Session, source: SpecSource, key: str) -> dict[str, Any]:
    """A clause's full Markdown at the head (heading line and body), as an editor starts from."""
    point = head_point(session)
    view = show_clause(session, key, point)
    content = source.read_file(point.sha, view.document)
    doc = parse(view.document, content.decode("utf-8") if content is not None else "")
    found = next((c for c in doc.clauses if c.key == view.id), None)
    if found is None:
        raise UnknownVersion(f"clause {key!r} is not in {view.document} at {point.sha[:12]}; run `specreg ingest`")
    text = "\n".join(doc.lines[found.start:found.end]).rstrip() + "\n"
    return {"id": view.id, "document": view.document, "commit": point.sha, "text": text, "title": view.title,
            "attributes": view.attributes, "body": view.text}


def new_clause_place(session: Session, after: str | None, document: str | None) -> dict[str, Any]:
    """Where a new clause would go (after a clause, or at the end of a document) and an example heading."""
    point = head_point(session)
    if after:
        view = show_clause(session, after, point)
        example = ("r[new.rule.id]\nThe rule's text." if view.level == 0 else
                   f"{'#' * view.level} Title {{#new_id}}\n\nThe clause's text.")
        return {"after": view.id, "after_title": view.title, "document": view.document, "commit": point.sha,
                "example": example}
    if not document:
        raise BadRequest("say where the new clause goes: after a clause (?after=ID) or at the end of a "
                         "document (?document=PATH)")
    return {"after": None, "after_title": None, "document": document, "commit": point.sha,
            "example": "## Title {#new_id}\n\nThe clause's text."}

