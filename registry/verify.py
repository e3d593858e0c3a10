"""Use case: run every integrity check over the database and the spec repo it ingested."""
from __future__ import annotations

from sqlalchemy.orm import Session

from registry.audit import Finding, parse_anchor, verify_anchors, verify_chain
from registry.errors import SourceError
from registry.gitsource import SpecSource
from registry.models import Ledger

ANCHOR_TRAILER = "Audit-Head"


def repo_anchors(source: SpecSource, branch: str) -> tuple[list[tuple[str, int, str]], list[Finding]]:
    """Audit heads anchored in the branch's commits, and findings for malformed ones."""
    anchors, findings = [], []
    for commit, value in source.trailers(source.resolve(branch), ANCHOR_TRAILER):
        parsed = parse_anchor(value)
        if parsed is None:
            findings.append(Finding("anchor", f"commit {commit[:12]}", f"malformed Audit-Head {value!r}"))
        else:
            anchors.append((commit, *parsed))
    return anchors, findings


def verify(session: Session, repo: str | None = None) -> list[Finding]:
    """Every finding from every check; an empty list means the record holds."""
    findings = verify_chain(session)
    ledger = session.get(Ledger, 1)
    path = repo or (ledger.repo_path if ledger else None)
    if path is None:
        return findings
    try:
        with SpecSource(path) as source:
            anchors, bad = repo_anchors(source, ledger.branch if ledger else "main")
    except SourceError as exc:
        return findings + [Finding("anchor", path, f"cannot read the spec repo: {exc.message}")]
    return findings + bad + verify_anchors(session, anchors)
