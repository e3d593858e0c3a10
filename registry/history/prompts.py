"""Evaluation prompts: `examples/NAME.md` files that clauses cite as footnotes `[^NAME]`.

The files are not clauses, so ingest records them with a watcher; pages read them from the
database and never open the git repository.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, func, insert, select
from sqlalchemy.orm import Session

from registry.errors import UnknownPrompt
from registry.gitsource import RawCommit
from registry.history.queries import ClauseSummary, clause_summaries, footnoted_texts
from registry.ledger.hooks import IngestWatcher, WarnFn
from registry.ledger.refs import Point
from registry.models import ExampleFile

EXAMPLES_DIR = "examples/"
MAX_BYTES = 200_000
# `[^name]` not followed by `:` (that is the footnote's definition line, not a citation).
FOOTNOTE_REF = re.compile(r"\[\^([A-Za-z0-9_][A-Za-z0-9_.\-]*)\](?!:)")


@dataclass(frozen=True)
class Prompt:
    """A prompt a clause cites: its name, file path, and whether that file exists at the point."""

    name: str
    path: str
    exists: bool
    title: str

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {"name": self.name, "path": self.path, "exists": self.exists, "title": self.title}


@dataclass(frozen=True)
class PromptFile:
    """One prompt file's content at a point, and the clauses that cite it there."""

    prompt: Prompt
    content: str
    cited_by: list[ClauseSummary]


@dataclass(frozen=True)
class Coverage:
    """Which clauses in force at a point cite existing prompts, and which have none."""

    covered: list[tuple[ClauseSummary, list[Prompt]]]
    uncovered: list[ClauseSummary]
    broken: list[tuple[ClauseSummary, list[Prompt]]]  # cite prompts whose files do not exist

    @property
    def share(self) -> float:
        """Clauses citing at least one existing prompt, as a fraction of all clauses."""
        total = len(self.covered) + len(self.uncovered)
        return len(self.covered) / total if total else 0.0

    def as_dict(self) -> dict[str, object]:
        """{"clauses", "covered", "uncovered", "share", "with_prompts", "without_prompts", "missing_files"}."""
        def item(v: ClauseSummary, prompts: list[Prompt] | None = None) -> dict[str, object]:
            out: dict[str, object] = {"id": v.id, "title": v.title, "document": v.document}
            return out if prompts is None else out | {"prompts": [p.as_dict() for p in prompts]}
        return {"clauses": len(self.covered) + len(self.uncovered), "covered": len(self.covered),
                "uncovered": len(self.uncovered), "share": round(self.share, 4),
                "with_prompts": [item(v, ps) for v, ps in self.covered],
                "without_prompts": [item(v) for v in self.uncovered],
                "missing_files": [item(v, ps) for v, ps in self.broken]}


def footnote_refs(text: str) -> list[str]:
    """Names cited as `[^name]` in a clause text, first citation order, without repeats."""
    return list(dict.fromkeys(FOOTNOTE_REF.findall(text)))


def example_path(name: str) -> str:
    """The file a prompt name stands for."""
    return f"{EXAMPLES_DIR}{name}.md"


def _title(content: str | None, name: str) -> str:
    """The file's first heading, else its name."""
    for line in (content or "").splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip() or name
    return name


def _files_at(session: Session, paths: Iterable[str] | None, seq: int) -> dict[str, ExampleFile]:
    """Example files present at seq (all of them when paths is None)."""
    newest = (select(ExampleFile.path, func.max(ExampleFile.seq).label("seq"))
              .where(ExampleFile.seq <= seq, ExampleFile.live))
    if paths is not None:
        newest = newest.where(ExampleFile.path.in_(sorted(set(paths))))
    latest = newest.group_by(ExampleFile.path).subquery()
    rows = session.scalars(
        select(ExampleFile)
        .join(latest, and_(ExampleFile.path == latest.c.path, ExampleFile.seq == latest.c.seq))
        .where(ExampleFile.live)
    )
    return {f.path: f for f in rows if not f.deleted}


