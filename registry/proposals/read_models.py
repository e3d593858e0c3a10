"""Typed read models of one proposal in full: what the proposal page, `specreg proposal N` and the API show.

Each model's `as_dict()` is the one place its JSON is spelled: the CLI (`specreg proposal N --json`)
and the API print exactly that, with the keys in the order docs/proposals.md lists them. Times are
datetimes here and ISO 8601 strings in the JSON. The other proposal read models are built from
these parts: a proposal in a list or the review queue (registry.proposals.list_models), the
proposal a commit merged (registry.proposals.merged_models), and the text an editor starts from
(registry.proposals.editor_models).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from registry.ledger.refs import iso
from registry.proposals.approval_rules import UncountedApproval
from registry.proposals.check_rules import CheckStatus
from registry.proposals.policy import ClauseStatus, Shortfall
from registry.proposals.policy_store import PolicySource
from registry.spec.prosediff import Sentence, prose_diff
from registry.spec.worddiff import Op


@dataclass(frozen=True)
class Who:
    """A person as a proposal names them: a proposer, an author, a reviewer."""

    name: str
    email: str

    def as_dict(self) -> dict[str, Any]:
        """{"name", "email"}."""
        return {"name": self.name, "email": self.email}


@dataclass(frozen=True)
class BaseText:
    """The clause version a proposed change was written against."""

    commit: str
    title: str
    attributes: dict[str, Any]
    body: str

    def as_dict(self) -> dict[str, Any]:
        """{"commit", "title", "attributes", "body"}."""
        return {"commit": self.commit, "title": self.title, "attributes": self.attributes, "body": self.body}


@dataclass(frozen=True)
class ChangeView:
    """One proposed clause change, what it was based on, and a word diff of the body."""

    kind: str  # change, add or remove
    id: str
    document: str
    after: str | None  # an added clause goes after this one's subtree
    title: str | None
    attributes: dict[str, Any] | None
    text: str | None  # the clause's full Markdown; None for a remove
    body: str | None
    base: BaseText | None  # None for an added clause
    diff: tuple[Op, ...]
    change_class: str = "normative"  # editorial or normative (registry.spec.change_class)

    def as_dict(self) -> dict[str, Any]:
        """{"kind", "id", "document", "after", "title", "attributes", "text", "body", "base", "diff", "class"}."""
        return {"kind": self.kind, "id": self.id, "document": self.document, "after": self.after,
                "title": self.title, "attributes": self.attributes, "text": self.text, "body": self.body,
                "base": None if self.base is None else self.base.as_dict(),
                "diff": [{"op": o.op, "text": o.text} for o in self.diff], "class": self.change_class}

    @property
    def prose(self) -> list[Sentence]:
        """The body against the base's, reflowed and compared sentence by sentence (the proposal page's diff)."""
        return prose_diff(self.base.body if self.base else "", self.body or "")


@dataclass(frozen=True)
class RevisionView:
    """One revision: who wrote it when, against which commit, its digest and its changes."""

    number: int
    author: Who
    created_at: datetime
    base: str  # the commit the revision was written against
    digest: str
    note: str
    changes: tuple[ChangeView, ...]

    def as_dict(self) -> dict[str, Any]:
        """{"number", "author", "created_at", "base", "digest", "note", "changes"}."""
        return {"number": self.number, "author": self.author.as_dict(), "created_at": iso(self.created_at),
                "base": self.base, "digest": self.digest, "note": self.note,
                "changes": [c.as_dict() for c in self.changes]}


@dataclass(frozen=True)
class Dismissal:
    """Who dismissed a request for changes, when and why."""

    by: Who | None
    at: datetime
    reason: str | None

    def as_dict(self) -> dict[str, Any]:
        """{"by", "at", "reason"}."""
        return {"by": None if self.by is None else self.by.as_dict(), "at": iso(self.at), "reason": self.reason}


@dataclass(frozen=True)
class ReviewView:
    """One review with its printed name, meaning and digest, and whether it still stands."""

    id: int
    kind: str  # approve, request_changes or comment
    reviewer: Who
    printed_name: str
    time: datetime
    meaning: str
    digest: str
    revision: int
    comment: str
    pending: bool  # neither withdrawn nor dismissed
    stale: bool  # an approval of another revision or text than the current one
    withdrawn_at: datetime | None
    dismissed: Dismissal | None
    classes: dict[str, str] | None = None  # each touched clause's class as the reviewer saw it (None: not kept)
    unrecorded: str | None = None  # why the row is not what the audit chain recorded (None: it is)

    @property
    def recorded(self) -> bool:
        """The row is what the audit chain recorded (else it counts for nothing, and is shown so)."""
        return self.unrecorded is None

    def as_dict(self) -> dict[str, Any]:
        """{"id", "kind", "reviewer", "printed_name", "time", "meaning", "digest", "revision", "comment",
        "pending", "stale", "withdrawn_at", "dismissed", "classes", "recorded", "unrecorded"}."""
        return {"id": self.id, "kind": self.kind, "reviewer": self.reviewer.as_dict(), "printed_name": self.printed_name,
                "time": iso(self.time), "meaning": self.meaning, "digest": self.digest, "revision": self.revision,
                "comment": self.comment, "pending": self.pending, "stale": self.stale,
                "withdrawn_at": iso(self.withdrawn_at),
                "dismissed": None if self.dismissed is None else self.dismissed.as_dict(), "classes": self.classes,
                "recorded": self.recorded, "unrecorded": self.unrecorded}


@dataclass(frozen=True)
class CommentView:
    """A comment and the revision that was current when it was written."""

    id: int
    author: Who
    time: datetime
    revision: int
    text: str

    def as_dict(self) -> dict[str, Any]:
        """{"id", "author", "time", "revision", "text"}."""
        return {"id": self.id, "author": self.author.as_dict(), "time": iso(self.time), "revision": self.revision,
                "text": self.text}


@dataclass(frozen=True)
class MergeInfo:
    """The commit a merged proposal became."""

    commit: str
    at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        """{"commit", "at"}."""
        return {"commit": self.commit, "at": iso(self.at)}


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened to a proposal: when, who, what, and the details (reasons, commits)."""

    time: datetime
    actor: Who  # for the registry itself (an ingest completing a merge) the email is its audit id
    action: str  # created, revised, submitted, approved, changes requested, veto withdrawn, veto dismissed,
    # withdrawn, rejected, merged, conflicted
    detail: str
    commit: str | None = None  # the commit a merged or conflicted entry names (in the detail too)

    def as_dict(self) -> dict[str, Any]:
        """{"time", "actor", "action", "detail"}."""
        return {"time": iso(self.time), "actor": self.actor.as_dict(), "action": self.action, "detail": self.detail}


