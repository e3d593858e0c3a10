"""Use case: run every integrity check over the database and the spec repo it ingested.

The database alone: the audit chain recomputes, every review's digest is its revision's text, and
every review, account role, proposal state and webhook is what the audit chain recorded, no governance
file (OWNERS.toml, policy.toml, specreg.toml, frameworks.toml) changed without a merged proposal since governance
began, unless an admin acknowledged it, and the search index holds exactly each clause version's words.
Against the spec repo: every live clause version is the clause git holds at its commit, the anchors
on refs/specreg/audit (hash, MAC, key epoch) and the branch's Audit-Head anchors are still in the chain, every recorded OWNERS.toml, policy.toml and frameworks.toml version is
the file at its commit and every commit that changed one has its version, every merged
proposal has exactly one commit, and every registry commit's trailers match the database.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from registry.accountability.clause_text import check_clause_text
from registry.accountability.recorded_files import check_recorded_files
from registry.accountability.unapproved import unapproved_changes
from registry.accounts.provenance import check_accounts
from registry.audit.anchor import ANCHOR_REF, REMOTE_ANCHOR_REF, verify_anchor_ref
from registry.audit.events import Finding, parse_anchor, verify_anchors, verify_chain
from registry.audit.keys import current_key
from registry.errors import RemoteUnavailable, SourceError
from registry.gitsource import SpecSource
from registry.gitsource.remote import fetch_ref, redact
from registry.gitsource.trailers import AUDIT_HEAD
from registry.history.search_check import check_search_index
from registry.models import Ledger
from registry.proposals.integrity import (
    TRAILER_KEYS,
    CommitTrailers,
    check_merges,
    check_reviews,
    check_trailers,
    collect,
)
from registry.proposals.provenance import check_proposal_states, check_recorded_checks, check_recorded_reviews
from registry.webhooks.provenance import check_webhooks

ANCHOR_TRAILER = AUDIT_HEAD


def branch_trailers(source: SpecSource, branch: str) -> dict[str, CommitTrailers]:
    """The registry trailers of every commit on the branch (first-parent), in branch order."""
    head = source.resolve(branch)
    found = [(sha, key, value) for key in TRAILER_KEYS for sha, value in source.trailers(head, key)]
    order = {sha: i for i, sha in enumerate(source.first_parent_shas(head))}
    return collect(sorted(found, key=lambda t: -order[t[0]]))


def repo_anchors(commits: dict[str, CommitTrailers]) -> tuple[list[tuple[str, int, str]], list[Finding]]:
    """Audit heads anchored in the branch's commits, and findings for malformed ones."""
    anchors, findings = [], []
    for c in commits.values():
        for value in c.get(ANCHOR_TRAILER):
            parsed = parse_anchor(value)
            if parsed is None:
                findings.append(Finding("anchor", f"commit {c.sha[:12]}", f"malformed Audit-Head {value!r}"))
            else:
                anchors.append((c.sha, *parsed))
    return anchors, findings


def check_governance(session: Session) -> list[Finding]:
    """Each unacknowledged direct change of a governance file since governance began."""
    return [Finding("governance", f"commit {c.commit[:12]}",
                    f"changes {', '.join(c.governance_files)} without a merged proposal: who may approve "
                    "or how many approvals count changed ungoverned (acknowledge it with a reason, or revert it)")
            for c in unapproved_changes(session) if c.governance_files and not c.acknowledged]


def verify(session: Session, repo: str | None = None, remote: str | None = None) -> list[Finding]:
    """Every finding from every check; an empty list means the record holds.

    `remote`: the spec repo's URL (`repo` its clone), whose anchors are fetched and checked too."""
    key = current_key(create=False)
    findings = (verify_chain(session, key) + check_reviews(session) + check_recorded_reviews(session)
                + check_recorded_checks(session) + check_accounts(session) + check_proposal_states(session)
                + check_governance(session) + check_webhooks(session, key) + check_search_index(session))
    ledger = session.get(Ledger, 1)
    path = repo or (ledger.repo_path if ledger else None)
    if path is None:
        return findings
    try:
        if remote is not None:
            fetch_ref(Path(path), remote, ANCHOR_REF, REMOTE_ANCHOR_REF)
        with SpecSource(path) as source:
            commits = branch_trailers(source, ledger.branch if ledger else source.checked_out_branch())
            # read together, once: versions an ingest commits past them meanwhile are not yet its record
            head, head_seq = (ledger.head_sha, ledger.head_seq) if ledger else (None, 0)
            findings += (verify_anchor_ref(session, source, key) + check_recorded_files(session, source, head)
                         + check_clause_text(session, source, head, head_seq))
    except RemoteUnavailable as exc:
        return findings + [Finding("anchor", redact(remote or ""), f"cannot read the remote's anchors: {exc.message}")]
    except SourceError as exc:
        return findings + [Finding("anchor", path, f"cannot read the spec repo: {exc.message}")]
    anchors, bad = repo_anchors(commits)
    return (findings + bad + verify_anchors(session, anchors) + check_merges(session, commits)
            + check_trailers(session, commits))

