"""Use case: the evidence report for a release or a range of history, as one object.

Every clause change in the span with its proposal, approvers and owners at that change; the
unapproved changes; the clauses nobody owns, the evaluation-prompt coverage and the coverage of
every framework in frameworks.toml at the end of the span; and the result of `verify`. The renderers (registry/evidence/render.py) only format it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accountability.unapproved import RewriteView, UnapprovedChange, history_rewrites, unapproved_changes
from registry.accountability.verify import verify
from registry.audit import events as audit
from registry.audit.events import Finding
from registry.evidence.span import ReportRange, report_range
from registry.frameworks.coverage import FrameworkCoverage, all_coverage
from registry.history.governance import NO_START, GovernanceStart, governance_start
from registry.history.prompts import Coverage, footnote_refs, prompt_coverage
from registry.ledger.refs import commit_by_sha, iso
from registry.models import ClauseVersion, Commit, Ledger, utcnow
from registry.owners.queries import Unowned, unowned
from registry.owners.store import OwnersStore
from registry.owners.timeline import owners_by_version
from registry.proposals.counted import SignedApproval
from registry.proposals.merged_models import MergedProposal
from registry.proposals.reads import merged_by_commit
from registry.proposals.rejections import RejectedProposal, rejections


@dataclass(frozen=True)
class ChangeOwner:
    """An owner of a clause at the moment it changed."""

    name: str
    email: str
    team: str | None
    source: str

    def as_dict(self) -> dict[str, Any]:
        """{"name", "email", "team", "source"}."""
        return {"name": self.name, "email": self.email, "team": self.team, "source": self.source}


@dataclass(frozen=True)
class ClauseChange:
    """One clause version made in the span, and the accountability behind it."""

    seq: int
    commit: str
    date: datetime
    author: str
    author_email: str
    subject: str
    id: str
    previous_id: str | None
    title: str
    document: str
    changes: list[str]
    proposal: MergedProposal | None  # the merged proposal that made this change
    owners: list[ChangeOwner]
    unapproved: bool
    prompts: list[str]  # evaluation prompts the new text cites
    pre_governance: bool = False  # made before governance began ([governance] start)

    @property
    def approvers(self) -> list[SignedApproval]:
        """The approvals the merge counted (none without a proposal)."""
        return list(self.proposal.approvers) if self.proposal else []

    def as_dict(self) -> dict[str, Any]:
        """The JSON item of `changes`."""
        data = None if self.proposal is None else self.proposal.as_dict()
        proposal = None if data is None else {k: data[k] for k in ("id", "title", "proposer", "rationale", "policy")}
        return {"seq": self.seq, "commit": self.commit, "date": iso(self.date), "author": self.author,
                "author_email": self.author_email, "subject": self.subject, "id": self.id,
                "previous_id": self.previous_id, "title": self.title, "document": self.document,
                "changes": self.changes, "proposal": proposal, "approvers": [a.as_dict() for a in self.approvers],
                "owners": [o.as_dict() for o in self.owners], "unapproved": self.unapproved,
                "pre_governance": self.pre_governance, "prompts": self.prompts}


@dataclass(frozen=True)
class EvidenceReport:
    """Everything the export shows; renderers are pure functions of it."""

    range: ReportRange
    generated_at: datetime
    repo: dict[str, Any]  # {"branch", "head", "date"}: the spec repo's branch as last ingested
    audit_head: tuple[int, str]
    changes: list[ClauseChange]
    unapproved: list[UnapprovedChange]
    rewrites: list[RewriteView]  # history rewrites whose old head falls in the span
    unowned: Unowned
    coverage: Coverage
    findings: list[Finding]
    governance: GovernanceStart  # where governance began: earlier commits are neither flagged nor listed
    rejections: list[RejectedProposal]  # proposals rejected in the span's time, with who rejected them
    frameworks: list[FrameworkCoverage]  # every framework in frameworks.toml at the end of the span

    @property
    def proposals(self) -> list[MergedProposal]:
        """Each merged proposal behind a change in the span, once, in merge order."""
        seen: dict[int, MergedProposal] = {}
        for c in self.changes:
            if c.proposal is not None and c.proposal.id not in seen:
                seen[c.proposal.id] = c.proposal
        return list(seen.values())

    @property
    def counts(self) -> dict[str, int]:
        """Totals for the cover and for cross-checking the formats."""
        return {"commits": self.range.commits, "changes": len(self.changes),
                "proposals": len(self.proposals), "approved_changes": sum(1 for c in self.changes if c.proposal),
                "rejections": len(self.rejections),
                "unapproved_commits": len(self.unapproved), "rewrites": len(self.rewrites),
                "unapproved_changes": sum(1 for c in self.changes if c.unapproved),
                "clauses": self.unowned.total, "unowned": len(self.unowned.clauses),
                "covered": len(self.coverage.covered), "uncovered": len(self.coverage.uncovered),
                "uncovered_items": sum(len(f.uncovered) for f in self.frameworks), "findings": len(self.findings)}

    def as_dict(self) -> dict[str, Any]:
        """The JSON export (docs/evidence.md describes every field)."""
        return {
            "report": "evidence", "range": self.range.as_dict(), "generated_at": iso(self.generated_at),
            "repo": self.repo, "audit_head": {"seq": self.audit_head[0], "hash": self.audit_head[1]},
            "counts": self.counts, "changes": [c.as_dict() for c in self.changes],
            "proposals": [p.as_dict() for p in self.proposals],
            "rejections": [j.as_dict() for j in self.rejections], "unapproved": [u.as_dict() for u in self.unapproved],
            "rewrites": [w.as_dict() for w in self.rewrites],
            "unowned": self.unowned.as_dict(), "coverage": self.coverage.as_dict(),
            "governance": self.governance.as_dict(), "frameworks": [f.as_dict() for f in self.frameworks],
            "verify": {"ok": not self.findings, "findings": [f.as_dict() for f in self.findings]},
        }


def clause_changes(session: Session, span: ReportRange, flagged: set[str],
                   start: GovernanceStart = NO_START) -> list[ClauseChange]:
    """Every clause version in the span, oldest first; `flagged` holds the unapproved commits, `start`
    says which came before governance began."""
    rows = list(session.execute(
        select(ClauseVersion, Commit).join(Commit, Commit.seq == ClauseVersion.seq)
        .where(ClauseVersion.seq > span.lo, ClauseVersion.seq <= span.hi, ClauseVersion.live)
        .order_by(ClauseVersion.seq, ClauseVersion.id)))
    store = OwnersStore(session)
    owners = owners_by_version(session, rows, span.lo, store)
    proposals: dict[str, MergedProposal | None] = {}
    out = []
    for v, c in rows:
        if c.sha not in proposals:  # one lookup per commit: a merge writes many versions
            proposals[c.sha] = merged_by_commit(session, c.sha)
        people = [ChangeOwner(store.name_of(o.email), o.email, o.team, o.source) for o in owners[v.id]]
        out.append(ClauseChange(c.seq, c.sha, c.committed_at, c.author_name, c.author_email, c.subject,
                                v.key, v.previous_key, v.title, v.document, v.change_set, proposals[c.sha],
                                people, c.sha in flagged, [] if v.removed else footnote_refs(v.body),
                                start.pre_governance(c.seq)))
    return out


def rejected_in(session: Session, span: ReportRange, head: str | None) -> list[RejectedProposal]:
    """The proposals rejected after the span's first point up to its last; up to now when it ends at the head.

    Rejections make no commit, so the span's commit dates bound them; the head's span has no upper
    bound, or a rejection made after the last commit would be in no report at all.
    """
    until = None if span.end.commit == head else span.end.date
    return rejections(session, span.start.date if span.start else None, until)


def _repo(session: Session) -> dict[str, Any]:
    ledger = session.get(Ledger, 1)
    head = commit_by_sha(session, ledger.head_sha) if ledger else None
    # No filesystem path: the report is served over the web and handed to outsiders.
    return {"branch": ledger.branch if ledger else None, "head": head.sha if head else None,
            "date": iso(head.committed_at) if head else None}


def evidence_report(session: Session, release: str | None = None, from_ref: str | None = None,
                    to_ref: str | None = None, repo: str | None = None,
                    now: datetime | None = None, findings: list[Finding] | None = None) -> EvidenceReport:
    """Build the report for a release or for (from_ref, to_ref]; `repo` is where verify reads anchors.

    `findings`: verify's result when the caller already has it for this database state (the web keeps
    it per ledger and audit head, so a reader varying the range does not run every check again)."""
    span = report_range(session, release, from_ref, to_ref)
    flagged = unapproved_changes(session, since_seq=span.lo, until_seq=span.hi)  # (lo, hi], like the span
    start = governance_start(session)
    changes = clause_changes(session, span, {u.commit for u in flagged}, start)
    rewrites = history_rewrites(session, since_seq=span.lo, until_seq=span.hi)
    repo_facts = _repo(session)
    return EvidenceReport(span, now or utcnow(), repo_facts, audit.head(session), changes, flagged, rewrites,
                          unowned(session, span.end_point), prompt_coverage(session, span.end_point),
                          verify(session, repo) if findings is None else findings, start, rejected_in(session, span, repo_facts["head"]),
                          all_coverage(session, span.end_point))