@dataclass(frozen=True)
class CheckView:
    """A check report that stands (the latest recorded one of its name on its revision), or one no
    `check.report` event backs, which never stands (`unrecorded` says why)."""

    name: str
    status: str  # pending, success or failure
    revision: int
    url: str | None
    summary: str
    time: datetime
    unrecorded: str | None = None  # why the row is not what the audit chain recorded (None: it is)

    @property
    def recorded(self) -> bool:
        """The report is what its `check.report` event recorded (else it counts for nothing, and is shown so)."""
        return self.unrecorded is None

    def as_dict(self) -> dict[str, Any]:
        """{"name", "status", "revision", "url", "summary", "time", "recorded", "unrecorded"}."""
        return {"name": self.name, "status": self.status, "revision": self.revision, "url": self.url,
                "summary": self.summary, "time": iso(self.time), "recorded": self.recorded,
                "unrecorded": self.unrecorded}


@dataclass(frozen=True)
class PolicyBox:
    """The policy's verdict on the current revision as the proposal shows it, and the policy.toml behind it."""

    satisfied: bool
    missing: tuple[str, ...]  # one line per unmet rule
    clauses: tuple[ClauseStatus, ...]
    notes: tuple[str, ...]  # why some reviews do not count
    uncounted: tuple[UncountedApproval, ...]  # the pending approvals that do not count, and why
    source: PolicySource
    infeasible: tuple[Shortfall, ...] = ()  # touched clauses too few people are eligible to approve
    checks: tuple[CheckStatus, ...] = ()  # the required checks on the current revision

    def why_not(self, review: int) -> str | None:
        """Why this approval does not count (None: it counts, or it is no pending approval)."""
        return next((u.reason for u in self.uncounted if u.review.id == review), None)

    def as_dict(self) -> dict[str, Any]:
        """{"satisfied", "missing", "clauses", "notes", "uncounted", "infeasible", "source", "checks"}."""
        return {"satisfied": self.satisfied, "missing": list(self.missing),
                "clauses": [c.as_dict() for c in self.clauses], "notes": list(self.notes),
                "uncounted": [u.as_dict() for u in self.uncounted],
                "infeasible": [s.as_dict() for s in self.infeasible], "source": self.source.as_dict(),
                "checks": [c.as_dict() for c in self.checks]}


