"""The reference shape: a language reference kept in mdBook, as issue 12 measured one.

About 1,850 first-parent commits on `master` over 120+ chapters under `src/` with a `SUMMARY.md`;
about 3,000 `r[dotted.id]` markers at the head, some right after a `<!-- template:... -->` line;
a few large chapters. Most commits edit a rule or two or add a few, and among them are the
commits that make rename matching work: typo-fix renames of one id, rules moving to another
chapter under new ids, chapter splits, file renames, and waves where hundreds of ids disappear and
appear at once (a chapter restructured under a new prefix, an area's naming scheme changed, half a
chapter moved into another).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from registry.gitsource.writer import Delete, FileOp, NewCommit, Rename, Write, import_history, init_repo

from .base import Corpus, add_half_branch
from .prose import PEOPLE, paragraph, sentence, title
from .reference_model import (
    AREAS,
    SEGMENTS,
    Chapter,
    Ids,
    Rule,
    block,
    new_rule,
    plain_heading,
    rename_prefix,
    summary,
)

BRANCH = "master"
SCHEMES = {"attributes": "attr", "expr": "expression", "items": "item", "type": "types", "patterns": "pat",
           "lex": "lexical", "names": "name", "macro": "macros", "statement": "stmt", "layout": "repr"}


@dataclass(frozen=True)
class ReferenceShape:
    """How big to build it (the defaults are the measured reference's size)."""

    commits: int = 1850
    chapters: int = 124  # Markdown files under src/ at the head, SUMMARY.md aside
    rules: int = 3000  # r[...] markers at the head (chapter markers included)
    large_files: int = 3
    waves: int = 4  # commits where a whole chapter or area is renamed at once
    splits: int = 5
    file_renames: int = 4
    templated: float = 0.03  # share of new markers that follow a <!-- template:... --> line
    seed: int = 7

    def scaled(self, factor: float) -> ReferenceShape:
        """The same shape with `factor` times the commits, chapters, rules and events."""
        def n(value: int, least: int) -> int:
            return max(least, round(value * factor))
        return ReferenceShape(n(self.commits, 40), n(self.chapters, 6), n(self.rules, 80), n(self.large_files, 1),
                              n(self.waves, 2), n(self.splits, 1), n(self.file_renames, 1), self.templated, self.seed)


class _History:
    """The reference as it stands after each commit, and the operations that change it."""

    def __init__(self, shape: ReferenceShape, rng: random.Random) -> None:
        self.shape, self.rng, self.ids = shape, rng, Ids()
        self.chapters: list[Chapter] = []
        self.area_ids = {a: a for a in AREAS}  # the id prefix each area's chapters use now
        self.renames = 0
        self.waves: list[tuple[int, int]] = []

    # -- building blocks -------------------------------------------------------------------
    def markers(self) -> int:
        """r[...] markers in the reference now."""
        return sum(len(c.ids()) for c in self.chapters)

    def chapter(self, area: str | None = None, rules: int = 0, large: bool = False) -> Chapter:
        """A new chapter with `rules` rules, filed under an area (random when None)."""
        area = area or self.rng.choice(AREAS)
        name = self.ids.claim(f"{self.area_ids[area]}.{self.rng.choice(SEGMENTS)}")
        path = f"src/{area}/{name.rsplit('.', 1)[1]}.md"
        while path in {c.path for c in self.chapters}:
            path = f"{path[:-3]}-{self.rng.choice(SEGMENTS)}.md"
        c = Chapter(path, name, title(self.rng, 1, 3), large=large)
        self.add_rules(c, rules, len(c.rules))
        c.links = [f"[{s}]: ../{self.rng.choice(AREAS)}/{s}.md" for s in self.rng.sample(SEGMENTS, self.rng.randint(0, 6))]
        return c

    def add_rules(self, c: Chapter, count: int, at: int) -> None:
        """Insert `count` new rules at position `at`, a heading rule's paragraphs under its id."""
        group = c.prefix
        for k in range(count):
            if self.rng.random() < 0.035:
                c.rules.insert(at + k, plain_heading(self.rng))
                continue
            rule = new_rule(self.rng, self.ids, c.prefix, group, c.large, self.shape.templated)
            c.rules.insert(at + k, rule)
            if rule.heading and rule.id:
                group = rule.id

    def rename(self, rule: Rule, new: str) -> None:
        """Give a rule a new id (the clause continues: a rename ingest should detect)."""
        if rule.id is None or new == rule.id:
            return
        self.ids.release(rule.id)
        rule.id, rule.typo_of = self.ids.claim(new), None
        self.renames += 1

    def reword(self, rule: Rule) -> None:
        """A small edit: one sentence appended or replaced, or a new title."""
        prose = [i for i, b in enumerate(rule.blocks) if b[:1].isalpha()]
        if not prose:
            rule.title = title(self.rng) if rule.heading else rule.title
            return
        i = self.rng.choice(prose)
        sentences = rule.blocks[i].split(". ")
        if self.rng.random() < 0.5 and len(sentences) > 1:
            sentences[self.rng.randrange(len(sentences))] = sentence(self.rng).rstrip(".")
            rule.blocks[i] = ". ".join(sentences)
        else:
            rule.blocks[i] += " " + sentence(self.rng)

    def pick(self, least: int = 1) -> Chapter:
        """A chapter to work on; bigger ones more often, but not in proportion (people edit all over)."""
        pool = [c for c in self.chapters if len(c.rules) >= least] or self.chapters
        return self.rng.choices(pool, weights=[(len(c.rules) + 1) ** 0.4 for c in pool])[0]

    def move_under(self, rules: list[Rule], old: str, new: str) -> int:
        """Re-prefix the rules' ids from `old` to `new`; how many changed."""
        changed = 0
        for r in rules:
            if r.id is not None and rename_prefix(r.id, old, new) != r.id:
                self.rename(r, rename_prefix(r.id, old, new))
                changed += 1
        return changed

    # -- operations: each returns (message, touched chapters, file ops before the writes) ---
    def edit(self) -> tuple[str, list[Chapter], list[FileOp]]:
        touched = [self.pick() for _ in range(self.rng.choice((1, 2, 2)))]
        for c in touched:
            for _ in range(self.rng.randint(1, 6)):
                if not c.rules:
                    break
                rule = self.rng.choice(c.rules)
                kind = self.rng.random()
                if kind < 0.7 or not rule.blocks:
                    self.reword(rule)
                elif kind < 0.9:
                    rule.blocks.append(block(self.rng, c.large))
                else:
                    rule.blocks.pop(self.rng.randrange(len(rule.blocks)))
                    if not rule.heading and not rule.blocks:
                        rule.blocks.append(paragraph(self.rng))
        return f"Clarify {touched[0].title.lower()}", touched, []

    def add(self, due: int) -> tuple[str, list[Chapter], list[FileOp]]:
        c = self.pick()
        count = min(15, max(1, due - self.markers() + self.rng.randint(0, 2)))
        self.add_rules(c, count, self.rng.randint(0, len(c.rules)))
        return f"Add {count} rule(s) to {c.title.lower()}", [c], []

    def delete(self) -> tuple[str, list[Chapter], list[FileOp]]:
        c = self.pick(least=4)
        for _ in range(self.rng.randint(1, 2)):
            gone = c.rules.pop(self.rng.randrange(len(c.rules)))
            if gone.id:
                self.ids.release(gone.id)
        return f"Remove obsolete rules from {c.title.lower()}", [c], []

    def fix_typo(self) -> tuple[str, list[Chapter], list[FileOp]]:
        typos = [(c, r) for c in self.chapters for r in c.rules if r.typo_of]
        if typos:
            c, r = self.rng.choice(typos)
            self.rename(r, r.typo_of or "")
        else:  # no misspelt id left: another small rename (a plural, a clearer word)
            c = self.pick()
            marked = [r for r in c.rules if r.id]
            if not marked:
                return self.edit()
            r = self.rng.choice(marked)
            self.rename(r, (r.id or "") + "s" if self.rng.random() < 0.5 else f"{r.id}-{self.rng.choice(SEGMENTS)}")
        if self.rng.random() < 0.3:
            self.reword(r)
        return f"Fix rule id {r.id}", [c], []

    def move(self) -> tuple[str, list[Chapter], list[FileOp]]:
        source = self.pick(least=6)
        target = self.rng.choice([c for c in self.chapters if c is not source])
        start = self.rng.randrange(1, len(source.rules))
        moved = source.rules[start:start + self.rng.randint(1, 8)]
        del source.rules[start:start + len(moved)]
        self.move_under(moved, source.prefix, target.prefix)
        at = self.rng.randint(0, len(target.rules))
        target.rules[at:at] = moved
        return f"Move {len(moved)} rule(s) from {source.title.lower()} to {target.title.lower()}", [source, target], []

    def new_chapter(self) -> tuple[str, list[Chapter], list[FileOp]]:
        c = self.chapter(rules=self.rng.randint(3, max(4, self.shape.rules // self.shape.chapters)))
        self.chapters.append(c)
        return f"Add a chapter on {c.title.lower()}", [c], []

    def split(self) -> tuple[str, list[Chapter], list[FileOp]]:
        source = self.pick(least=12)
        area = source.path.split("/")[1]
        part = self.chapter(area)
        half = len(source.rules) // 2
        part.rules = source.rules[half:]
        del source.rules[half:]
        self.move_under(part.rules, source.prefix, part.prefix)
        self.chapters.insert(self.chapters.index(source) + 1, part)
        return f"Split {source.title.lower()} in two", [source, part], []

    def rename_file(self) -> tuple[str, list[Chapter], list[FileOp]]:
        c = self.pick()
        old = c.path
        while c.path == old or c.path in {o.path for o in self.chapters if o is not c}:
            c.path = f"{old[:-3]}-{self.rng.choice(SEGMENTS)}.md"
        return f"Rename {old} to {c.path}", [], [Rename(old, c.path)]

    def wave(self, n: int) -> tuple[str, list[Chapter], list[FileOp]]:
        """Hundreds of ids disappear and appear in one commit; bodies mostly the same."""
        kind = len(self.waves) % 3
        before = self.renames
        if kind == 0:  # a chapter restructured under a new prefix, some rules reworded and reordered
            c = max(self.chapters, key=lambda c: len(c.rules))
            old, c.prefix = c.prefix, self.ids.claim(f"{c.prefix}-{self.rng.choice(SEGMENTS)}")
            self.ids.release(old)
            self.renames += 1
            self.move_under(c.rules, old, c.prefix)
            self._shake(c.rules)
            touched, message = [c], f"Restructure {c.title.lower()}"
        elif kind == 1:  # an area's naming scheme changed (an area near a twentieth of the rules)
            size = {a: sum(len(c.rules) for c in self.chapters if c.path.split("/")[1] == a) for a in AREAS}
            area = min(AREAS, key=lambda a: abs(size[a] - self.shape.rules // 20))
            old_area = self.area_ids[area]
            self.area_ids[area] = new_area = self.ids.claim(SCHEMES.get(area, area + "s"))
            touched = [c for c in self.chapters if c.path.split("/")[1] == area]
            for c in touched:
                old, c.prefix = c.prefix, self.ids.claim(rename_prefix(c.prefix, old_area, new_area))
                self.ids.release(old)
                self.renames += 1
                self.move_under(c.rules, old, c.prefix)
            message = f"Rename the {area} rule ids from {old_area}.* to {new_area}.*"
        else:  # half of a chapter moved into another one, under its ids
            source = max(self.chapters, key=lambda c: len(c.rules))
            target = self.rng.choice([c for c in self.chapters if c is not source])
            moved = source.rules[len(source.rules) // 2:]
            del source.rules[len(source.rules) // 2:]
            self.move_under(moved, source.prefix, target.prefix)
            self._shake(moved)
            target.rules.extend(moved)
            touched, message = [source, target], f"Move the second half of {source.title.lower()} into {target.title.lower()}"
        self.waves.append((n, self.renames - before))
        return message, touched, []

    def _shake(self, rules: list[Rule]) -> None:
        """Reword a quarter of the rules and move a tenth of them elsewhere in the list."""
        for r in rules:
            if self.rng.random() < 0.25:
                self.reword(r)
        for _ in range(len(rules) // 10):
            rules.insert(self.rng.randrange(len(rules)), rules.pop(self.rng.randrange(len(rules))))


def build(path: Path, shape: ReferenceShape = ReferenceShape()) -> Corpus:
    """Build the repo at path (branch master) and say what its head holds."""
    rng = random.Random(shape.seed)
    h = _History(shape, rng)
    initial_chapters = max(3, round(shape.chapters * 0.7))
    large = [h.chapter(rules=max(12, round(shape.rules * 0.05)), large=True) for _ in range(shape.large_files)]
    rest = [h.chapter(rules=rng.randint(3, max(4, round(shape.rules * 0.55 / initial_chapters * 1.6))))
            for _ in range(initial_chapters - len(large))]
    h.chapters = sorted(large + rest, key=lambda c: (AREAS.index(c.path.split("/")[1]), c.path))
    first_markers = h.markers()
    others = rng.sample(range(1, shape.commits), shape.waves + shape.splits + shape.file_renames)
    waves, splits = set(others[:shape.waves]), set(others[shape.waves:shape.waves + shape.splits])
    when = datetime(2016, 1, 4, 9, tzinfo=UTC)
    intro = b"# Introduction\n\nThis book is the primary reference for the language.\n\n## Conventions\n\nRules carry ids.\n"
    stream = [NewCommit(BRANCH, PEOPLE[0], when, "Import the reference",
                        [Write("README.md", b"# The Reference\n\nBuild it with `mdbook build`.\n"),
                         Write("src/introduction.md", intro), Write("src/SUMMARY.md", summary(h.chapters)),
                         *(Write(c.path, c.render()) for c in h.chapters)])]
    for n in range(1, shape.commits):
        due = first_markers + (shape.rules - first_markers) * n // (shape.commits - 1)
        paths_before = [c.path for c in h.chapters]
        if n in waves:
            message, touched, ops = h.wave(n)
        elif n in splits:
            message, touched, ops = h.split()
        elif n in others:
            message, touched, ops = h.rename_file()
        elif len(h.chapters) < initial_chapters + (shape.chapters - initial_chapters) * n // (shape.commits - 1):
            message, touched, ops = h.new_chapter()
        elif h.markers() < due - max(3, shape.rules // 50):  # fallen behind the growth line
            message, touched, ops = h.add(due)
        elif h.markers() > due + max(3, shape.rules // 50):  # gone past it
            message, touched, ops = h.delete()
        else:
            op = rng.choices((h.edit, h.add, h.delete, h.fix_typo, h.move), (0.73, 0.17, 0.03, 0.05, 0.02))[0]
            message, touched, ops = op(due) if op == h.add else op()
        ops = list(ops) + [Write(p, c.render()) for p, c in {c.path: c for c in touched}.items()]
        if [c.path for c in h.chapters] != paths_before:
            ops.append(Write("src/SUMMARY.md", summary(h.chapters)))
        ops += [Delete(p) for p in set(paths_before) - {c.path for c in h.chapters} - {o.old for o in ops if isinstance(o, Rename)}]
        when += timedelta(hours=rng.randint(2, 40))
        stream.append(NewCommit(BRANCH, PEOPLE[n % len(PEOPLE)], when, message, ops))
    init_repo(path, BRANCH)
    import_history(path, stream)
    add_half_branch(path, BRANCH, shape.commits)
    head_ids = {i for c in h.chapters for i in c.ids()}
    templated = {r.id for c in h.chapters for r in c.rules if r.template and r.id}
    edit = max(h.chapters, key=lambda c: len(c.render()))  # the largest file: a push there costs most
    return Corpus("reference", path, BRANCH, shape.commits, len(h.chapters) + 2, edit.path, frozenset(head_ids),
                  frozenset(templated), h.renames, tuple(h.waves))

