"""Pure: a diff of prose that reads like prose. Paragraphs are reflowed first (hard wraps and runs of
whitespace are not changes), then compared sentence by sentence, and a changed sentence word by word.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from registry.spec.parser import normalize
from registry.spec.worddiff import Op, word_diff

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]*_]*\s+")
_ITEM = re.compile(r"(?:[-*+]|\d{1,9}[.)])[ \t]")
_FENCE = re.compile(r"(?:`{3,}|~{3,})")


@dataclass(frozen=True)
class Sentence:
    """One sentence of the diff: unchanged, changed (word ops), only in the old text or only in the new."""

    kind: str  # "equal", "changed", "deleted" or "inserted"
    ops: tuple[Op, ...]
    paragraph: int  # the paragraph of the new text it is shown in

    @property
    def old_ops(self) -> tuple[Op, ...]:
        """The left side of a side-by-side view: the old sentence with its deletions."""
        return tuple(o for o in self.ops if o.op != "insert")

    @property
    def new_ops(self) -> tuple[Op, ...]:
        """The right side: the new sentence with its insertions."""
        return tuple(o for o in self.ops if o.op != "delete")


def _lines_of(block: list[str]) -> list[str]:
    """A block's logical lines: a paragraph joined into one, list items and quote lines each their own."""
    if _FENCE.match(block[0].lstrip()) or all(line.startswith("    ") for line in block):
        return ["\n".join(block)]  # code keeps its lines: whitespace there is meaning
    out: list[str] = []
    for line in block:
        starts_item = _ITEM.match(line.lstrip()) or line.lstrip().startswith(">")
        if out and not starts_item:
            out[-1] += " " + line.strip()
        else:
            out.append(line.strip())
    return [" ".join(line.split()) for line in out]


def reflow(text: str) -> list[str]:
    """Paragraphs (and list items) as single lines with single spaces; blank lines separate blocks."""
    blocks: list[list[str]] = [[]]
    fenced = False
    for line in normalize(text).split("\n"):
        if _FENCE.match(line.lstrip()):
            fenced = not fenced
        if not line.strip() and not fenced:
            blocks.append([])
        else:
            blocks[-1].append(line)
    return [logical for block in blocks if block for logical in _lines_of(block)]


def sentences(paragraph: str) -> list[str]:
    """A reflowed paragraph split after each `.`, `!` or `?` that a space follows; the space stays with it."""
    if "\n" in paragraph:
        return [paragraph]  # a code block is one unit
    parts, at = [], 0
    for m in _SENTENCE_END.finditer(paragraph):
        parts.append(paragraph[at:m.end()])
        at = m.end()
    if at < len(paragraph):
        parts.append(paragraph[at:])
    return parts


def _units(text: str) -> list[tuple[int, str]]:
    return [(n, s) for n, p in enumerate(reflow(text)) for s in sentences(p)]


def prose_diff(old: str, new: str) -> list[Sentence]:
    """The sentences of old and new, in order, each unchanged, changed, deleted or inserted."""
    a, b = _units(old), _units(new)
    out: list[Sentence] = []
    matcher = SequenceMatcher(None, [s.strip() for _n, s in a], [s.strip() for _n, s in b], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out += [Sentence("equal", (Op("equal", s),), n) for n, s in b[j1:j2]]
            continue
        pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(pairs):
            ops = tuple(word_diff(a[i1 + k][1], b[j1 + k][1]))
            out.append(Sentence("changed", ops, b[j1 + k][0]))
        # A deleted sentence sits where it was: in the paragraph of the sentence before it.
        at = out[-1].paragraph if out else (b[j1][0] if j1 < len(b) else 0)
        out += [Sentence("deleted", (Op("delete", s),), at) for _n, s in a[i1 + pairs:i2]]
        out += [Sentence("inserted", (Op("insert", s),), n) for n, s in b[j1 + pairs:j2]]
    return out


def changed(diff: list[Sentence]) -> bool:
    """Whether anything but reflowing differs."""
    return any(s.kind != "equal" for s in diff)


ELIDED = "elided"  # the kind of the one sentence an excerpt puts where unchanged sentences were left out


def excerpt(diff: list[Sentence], context: int = 1, limit: int = 40) -> tuple[list[Sentence], int]:
    """The changed sentences with `context` unchanged ones either side, each longer unchanged run as one
    "elided" sentence ("…"), and at most `limit` sentences; with how many changed or shown sentences were
    cut off after the limit (a changelog shows a bounded slice of every change and links the whole diff)."""
    near = {j for i, s in enumerate(diff) if s.kind != "equal" for j in range(i - context, i + context + 1)}
    out: list[Sentence] = []
    for i, s in enumerate(diff):
        if s.kind != "equal" or i in near:
            out.append(s)
        elif not out or out[-1].kind != ELIDED:
            out.append(Sentence(ELIDED, (Op("equal", "… "),), s.paragraph))
    return out[:limit], sum(1 for s in out[limit:] if s.kind != ELIDED)