@dataclass(frozen=True)
class ProposalDetail:
    """One proposal in full: `specreg proposal N` and the proposal page."""

    id: int
    title: str
    rationale: str
    state: str
    proposer: Who
    created_at: datetime
    updated_at: datetime
    revision: int  # the current revision's number
    closed_reason: str | None
    merge: MergeInfo | None
    revisions: tuple[RevisionView, ...]  # oldest first; the last is the current one
    reviews: tuple[ReviewView, ...]
    comments: tuple[CommentView, ...]
    policy: PolicyBox
    drift: tuple[str, ...]  # touched clauses that changed on the branch since the base
    timeline: tuple[TimelineEntry, ...] = ()  # oldest first
    checks: tuple[CheckView, ...] = ()  # the standing check reports, newest revision first

    @property
    def conflicted_by(self) -> str | None:
        """The commit that made a conflicted proposal conflict (its last conflict), else None."""
        if self.state != "conflicted":
            return None
        return next((e.commit for e in reversed(self.timeline) if e.action == "conflicted"), None)

    @property
    def conflict_detail(self) -> str | None:
        """What the last conflict says (the clauses, the commit and the proposal it merged), else None."""
        if self.state != "conflicted":
            return None
        return next((e.detail for e in reversed(self.timeline) if e.action == "conflicted"), None)

    @property
    def closed_by(self) -> TimelineEntry | None:
        """Who merged, withdrew or rejected a closed proposal and when (its last such entry), else None."""
        if self.state not in ("merged", "withdrawn", "rejected"):
            return None
        return next((e for e in reversed(self.timeline) if e.action == self.state), None)

    @property
    def current(self) -> RevisionView:
        """The revision reviewers look at now."""
        return self.revisions[-1]

    def as_dict(self) -> dict[str, Any]:
        """{"id", "title", "rationale", "state", "proposer", "created_at", "updated_at", "revision",
        "closed_reason", "merge", "revisions", "reviews", "comments", "policy", "drift", "timeline", "checks"}."""
        return {"id": self.id, "title": self.title, "rationale": self.rationale, "state": self.state,
                "proposer": self.proposer.as_dict(), "created_at": iso(self.created_at),
                "updated_at": iso(self.updated_at), "revision": self.revision, "closed_reason": self.closed_reason,
                "merge": None if self.merge is None else self.merge.as_dict(),
                "revisions": [r.as_dict() for r in self.revisions], "reviews": [r.as_dict() for r in self.reviews],
                "comments": [c.as_dict() for c in self.comments], "policy": self.policy.as_dict(),
                "drift": list(self.drift), "timeline": [e.as_dict() for e in self.timeline],
                "checks": [c.as_dict() for c in self.checks]}
