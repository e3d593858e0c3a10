"""The reference shape's building blocks: rules, chapters, ids, and how mdBook sources spell them.

A chapter is a Markdown file under `src/` that opens with `r[PREFIX]` and its `# Title`; each rule
is an `r[dotted.id]` marker line right above the heading or block it labels, sometimes after a
`<!-- template:... -->` line. Bodies mix paragraphs, `> [!NOTE]` admonitions, Rust code fences
whose hidden lines start with `#`, lists, `{{#include}}` lines and `<div class="warning">` blocks;
link reference definitions close the file.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from .prose import CODE_NAMES, ID_WORDS, paragraph, sentence, title

AREAS = ("lex", "items", "expr", "type", "attributes", "patterns", "names", "macro", "abi", "unsafe",
         "const-eval", "destructors", "layout", "statement", "crate", "asm", "runtime", "dynamic")
SEGMENTS = ID_WORDS
TEMPLATES = ("attributes", "attribute-intro", "builtin-attribute", "lint-attribute", "edition-note")
ADMONITIONS = ("NOTE", "NOTE", "NOTE", "WARNING", "EDITION-2021", "EDITION-2024")
# (misspelt, right): ids sometimes start with the first and a later commit fixes them.
TYPOS = (("recieve", "receive"), ("seperate", "separate"), ("occurence", "occurrence"), ("paramter", "parameter"),
         ("lifetme", "lifetime"), ("alignemnt", "alignment"), ("dereference", "deref"), ("initializer", "init"))
_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*\Z")


@dataclass
class Rule:
    """One clause: a marker (or none: a plain heading gets a derived id) above a heading or a block."""

    id: str | None
    heading: int  # 0: the marker labels the first body block; 2..4: a heading of that level
    title: str
    blocks: list[str]
    template: str | None = None
    typo_of: str | None = None  # the id this one misspells, until a commit fixes it

    def render(self) -> str:
        """The rule's Markdown, without the blank line that separates it from the next."""
        head = [f"<!-- template:{self.template} -->"] if self.template else []
        if self.id is not None:
            head.append(f"r[{self.id}]")
        if self.heading:
            head.append(f"{'#' * self.heading} {self.title}")
            return "\n\n".join(["\n".join(head), *self.blocks]) if self.blocks else "\n".join(head)
        return "\n\n".join(["\n".join([*head, self.blocks[0]]), *self.blocks[1:]])


@dataclass
class Chapter:
    """One Markdown file under src/: its path, id prefix, title, rules and link definitions."""

    path: str
    prefix: str
    title: str
    rules: list[Rule] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    large: bool = False

    def render(self) -> bytes:
        """The file's bytes."""
        parts = [f"r[{self.prefix}]\n# {self.title}", *(r.render() for r in self.rules)]
        if self.links:
            parts.append("\n".join(self.links))
        return ("\n\n".join(parts) + "\n").encode()

    def ids(self) -> list[str]:
        """The explicit ids the file gives, in order."""
        return [self.prefix] + [r.id for r in self.rules if r.id is not None]


