"""Small helpers shared by ledger tests."""
from __future__ import annotations

from repo_builder import RepoBuilder
from sqlalchemy.orm import Session

from registry.gitsource import SpecSource
from registry.history.clause_history import clause_history
from registry.history.queries import list_clauses
from registry.ledger.ingest import IngestReport, ingest
from registry.ledger.options import IngestOptions
from registry.ledger.refs import resolve


def run_ingest(session: Session, repo: RepoBuilder, **options: object) -> IngestReport:
    """Ingest the repo's main branch into the session."""
    with SpecSource(repo.path) as source:
        return ingest(session, source, IngestOptions(**options))  # type: ignore[arg-type]


def changes(session: Session, key: str) -> list[list[str]]:
    """The change sets of a clause's versions, oldest first."""
    return [e.changes for e in clause_history(session, key)]


def current_ids(session: Session, ref: str | None = None) -> list[str]:
    """Ids of the clauses in force at ref (default: head), in document order."""
    return [v.id for v in list_clauses(session, resolve(session, ref))]


def render_sections(head: str, sections: list[dict]) -> str:
    """A spec document: `head`, then each section's heading, body and (with `fence`) an example fence."""
    out = [head]
    for s in sections:
        authority = f" authority={s['authority']}" if s.get("authority") else ""
        attrs = f" {{#{s['id']}{authority}}}" if s["id"] else ""
        out.append(f"{'#' * s['level']} {s['title']}{attrs}\n\n{s['body']}\n")
        if s["fence"]:
            out.append("~~~\n# not a heading\n~~~\n")
    return "\n".join(out)
