"""Use cases for proposals: propose, revise, submit, comment, withdraw, reject.

Each takes a session and plain values, flushes and never commits. A proposal's text is checked by
writing it into its document at the base (registry.spec.clause_edit), so a proposal that could never
merge cleanly is refused when it is made, not when it is approved. A proposal that replaces a
governance file (kind `file`) is checked by the parser that reads that file
(registry.proposals.governance) and changes nothing else.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from sqlalchemy.orm import Session

from registry import limits
from registry.accounts.actors import Actor
from registry.audit import events as audit
from registry.errors import BadRequest, Conflict, DocumentUnreadable, UnknownClause, UnknownVersion
from registry.gitsource import SpecSource
from registry.history.documents import require_readable
from registry.history.queries import find_clause
from registry.history.versions import version_at
from registry.ledger.refs import Point, head_point
from registry.models import ClauseVersion, Comment, Proposal, ProposedChange, Revision, utcnow
from registry.proposals import governance, permissions, store
from registry.proposals.reevaluation import follow_verdict
from registry.proposals.states import DRAFT, OPEN, check_current, transition
from registry.spec.clause_edit import ClauseText, Edit, apply_edits, check_one_clause, digest_of
from registry.spec.specfiles import from_options


@dataclass(frozen=True)
class ChangeInput:
    """One clause to change, add or remove, as a user gives it."""

    kind: str  # change, add, remove, or file (replace a governance file; `key` is its path)
    key: str
    text: str | None = None  # the clause's full Markdown (not for a remove); a file's new content
    document: str | None = None  # add: the document (default: the `after` clause's)
    after: str | None = None  # add: insert after this clause and its children (default: the end)


def check_clause_text(text: str, field: str = "the text") -> None:
    """A proposed clause text within its limit and holding at most one clause; BadRequest naming `field`."""
    limits.check_text(field, text, limits.CLAUSE_TEXT)
    check_one_clause(text, field)


def check_input(changes: Sequence[ChangeInput], title: str | None = None, rationale: str | None = None,
                note: str | None = None) -> None:
    """What a user typed, checked without the database or git: the limits, and one clause per text.

    The edges run it before they take the write lock (parsing a huge text must not hold it); propose
    and revise run it again, so no edge can skip it.
    """
    for field, value, limit in (("title", title, limits.TITLE), ("rationale", rationale, limits.COMMENT),
                                ("note", note, limits.REASON)):
        if value is not None:
            limits.check_text(field, value, limit)
    for ch in changes:
        check_change_text(ch.kind, ch.key, ch.text)


def check_change_text(kind: str, key: str, text: str | None) -> None:
    """One change's text checked without the database or git: a governance file by its parser, else one clause."""
    if kind == governance.FILE:
        governance.checked_content(key, text or "")
    elif text is not None:
        check_clause_text(text, f"the text of {key}")


@dataclass
class _Prepared:
    """A change resolved against the head: canonical ids, its document and base version."""

    change: ChangeInput
    document: str
    base: ClauseVersion | None
    clause_id: int | None
    result: ClauseText | None = None
    base_text: str | None = None  # a governance file's content at the head (None: not there)


def _resolve(session: Session, source: SpecSource, head: Point, ch: ChangeInput) -> _Prepared:
    if ch.kind not in ("change", "add", "remove"):
        raise BadRequest(f"unknown kind of change {ch.kind!r}: change, add, remove or file")
    if ch.kind != "add":
        clause = find_clause(session, ch.key)
        v = version_at(session, clause.id, head.seq)
        if v is None:
            raise UnknownVersion(f"clause {ch.key!r} does not exist at the head; propose adding it")
        return _Prepared(replace(ch, key=v.key, after=None), v.document, v, clause.id)
    try:
        existing = find_clause(session, ch.key)
        if version_at(session, existing.id, head.seq) is not None:
            raise Conflict(f"clause {ch.key!r} already exists; propose a change to it")
    except UnknownClause:
        pass
    document, after = ch.document, ch.after
    if after is not None:
        anchor = version_at(session, find_clause(session, after).id, head.seq)
        if anchor is None:
            raise UnknownVersion(f"clause {after!r} (to add after) does not exist at the head")
        document, after = document or anchor.document, anchor.key
    if not document:
        raise BadRequest(f"say where {ch.key!r} goes: after a clause, or at the end of a document")
    _check_document(source, head, document)
    return _Prepared(replace(ch, after=after), document, None, None)


