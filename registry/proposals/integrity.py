"""Checks that approvals and merges in the database agree with themselves and with git.

- Every review's digest is the digest of its revision's stored text, recomputed now.
- Every merged proposal has exactly one commit on the branch carrying its `Proposal-Id:`, and it
  is the commit the database records; no commit names a proposal that is not merged.
- Every registry commit's trailers match the database: its `Approved-by:` lines are the approvals
  that counted, its `Merged-by:`, `Veto-dismissed-by:` and `Check:` lines the merger, the dismissals
  and the passed required checks the audit events recorded (registry.proposals.merge_trailers), its `Audit-Head:` names an existing event (seq and hash) before the merge's own,
  the clause texts at that commit are the texts that were approved, and it changed nothing else
  (registry.proposals.merge_scope).

`merge_mismatches` is the one rule for "this commit is proposal N's approved merge": ingest asks
it before completing a proposal from a commit's trailer, verify asks it of every such commit.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit.events import Finding, parse_anchor
from registry.gitsource.trailers import APPROVED_BY, AUDIT_HEAD, CHECK, MERGED_BY, PROPOSAL_ID, VETO_DISMISSED_BY
from registry.ledger.refs import seq_of
from registry.models import AuditEvent, ClauseVersion, Proposal, ProposedChange, Review, Revision
from registry.proposals import counted, merge_trailers, provenance, store
from registry.proposals.governance import FILE, text_mismatch
from registry.proposals.merge_scope import scope_mismatches
from registry.proposals.states import APPROVED, MERGED

TRAILER_KEYS = (PROPOSAL_ID, APPROVED_BY, AUDIT_HEAD, MERGED_BY, VETO_DISMISSED_BY, CHECK)


@dataclass
class CommitTrailers:
    """The registry trailers one commit on the branch carries."""

    sha: str
    values: dict[str, list[str]] = field(default_factory=dict)

    def get(self, key: str) -> list[str]:
        """Every value of one trailer key."""
        return self.values.get(key, [])


def collect(found: Iterable[tuple[str, str, str]]) -> dict[str, CommitTrailers]:
    """(commit, key, value) triples, grouped per commit in branch order."""
    out: dict[str, CommitTrailers] = {}
    for sha, key, value in found:
        out.setdefault(sha, CommitTrailers(sha)).values.setdefault(key, []).append(value)
    return out


def check_reviews(session: Session) -> list[Finding]:
    """Every review's digest against its revision's text, recomputed from what is stored."""
    findings: list[Finding] = []
    recomputed: dict[int, str] = {}
    for r in session.scalars(select(Review).order_by(Review.proposal_id, Review.id)):
        revision = session.get_one(Revision, r.revision_id)
        if revision.id not in recomputed:
            recomputed[revision.id] = store.recomputed_digest(session, revision)
            if revision.digest != recomputed[revision.id]:
                findings.append(Finding("approval", f"proposal {r.proposal_id} revision {revision.number}",
                                        "the stored text no longer matches the revision's digest (edited)"))
        if r.digest != recomputed[revision.id]:
            what = "approval" if r.kind == "approve" else "request for changes"
            findings.append(Finding("approval", f"proposal {r.proposal_id} review {r.id}",
                                    f"the {what} by {r.printed_name} has digest {r.digest[:12]}, but the text of "
                                    f"revision {revision.number} digests to {recomputed[revision.id][:12]}"))
    return findings


def check_merges(session: Session, commits: dict[str, CommitTrailers]) -> list[Finding]:
    """Merged proposals against the commits on the branch that carry their Proposal-Id."""
    findings: list[Finding] = []
    carriers: dict[str, list[str]] = {}
    for c in commits.values():
        for value in c.get(PROPOSAL_ID):
            carriers.setdefault(value.strip(), []).append(c.sha)
    merged = {str(p.id): p for p in session.scalars(select(Proposal).where(Proposal.state == MERGED))}
    for number, p in merged.items():
        shas = carriers.get(number, [])
        where = f"proposal {number}"
        if not shas:
            findings.append(Finding("merge", where, f"merged as {(p.merged_sha or '?')[:12]} in the database, but "
                                                    f"no commit on the branch carries Proposal-Id: {number}"))
        elif len(shas) > 1:
            findings.append(Finding("merge", where, f"{len(shas)} commits carry Proposal-Id: {number} "
                                                    f"({', '.join(s[:12] for s in shas)}); exactly one may"))
        elif shas[0] != p.merged_sha:
            findings.append(Finding("merge", where, f"the commit carrying Proposal-Id: {number} is {shas[0][:12]}, "
                                                    f"the database records {(p.merged_sha or '?')[:12]}"))
    for number, shas in carriers.items():
        if number not in merged:
            named = session.get(Proposal, int(number)) if number.isdigit() else None
            state = f"is {named.state} in the database" if named else "does not exist in the database"
            for sha in shas:
                why = merge_mismatches(session, named, commits[sha]) if named is not None and named.state == APPROVED else []
                findings.append(Finding("trailers", f"commit {sha[:12]}", f"names proposal {number}, which {state}"
                                        + (f"; it is not that proposal's approved merge ({'; '.join(why)})"
                                           if why else "")))
    return findings


def check_trailers(session: Session, commits: dict[str, CommitTrailers]) -> list[Finding]:
    """Each registry commit's Approved-by and Audit-Head trailers, and its texts, against the database."""
    findings: list[Finding] = []
    for c in commits.values():
        numbers = c.get(PROPOSAL_ID)
        if not numbers:
            if c.get(APPROVED_BY):
                findings.append(Finding("trailers", f"commit {c.sha[:12]}",
                                        "carries Approved-by trailers but names no proposal"))
            continue
        p = session.get(Proposal, int(numbers[0])) if numbers[0].isdigit() else None
        if len(numbers) != 1 or p is None or p.merged_sha != c.sha:
            continue  # check_merges names these
        where = f"commit {c.sha[:12]} (proposal {p.id})"
        findings += [Finding(check, where, m) for check, found in _recognition(session, p, c).items() for m in found]
    return findings