def _prompts(names: list[str], files: dict[str, ExampleFile]) -> list[Prompt]:
    out = []
    for name in names:
        f = files.get(example_path(name))
        out.append(Prompt(name, example_path(name), f is not None, _title(f.content if f else None, name)))
    return out


def citing_texts(session: Session, point: Point) -> dict[int, str]:
    """The texts at the point that may cite a prompt (contain `[^`), by lineage: no other text can."""
    return footnoted_texts(session, point)


def cited_prompts(session: Session, text: str, seq: int) -> list[Prompt]:
    """The prompts a clause text cites, each saying whether its file exists at seq."""
    names = footnote_refs(text)
    if not names:
        return []
    return _prompts(names, _files_at(session, [example_path(n) for n in names], seq))


def prompts_by_clause(session: Session, texts: dict[int, str], seq: int) -> dict[int, list[Prompt]]:
    """For many clause texts at once (by lineage): the prompts each cites, every file looked up in one query."""
    names = {cid: footnote_refs(text) for cid, text in texts.items()}
    wanted = {example_path(n) for cited in names.values() for n in cited}
    files = _files_at(session, wanted, seq) if wanted else {}
    return {cid: _prompts(cited, files) for cid, cited in names.items()}


def prompt_file(session: Session, name: str, point: Point) -> PromptFile:
    """A prompt file at a point with the clauses citing it; UnknownPrompt when it does not exist."""
    f = _files_at(session, [example_path(name)], point.seq).get(example_path(name))
    if f is None:
        raise UnknownPrompt(f"no evaluation prompt {example_path(name)} at {point.ref} ({point.sha[:12]})")
    texts = citing_texts(session, point)
    citing = [v for v in clause_summaries(session, point) if name in footnote_refs(texts.get(v.clause_id, ""))]
    return PromptFile(Prompt(name, f.path, True, _title(f.content, name)), f.content or "", citing)


def prompt_coverage(session: Session, point: Point) -> Coverage:
    """Sort the clauses in force at a point by whether they cite an existing prompt."""
    files = _files_at(session, None, point.seq)
    texts = citing_texts(session, point)
    covered, uncovered, broken = [], [], []
    for view in clause_summaries(session, point):
        prompts = _prompts(footnote_refs(texts.get(view.clause_id, "")), files)
        if any(not p.exists for p in prompts):
            broken.append((view, [p for p in prompts if not p.exists]))
        if any(p.exists for p in prompts):
            covered.append((view, [p for p in prompts if p.exists]))
        else:
            uncovered.append(view)
    return Coverage(covered, uncovered, broken)


class ExampleFilesWatcher(IngestWatcher):
    """Records every version of `examples/*.md` during ingest."""

    def __init__(self, session: Session, warn: WarnFn) -> None:
        super().__init__(session, warn)
        self.rows: list[dict[str, object]] = []

    def watches(self, path: str) -> bool:
        """Markdown files under examples/."""
        return path.startswith(EXAMPLES_DIR) and path.endswith(".md")

    def on_file(self, commit: RawCommit, seq: int, path: str, content: bytes | None) -> None:
        """Buffer the file's new content (None: deleted)."""
        if content is not None and len(content) > MAX_BYTES:
            self.warn(commit.sha, path, f"evaluation prompt is {len(content)} bytes, over the "
                      f"{MAX_BYTES}-byte limit; kept as an empty file")
            content = b""
        text = None if content is None else content.decode("utf-8", "replace")
        self.rows.append({"path": path, "seq": seq, "content": text, "deleted": content is None,
                          "abandoned": False})

    def on_rewind(self, fork_seq: int) -> None:
        """Set aside file versions of commits that left the branch (they are kept, like clauses)."""
        self.session.execute(ExampleFile.set_aside_after(fork_seq))

    def finish(self) -> None:
        """Write the buffered file versions."""
        if self.rows:
            self.session.execute(insert(ExampleFile), self.rows)
            self.rows = []