def _check_document(source: SpecSource, head: Point, path: str) -> None:
    """An added clause must land in a spec document, never in a governance file or an example."""
    parts = PurePosixPath(path).parts
    if path.startswith("/") or ".." in parts or governance.is_governance_path(path):
        raise BadRequest(f"{path!r} is not a spec document")
    toml = source.read_file(head.sha, "specreg.toml")
    if not from_options((), toml.decode("utf-8", "replace") if toml else None).matches(path):
        raise BadRequest(f"{path!r} is not a spec document (see the include rules in the README)")


def _prepare(session: Session, source: SpecSource,
             changes: Sequence[ChangeInput]) -> tuple[Point, list[_Prepared], str]:
    """Resolve every change at the head, write it into its document there, and digest the text."""
    if not changes:
        raise BadRequest("a proposal changes at least one clause")
    head = head_point(session)
    if any(ch.kind == governance.FILE for ch in changes):
        return _prepare_file(source, head, changes)
    prepared = [_resolve(session, source, head, ch) for ch in changes]
    groups: dict[str, list[_Prepared]] = {}
    for p in prepared:
        groups.setdefault(p.document, []).append(p)
    require_readable(session, groups, head.seq)
    for document, items in sorted(groups.items()):
        content = read_document(source, head.sha, document)
        if content is None and any(p.change.kind != "add" for p in items):
            raise UnknownVersion(f"{document} is missing at {head.sha[:12]}; run `specreg ingest`")
        text = content or ""
        edits = [_edit(p.change) for p in items]
        _new_text, results = apply_edits(document, text, edits)
        for p in items:
            p.result = results.get(p.change.key)
    return head, prepared, digest_of([(p.document, _edit(p.change)) for p in prepared])


def read_document(source: SpecSource, sha: str, path: str) -> str | None:
    """A document's text at a commit (None when absent); DocumentUnreadable when it is not UTF-8.

    The ledger's record (require_readable) refuses first; this catches a push it has not ingested yet.
    """
    content = source.read_file(sha, path)
    try:
        return content.decode("utf-8") if content is not None else None
    except UnicodeDecodeError as exc:
        raise DocumentUnreadable(f"{path} is not UTF-8 at commit {sha[:12]} (byte {exc.start}); "
                                 "fix the file in git first") from None


def _prepare_file(source: SpecSource, head: Point,
                  changes: Sequence[ChangeInput]) -> tuple[Point, list[_Prepared], str]:
    """A governance file replaced whole: one change only, its new content checked by the file's parser."""
    if len(changes) != 1:
        raise BadRequest("a proposal that replaces a governance file changes nothing else; "
                         "propose clause changes separately")
    ch = changes[0]
    content = governance.checked_content(ch.key, ch.text or "")
    current = governance.read_current(source, head.sha, ch.key)
    if current == content:
        raise BadRequest(f"the proposed {ch.key} is the same as the current one at {head.sha[:12]}")
    new = ChangeInput(governance.FILE, ch.key, content)
    prepared = _Prepared(new, ch.key, None, None, base_text=current)
    return head, [prepared], digest_of([(ch.key, _edit(new))])


def _edit(ch: ChangeInput) -> Edit:
    return Edit(ch.kind, ch.key, ch.text, ch.after)


