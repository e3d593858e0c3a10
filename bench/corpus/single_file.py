"""The single-file shape: one large spec document (250+ KB) and the evaluation prompts it cites.

`spec.md` holds ~80 sections with explicit `{#id authority=...}` headings, each with a few
subsections whose ids are derived from their titles; clauses cite `examples/NAME.md` prompts with
footnotes (`...text.[^NAME]` and `[^NAME]: examples/NAME.md`). A few releases (tags) each add
sections and rework a fifth of the text in one large commit; small edits fall in between.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from registry.gitsource.writer import FileOp, NewCommit, Write, import_history, init_repo

from .base import Corpus, add_half_branch
from .prose import ID_WORDS, PEOPLE, paragraph, sentence, title

BRANCH = "main"
DOCUMENT = "spec.md"
AUTHORITIES = ("root", "system", "developer", "user", "guideline")


@dataclass(frozen=True)
class SingleFileShape:
    """How big to build it (the defaults are the measured single-file spec's size)."""

    kilobytes: int = 270  # the document at the head
    named: int = 80  # sections with an explicit {#id} heading
    examples: int = 60  # examples/NAME.md prompts at the head
    releases: int = 6
    commits: int = 40
    seed: int = 7

    def scaled(self, factor: float) -> SingleFileShape:
        """The same shape with `factor` times the size, sections, prompts and commits."""
        def n(value: int, least: int) -> int:
            return max(least, round(value * factor))
        return SingleFileShape(n(self.kilobytes, 8), n(self.named, 4), n(self.examples, 2), n(self.releases, 2),
                               n(self.commits, 6), self.seed)


@dataclass
class _Section:
    id: str
    title: str
    authority: str
    paragraphs: list[str]
    subsections: list[tuple[str, list[str]]] = field(default_factory=list)  # (title, paragraphs)

    def render(self) -> str:
        out = [f"## {self.title} {{#{self.id} authority={self.authority}}}", *self.paragraphs]
        for sub_title, paragraphs in self.subsections:
            out += [f"### {sub_title}", *paragraphs]
        return "\n\n".join(out)


class _Spec:
    """The document and its prompts as they stand, and the edits that change them."""

    def __init__(self, shape: SingleFileShape, rng: random.Random) -> None:
        self.shape, self.rng = shape, rng
        self.sections: list[_Section] = []
        self.examples: dict[str, bytes] = {}
        self.cited: list[str] = []  # footnote definitions, in order of first citation
        # Bytes per section so that `named` sections make `kilobytes` at the head (a section
        # overshoots its budget by half a paragraph, and the edits between releases add some).
        self.section_bytes = shape.kilobytes * 1024 * 3 // (shape.named * 4)

    def text(self, budget: int) -> list[str]:
        """Paragraphs of about `budget` bytes, some citing a prompt."""
        out: list[str] = []
        while sum(len(p) + 2 for p in out) < budget:
            p = paragraph(self.rng, 2, 6)
            if self.rng.random() < 0.12 and self.examples:
                name = self.rng.choice(sorted(self.examples))
                p += f"[^{name}]"
                if name not in self.cited:
                    self.cited.append(name)
            out.append(p)
        return out

    def section(self) -> _Section:
        """A new section: a few paragraphs and one to four subsections."""
        taken = {s.id for s in self.sections}
        sid = f"{self.rng.choice(ID_WORDS)}_{self.rng.choice(ID_WORDS)}"
        while sid in taken:
            sid += f"_{self.rng.choice(ID_WORDS)}"
        subs = self.rng.randint(1, 4)
        share = self.section_bytes // (subs + 1)
        return _Section(sid, title(self.rng, 2, 5), self.rng.choice(AUTHORITIES), self.text(share),
                        [(title(self.rng, 1, 4), self.text(share)) for _ in range(subs)])

    def example(self) -> str:
        """A new prompt file."""
        name = f"{len(self.examples):04x}"
        self.examples[name] = (f"# Evaluation prompt {name}: {title(self.rng).lower()}\n\n**User:** {sentence(self.rng)}\n\n"
                               f"**Good response:** {paragraph(self.rng)}\n\n**Bad response:** {sentence(self.rng)}\n").encode()
        return name

    def rework(self, share: float) -> None:
        """Rewrite one paragraph in about `share` of the sections and subsections."""
        for s in self.sections:
            for paragraphs in [s.paragraphs, *(p for _t, p in s.subsections)]:
                if self.rng.random() < share:
                    paragraphs[self.rng.randrange(len(paragraphs))] = self.text(1)[0]

    def render(self) -> bytes:
        head = "# Assistant behaviour specification {#spec authority=root}\n\nWhat the assistant does, and why."
        notes = "\n".join(f"[^{n}]: examples/{n}.md" for n in self.cited)
        return "\n\n".join([head, *(s.render() for s in self.sections), notes]).encode() + b"\n"


def build(path: Path, shape: SingleFileShape = SingleFileShape()) -> Corpus:
    """Build the repo at path (branch main, tags v1.0 ... at the releases) and say what its head holds."""
    rng = random.Random(shape.seed)
    spec = _Spec(shape, rng)
    first = max(1, round(shape.named * 0.4))
    per_release = -(-(shape.named - first) // shape.releases)  # ceiling: the last release reaches `named`
    releases = {round((k + 1) * shape.commits / shape.releases) - 1: k + 1 for k in range(shape.releases)}
    when = datetime(2023, 3, 1, 10, tzinfo=UTC)
    stream: list[NewCommit] = []
    for n in range(shape.commits):
        ops: list[FileOp] = []
        if n == 0:
            for _ in range(max(1, shape.examples // (shape.releases + 1))):
                name = spec.example()
                ops.append(Write(f"examples/{name}.md", spec.examples[name]))
            spec.sections = [spec.section() for _ in range(first)]
            message = "First draft of the specification"
        elif n in releases:
            for _ in range(max(1, (shape.examples - len(spec.examples)) // (shape.releases - releases[n] + 1))):
                name = spec.example()
                ops.append(Write(f"examples/{name}.md", spec.examples[name]))
            spec.rework(0.2)
            for _ in range(min(per_release, shape.named - len(spec.sections))):
                spec.sections.insert(rng.randint(0, len(spec.sections)), spec.section())
            message = f"Release {releases[n]}.0"
        else:
            for s in rng.sample(spec.sections, min(len(spec.sections), rng.randint(1, 3))):
                if rng.random() < 0.5:
                    s.paragraphs.append(spec.text(1)[0])
                else:
                    s.paragraphs[rng.randrange(len(s.paragraphs))] = spec.text(1)[0]
            message = "Clarify " + rng.choice(spec.sections).title.lower()
        ops.append(Write(DOCUMENT, spec.render()))
        tag = f"v{releases[n]}.0" if n in releases else None
        when += timedelta(days=rng.randint(1, 12))
        stream.append(NewCommit(BRANCH, PEOPLE[n % len(PEOPLE)], when, message, ops, tag=tag,
                                tag_message=f"{tag}: release {releases[n]}" if tag else None))
    init_repo(path, BRANCH)
    import_history(path, stream)
    add_half_branch(path, BRANCH, shape.commits)
    ids = {"spec"} | {s.id for s in spec.sections}
    return Corpus("single_file", path, BRANCH, shape.commits, 1, DOCUMENT, frozenset(ids),
                  tags=tuple(f"v{k}.0" for k in sorted(releases.values())))