def merge_mismatches(session: Session, p: Proposal, c: CommitTrailers) -> list[str]:
    """Why commit `c` is not the registry's merge of proposal `p` (empty when it is).

    Ingest asks this before it lets a commit that names a proposal complete it, so a direct push
    that carries a proposal's trailers (even copied from its real merge) but changes anything
    else cannot pass for an approved merge.
    """
    return [m for found in _recognition(session, p, c).values() for m in found]


def _recognition(session: Session, p: Proposal, c: CommitTrailers) -> dict[str, list[str]]:
    """The rule's failures by the verify check that names them: the trailers, then the contents."""
    return {"trailers": _anchor(session, p, c) + _approvals(session, p, c) + merge_trailers.mismatches(session, p, c.get),
            "merge": _contents(session, p, c.sha)}


def named_approvals(session: Session, p: Proposal, c: CommitTrailers) -> tuple[counted.SignedApproval, ...]:
    """The approvals commit `c` must name as proposal `p`'s merge.

    Once the merge is recorded, the approvals its event recorded. Before (a merge whose process
    died after its git commit), the approvals the policy counted when the commit was made: owners
    as OWNERS.toml had them at the commit, registry assignments as of its Audit-Head, so an owners
    change ingested after the commit does not unmake the merge.
    """
    if p.state == MERGED:
        return counted.recorded(session, p)
    anchor = _anchor_event(session, c)
    return counted.counting(session, p, seq_of(session, c.sha), anchor.at if anchor is not None else None)


def _approvals(session: Session, p: Proposal, c: CommitTrailers) -> list[str]:
    named = named_approvals(session, p, c)
    expected = Counter(a.trailer for a in named)
    found = Counter(c.get(APPROVED_BY))
    if expected == found:
        # Names exactly what the policy counts; each of those must also be what the audit chain recorded.
        return [f"Approved-by names an approval the audit trail does not back ({why})"
                for why in provenance.unrecorded(session, p.id, named)]
    only_git, only_db = sorted((found - expected).elements()), sorted((expected - found).elements())
    return [f"Approved-by trailers differ from the approvals in the database; only in git: {only_git or 'none'}; "
            f"only in the database: {only_db or 'none'}"]


def _anchor_event(session: Session, c: CommitTrailers) -> AuditEvent | None:
    """The audit event the commit's one Audit-Head names, when it exists with that hash."""
    heads = c.get(AUDIT_HEAD)
    parsed = parse_anchor(heads[0]) if len(heads) == 1 else None
    event = session.get(AuditEvent, parsed[0]) if parsed else None
    return event if event is not None and parsed is not None and event.hash == parsed[1] else None


def _anchor(session: Session, p: Proposal, c: CommitTrailers) -> list[str]:
    heads = c.get(AUDIT_HEAD)
    if len(heads) != 1:
        return [f"carries {len(heads)} Audit-Head trailers; a registry commit carries exactly one"]
    parsed = parse_anchor(heads[0])
    if parsed is None or _anchor_event(session, c) is None:
        # A registry merge anchors the head of a committed chain; a made-up or altered anchor is
        # no merge (verify's anchor check also names a missing or rewritten event).
        return [f"Audit-Head {heads[0].strip()!r} names no audit event with that seq and hash"]
    merge_event = session.scalar(select(AuditEvent.seq).where(
        AuditEvent.action == "proposal.merge", AuditEvent.subject == f"proposal:{p.id}").order_by(AuditEvent.seq))
    if merge_event is not None and parsed[0] >= merge_event:
        return [f"Audit-Head anchors event {parsed[0]}, but the merge was recorded as event {merge_event}: "
                "a merge anchors the chain as it stood before it"]
    return []


def _contents(session: Session, p: Proposal, sha: str) -> list[str]:
    """What the commit changed against what was approved: the texts, and nothing beyond them."""
    seq = seq_of(session, sha)
    if seq is None:
        return [f"the merge commit {sha[:12]} is not in the ledger; run `specreg ingest`"]
    changes = store.changes(session, store.current_revision(session, p))
    return _texts(session, changes, seq) + scope_mismatches(session, changes, seq)


def _texts(session: Session, changes: list[ProposedChange], seq: int) -> list[str]:
    """Touched clauses whose text at the merge commit is not the approved text."""
    out = []
    for ch in changes:
        if ch.kind == FILE:
            out += [why] if (why := text_mismatch(session, ch, seq)) else []
            continue
        # A removal is looked up by lineage: ingest may see a removed clause and an added one with
        # like text as a rename, and then the lineage lives on under the added clause's id.
        by = ClauseVersion.clause_id == ch.clause_id if ch.kind == "remove" else ClauseVersion.key == ch.key
        v = session.scalar(select(ClauseVersion).where(by, ClauseVersion.seq <= seq, ClauseVersion.live)
                           .order_by(ClauseVersion.seq.desc(), ClauseVersion.id.desc()).limit(1))
        if ch.kind == "remove":
            ok = v is None or v.removed or v.key != ch.key
        else:
            ok = v is not None and not v.removed and (v.title, dict(v.attributes), v.body) == (
                ch.title, dict(ch.attributes or {}), ch.body)
        if not ok:
            out.append(f"{ch.key}: the text at this commit is not the text the approvals were given for")
    return out