def _write_revision(session: Session, proposal: Proposal, number: int, actor: Actor, head: Point,
                    prepared: list[_Prepared], text_digest: str, note: str) -> Revision:
    revision = Revision(proposal_id=proposal.id, number=number, author_id=actor.person_id, base_seq=head.seq,
                        base_sha=head.sha, digest=text_digest, note=note.strip())
    session.add(revision)
    session.flush()
    for position, p in enumerate(prepared):
        r = p.result
        if p.change.kind == governance.FILE:
            session.add(ProposedChange(revision_id=revision.id, position=position, kind=p.change.kind,
                                       key=p.change.key, document=p.document, text=p.change.text,
                                       title=p.change.key, body=p.change.text, base_text=p.base_text))
            continue
        session.add(ProposedChange(
            revision_id=revision.id, position=position, kind=p.change.kind, key=p.change.key,
            clause_id=p.clause_id, base_version_id=p.base.id if p.base else None, document=p.document,
            after_key=p.change.after, parent_key=r.parent if r else None,
            text=None if p.change.kind == "remove" else p.change.text, title=r.title if r else None,
            attributes=r.attributes if r else None, body=r.body if r else None))
    session.flush()
    return revision


def _summary(proposal: Proposal, revision: Revision, prepared: list[_Prepared]) -> dict[str, object]:
    return {"state": proposal.state, "revision": revision.number, "digest": revision.digest,
            "base": revision.base_sha, "clauses": [f"{p.change.kind} {p.change.key}" for p in prepared]}


def propose(session: Session, source: SpecSource, actor: Actor | None, title: str, rationale: str,
            changes: Sequence[ChangeInput], draft: bool = False) -> Proposal:
    """Open (or draft) a proposal; editors and admins only."""
    actor = permissions.require_proposer(actor)
    if not title.strip() or not rationale.strip():
        raise BadRequest("a proposal needs a title and a rationale")
    check_input(changes, title, rationale)
    head, prepared, text_digest = _prepare(session, source, changes)
    proposal = Proposal(title=title.strip(), rationale=rationale.strip(), proposer_id=actor.person_id,
                        state=DRAFT if draft else OPEN, revision=1)
    session.add(proposal)
    session.flush()
    revision = _write_revision(session, proposal, 1, actor, head, prepared, text_digest, "")
    audit.record(session, actor.email, "proposal.create", f"proposal:{proposal.id}", None,
                 {"title": proposal.title} | _summary(proposal, revision, prepared))
    return proposal


def revise(session: Session, source: SpecSource, actor: Actor | None, number: int,
           changes: Sequence[ChangeInput], note: str = "", seen: int | None = None) -> Proposal:
    """A new revision against the current head (`seen`: the revision its author started from); approvals go stale."""
    proposal = store.get_proposal(session, number, lock=True)
    actor = permissions.check(session, actor, proposal, "revise")
    check_current(proposal.id, proposal.revision, seen, "started from", "make your change to it again")
    old_state = proposal.state
    state = transition(proposal.state, "revise")
    check_input(changes, note=note)
    head, prepared, text_digest = _prepare(session, source, changes)
    old = store.current_revision(session, proposal)
    revision = _write_revision(session, proposal, old.number + 1, actor, head, prepared, text_digest, note)
    proposal.revision, proposal.state, proposal.updated_at = revision.number, state, utcnow()
    session.flush()
    audit.record(session, actor.email, "proposal.revise", f"proposal:{proposal.id}",
                 {"state": old_state, "revision": old.number, "digest": old.digest},
                 _summary(proposal, revision, prepared) | {"note": revision.note})
    follow_verdict(session, proposal, actor.email)
    return proposal