class Ids:
    """Every id in use, so new ones are unique (as a real reference's are)."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def claim(self, wanted: str) -> str:
        """`wanted`, or `wanted-2`, `wanted-3`... the first free one."""
        n, candidate = 1, wanted
        while candidate in self.taken:
            n += 1
            candidate = f"{wanted}-{n}"
        assert _ID.match(candidate), candidate
        self.taken.add(candidate)
        return candidate

    def release(self, old: str) -> None:
        """An id no rule uses any more."""
        self.taken.discard(old)

    def under(self, rng: random.Random, parent: str) -> str:
        """A fresh id one segment below parent."""
        return self.claim(f"{parent}.{rng.choice(SEGMENTS)}")


def block(rng: random.Random, large: bool = False) -> str:
    """One body block: mostly prose, sometimes an admonition, code, a list, an include or a div."""
    kind = rng.random()
    if kind < (0.45 if large else 0.62):
        return paragraph(rng, 1, 5 if large else 3)
    if kind < 0.70:
        quoted = "\n> ".join(sentence(rng) for _ in range(rng.randint(1, 2)))
        return f"> [!{rng.choice(ADMONITIONS)}]\n> {quoted}"
    if kind < 0.88:
        return code(rng, rng.randint(4, 30 if large else 12))
    if kind < 0.95:
        return "\n".join(f"* {sentence(rng, 4, 12)}" for _ in range(rng.randint(2, 5)))
    if kind < 0.98:
        return f"{{{{#include ../shared/{rng.choice(SEGMENTS)}.md}}}}"
    return f'<div class="warning">\n\nWarning: {sentence(rng)}\n\n</div>'


def code(rng: random.Random, lines: int) -> str:
    """A Rust example whose hidden lines start with `#` (a heading, were it outside the fence)."""
    name = rng.choice(CODE_NAMES)
    body = [f"let {rng.choice('xyzabc')}: {rng.choice(CODE_NAMES)} = {rng.choice(CODE_NAMES)}::new({k});"
            for k in range(lines)]
    fence = rng.choice(("```rust", "```rust", "```rust,ignore", "```rust,compile_fail"))
    lead = "<!-- ignore: requires a linker -->\n" if rng.random() < 0.05 else ""
    return f"{lead}{fence}\n# #![allow(unused)]\n# struct {name};\n# fn main() {{\n" + "\n".join(body) + "\n# }\n```"


def grammar(rng: random.Random, name: str) -> str:
    """A grammar production block (what a `syntax` rule labels)."""
    rhs = " ".join(rng.choice(("Expression", "Type", "`(`", "`)`", "IDENTIFIER", "Pattern", "`,`", "Attr?"))
                   for _ in range(rng.randint(2, 7)))
    return f"```grammar,{name}\n{name.title().replace('-', '')} ->\n    {rhs}\n```"


def new_rule(rng: random.Random, ids: Ids, chapter: str, group: str, large: bool, templated: float) -> Rule:
    """A fresh rule: a heading rule under the chapter's prefix, or a paragraph rule under the group
    (the heading rule above it, else the chapter), sometimes after a template comment."""
    heading = rng.random() < 0.22
    parent = chapter if heading else group
    segment = rng.choice(SEGMENTS)
    typo = None
    if rng.random() < 0.02:
        wrong, typo = rng.choice(TYPOS)
        segment = wrong
    rule_id = ids.claim(f"{parent}.{segment}")
    typo_of = f"{parent}.{typo}" if typo else None
    template = rng.choice(TEMPLATES) if rng.random() < templated else None
    if heading:
        return Rule(rule_id, rng.choice((2, 2, 3, 4)), title(rng), [], template, typo_of)
    first = grammar(rng, segment) if rng.random() < 0.08 else (code(rng, 6) if rng.random() < 0.1 else paragraph(rng))
    more = [block(rng, large) for _ in range(rng.randint(0, 3 if large else 1))]
    return Rule(rule_id, 0, "", [first, *more], template, typo_of)


def plain_heading(rng: random.Random) -> Rule:
    """A heading without a marker (its id is derived from the title), with a paragraph under it."""
    return Rule(None, rng.choice((2, 3)), rng.choice(("Examples", "Notes", "Details")) + " " + title(rng, 1, 2),
                [paragraph(rng)])


def rename_prefix(rule_id: str, old: str, new: str) -> str:
    """`old.x.y` -> `new.x.y` (an id moved under another prefix)."""
    return new + rule_id[len(old):] if rule_id == old or rule_id.startswith(old + ".") else rule_id


def summary(chapters: list[Chapter]) -> bytes:
    """mdBook's SUMMARY.md: one part per area, one entry per chapter, in reading order."""
    out = ["# Summary", "", "[Introduction](introduction.md)"]
    for area in AREAS:
        entries = [f"- [{c.title}]({c.path[len('src/'):]})" for c in chapters if c.path.split("/")[1] == area]
        if entries:
            out += ["", f"# {area.replace('-', ' ').capitalize()}", "", *entries]
    return ("\n".join(out) + "\n").encode()
