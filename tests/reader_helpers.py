"""Helpers for tests of reading history: a random history, ingest into a database by URL, the rows ingest wrote."""
from __future__ import annotations

import random
from pathlib import Path

from ledger_helpers import render_sections
from repo_builder import RepoBuilder
from sqlalchemy import select

from registry.db import make_engine, session_scope
from registry.gitsource import SpecSource
from registry.ledger.ingest import IngestReport, ingest
from registry.ledger.options import IngestOptions
from registry.models import Clause as ClauseRow
from registry.models import ClauseKey, ClauseVersion, Commit, DocumentVersion, IngestWarning, Ledger

TITLES = ["Scope", "Privacy", "Honesty", "Tone", "Format", "Safety"]


def _render(doc: str, sections: list[dict]) -> str:
    return render_sections(f"# {doc} {{#{doc}}}\n\nIntro.\n", sections)


def random_history(path: Path, seed: int, commits: int = 24) -> RepoBuilder:
    """Three documents edited at random: bodies, titles, levels, ids, moves, renames, bad files."""
    rng = random.Random(seed)
    repo = RepoBuilder(path)
    serial = 0

    def section() -> dict:
        nonlocal serial
        serial += 1
        return {"id": rng.choice((None, f"r{serial}", f"r{serial}")), "title": rng.choice(TITLES),
                "level": rng.choice((2, 3, 4)), "authority": rng.choice(("system", "user")),
                "body": f"Body {serial} " + " ".join(rng.choice(TITLES).lower() for _ in range(8)) + ".",
                "fence": rng.random() < 0.2}

    docs = {f"spec/d{n}.md": [section() for _ in range(5)] for n in range(3)}
    repo.commit("start", {p: _render(p[5:7], s) for p, s in docs.items()})
    for n in range(commits):
        files: dict[str, str | bytes | None] = {}
        renames: dict[str, str] = {}
        for path in rng.sample(sorted(docs), rng.randint(1, 2)):
            sections = docs[path]
            target = rng.choice(sections)
            kind = rng.randrange(9)
            if kind == 0:
                target["title"] = rng.choice(TITLES)
            elif kind == 1:
                target["level"] = rng.choice((2, 3, 4))
            elif kind == 2 and len(sections) > 2:
                other = rng.choice([p for p in docs if p != path])
                sections.remove(target)
                docs[other].append(target)  # a clause moves to another document
                files[other] = _render(other[5:7], docs[other])
            elif kind == 3:
                target["id"] = rng.choice((None, f"c{rng.randrange(4)}"))  # renames and duplicate ids
            elif kind == 4:
                sections.insert(rng.randrange(len(sections) + 1), section())
            elif kind == 5:
                target["fence"] = not target["fence"]
            else:
                target["body"] += f" More {n}."
            files[path] = _render(path[5:7], sections)
        if n == 8:
            files["spec/bad.md"] = b"# Bad \xff\xfe\n"  # not UTF-8: a warning from the reader
        if n == 12:
            files["spec/bad.md"] = None
            old = sorted(docs)[0]
            new = old.replace("spec/", "spec/moved-")
            docs[new] = docs.pop(old)
            files.pop(old, None)
            renames[old] = new  # a file rename
        repo.commit(f"edit {n}", files, renames=renames)
    return repo


def ingest_at(url: str, repo: Path, options: IngestOptions) -> IngestReport:
    """Ingest `repo` into the database at `url`, committing after each batch."""
    engine = make_engine(url)
    try:
        with SpecSource(repo) as source, session_scope(engine, write=True) as s:
            return ingest(s, source, options, checkpoint=s.commit)
    finally:
        engine.dispose()


def ledger_rows(url: str) -> dict[str, list[tuple]]:
    """Every row ingest writes, without surrogate keys that depend on insert order."""
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            return {
                "ledger": [tuple(r) for r in s.execute(select(Ledger.head_sha, Ledger.head_seq, Ledger.includes))],
                "commits": [tuple(r) for r in s.execute(select(Commit.seq, Commit.sha).order_by(Commit.seq))],
                "clauses": [tuple(r) for r in s.execute(select(ClauseRow.id, ClauseRow.key, ClauseRow.first_seq)
                                          .order_by(ClauseRow.id))],
                "keys": sorted(tuple(r) for r in s.execute(select(ClauseKey.clause_id, ClauseKey.key, ClauseKey.first_seq))),
                "versions": [(v.clause_id, v.seq, v.key, v.title, v.attributes, v.body, v.document, v.parent_id,
                              v.level, v.changes, v.previous_key, v.removed)
                             for v in s.scalars(select(ClauseVersion).order_by(ClauseVersion.seq,
                                                                                ClauseVersion.clause_id))],
                "documents": [(d.path, d.seq, d.blob_sha, d.clause_ids, d.deleted, d.unreadable)
                              for d in s.scalars(select(DocumentVersion).order_by(DocumentVersion.seq,
                                                                                   DocumentVersion.path))],
                "warnings": [tuple(r) for r in s.execute(select(IngestWarning.commit_sha, IngestWarning.path, IngestWarning.line,
                                                  IngestWarning.message).order_by(IngestWarning.id))],
            }
    finally:
        engine.dispose()