def revise_clause(session: Session, source: SpecSource, actor: Actor | None, number: int, key: str | None,
                  text: str | None, drop: Sequence[str] = (), note: str = "", seen: int | None = None) -> Proposal:
    """A new revision with new text for one clause (`key`, or the only one) and/or clauses dropped."""
    proposal = store.get_proposal(session, number, lock=True)  # the changes read below stay current until we write
    permissions.check(session, actor, proposal, "revise")
    check_current(proposal.id, proposal.revision, seen, "started from", "make your change to it again")
    changes = current_changes(session, number)
    unknown = sorted(set(drop) - {c.key for c in changes})
    if unknown:
        raise BadRequest(f"proposal #{number} does not touch {', '.join(unknown)}; it touches "
                         f"{', '.join(c.key for c in changes)}")
    changes = [c for c in changes if c.key not in drop]
    if text is not None:
        changes = _with_text(changes, key, text)
    return revise(session, source, actor, number, changes, note, seen)


def _with_text(changes: list[ChangeInput], key: str | None, text: str) -> list[ChangeInput]:
    """The changes with `text` for `key`: kept in place (a removal becomes a change), or added as a change."""
    if not key:
        if len(changes) != 1:
            raise BadRequest(f"the proposal touches several clauses ({', '.join(c.key for c in changes)}); "
                             "say which one the new text is for")
        key = changes[0].key
    old = next((c for c in changes if c.key == key), None)
    if old is None:
        return [*changes, ChangeInput("change", key, text)]
    new = ChangeInput("change", key, text) if old.kind == "remove" else replace(old, text=text)
    return [new if c.key == key else c for c in changes]


def _close(session: Session, proposal: Proposal, actor: Actor, action: str, reason: str) -> Proposal:
    limits.check_text("reason", reason, limits.REASON)
    old = proposal.state
    proposal.state = transition(proposal.state, action)
    proposal.closed_reason, proposal.updated_at = reason.strip() or None, utcnow()
    session.flush()
    audit.record(session, actor.email, f"proposal.{action}", f"proposal:{proposal.id}", {"state": old},
                 {"state": proposal.state, "reason": proposal.closed_reason})
    return proposal


def submit(session: Session, actor: Actor | None, number: int) -> Proposal:
    """Open a draft for review."""
    proposal = store.get_proposal(session, number, lock=True)
    actor = permissions.check(session, actor, proposal, "submit")
    return _close(session, proposal, actor, "submit", "")


def withdraw(session: Session, actor: Actor | None, number: int, reason: str = "") -> Proposal:
    """The proposer (or an admin) takes the proposal back."""
    proposal = store.get_proposal(session, number, lock=True)
    actor = permissions.check(session, actor, proposal, "withdraw")
    return _close(session, proposal, actor, "withdraw", reason)


def reject(session: Session, actor: Actor | None, number: int, reason: str) -> Proposal:
    """An owner of a touched clause (or an admin) closes the proposal without merging it."""
    proposal = store.get_proposal(session, number, lock=True)
    actor = permissions.check(session, actor, proposal, "reject")
    if not reason.strip():
        raise BadRequest("say why the proposal is rejected")
    return _close(session, proposal, actor, "reject", reason)


def comment(session: Session, actor: Actor | None, number: int, text: str) -> Comment:
    """Anyone logged in may comment, in any state."""
    proposal = store.get_proposal(session, number)
    actor = permissions.check(session, actor, proposal, "comment")
    if not text.strip():
        raise BadRequest("a comment needs some text")
    limits.check_text("comment", text, limits.COMMENT)
    row = Comment(proposal_id=proposal.id, author_id=actor.person_id, revision=proposal.revision,
                  body=text.strip())
    session.add(row)
    session.flush()
    audit.record(session, actor.email, "proposal.comment", f"proposal:{proposal.id}", None,
                 {"comment": row.id, "text": row.body})
    return row


def current_changes(session: Session, number: int) -> list[ChangeInput]:
    """The current revision's changes as inputs, for a revision that edits some of them."""
    proposal = store.get_proposal(session, number)
    return [ChangeInput(ch.kind, ch.key, ch.text, ch.document if ch.kind == "add" else None, ch.after_key)
            for ch in store.changes(session, store.current_revision(session, proposal))]
