"""The generated shape: many small documents of ~25 `{#id}` clauses, each commit editing one to three.

No rename waves, no HTML, no large files: the shape Specreg's first benchmark used (kept so its
figures stay comparable), and the one that hid a 25x ingest on a real reference.
"""
from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from registry.gitsource.writer import NewCommit, Write, import_history, init_repo

from .base import Corpus, add_half_branch
from .prose import PEOPLE

# The first benchmark's vocabulary, kept so the same seed builds the same repo as before.
WORDS = ["assistant", "user", "developer", "must", "should", "never", "always", "respond", "refuse", "explain",
         "context", "policy", "privacy", "data", "harm", "safety", "honest", "clear", "brief", "tone", "format",
         "example", "request", "instruction", "system", "content", "tool", "output", "model", "answer",
         "question", "verify", "source", "claim", "risk"]


@dataclass(frozen=True)
class GeneratedShape:
    """How big to build it."""

    commits: int = 5000
    documents: int = 120
    seed: int = 7

    def scaled(self, factor: float) -> GeneratedShape:
        """The same shape with `factor` times the commits and documents."""
        documents = max(2, round(self.documents * factor))
        return GeneratedShape(max(documents + 2, round(self.commits * factor)), documents, self.seed)


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 18))).capitalize() + "."


def _render(doc: int, clauses: list[dict[str, Any]]) -> bytes:
    out = [f"# Part {doc} {{#part_{doc} authority=system}}\n\nThis part collects rules of group {doc}.\n"]
    for c in clauses:
        attrs = f" {{#{c['id']} authority={c['authority']}}}" if c["id"] else ""
        out.append(f"{'#' * c['level']} {c['title']}{attrs}\n\n{c['body']}\n")
        if c["example"]:
            out.append("~~~\n# an example heading inside a fence\nuser: hello\n~~~\n")
    return "\n".join(out).encode()


def build(path: Path, shape: GeneratedShape = GeneratedShape()) -> Corpus:
    """Build the repo at path (branch main): documents of ~25 clauses, each commit editing one to three."""
    rng = random.Random(shape.seed)
    init_repo(path)
    docs: dict[int, list[dict[str, Any]]] = {}
    serial = 0

    def clause() -> dict[str, Any]:
        nonlocal serial
        serial += 1
        return {"id": f"rule_{serial}" if rng.random() < 0.8 else None, "title": f"Rule {serial}",
                "level": rng.choice((2, 2, 3, 3, 4)), "authority": rng.choice(("system", "developer", "user")),
                "body": " ".join(_sentence(rng) for _ in range(rng.randint(2, 5))), "example": rng.random() < 0.1}

    start = datetime(2020, 1, 1, tzinfo=UTC)
    stream = []
    for n in range(shape.commits):
        ops = []
        if n < shape.documents:
            docs[n] = [clause() for _ in range(25)]
            touched = [n]
        else:
            touched = rng.sample(sorted(docs), rng.randint(1, 3))
        for d in touched:
            if n >= shape.documents:
                _mutate(rng, docs[d], clause)
            ops.append(Write(f"spec/part-{d:03d}.md", _render(d, docs[d])))
        stream.append(NewCommit("main", PEOPLE[n % 6], start + timedelta(hours=3 * n),
                                f"Edit {len(touched)} part(s), change {n}", ops))
    import_history(path, stream)
    add_half_branch(path, "main", shape.commits)
    ids = {f"part_{d}" for d in docs} | {c["id"] for clauses in docs.values() for c in clauses if c["id"]}
    return Corpus("generated", path, "main", shape.commits, len(docs), "spec/part-000.md", frozenset(ids))


def _mutate(rng: random.Random, clauses: list[dict[str, Any]], make: Callable[[], dict[str, Any]]) -> None:
    kind = rng.random()
    target = rng.choice(clauses)
    if kind < 0.6:
        target["body"] += " " + _sentence(rng)
    elif kind < 0.7:
        target["title"] += " (revised)"
    elif kind < 0.8:
        target["authority"] = rng.choice(("root", "system", "developer", "user", "guideline"))
    elif kind < 0.9:
        clauses.insert(rng.randrange(len(clauses) + 1), make())
    elif len(clauses) > 5:
        clauses.remove(target)
