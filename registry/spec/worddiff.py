"""Pure word-level diff of two texts."""
from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True)
class Op:
    """A run of text that is equal in both, only in the old text (delete) or only in the new (insert)."""

    op: str  # "equal", "delete" or "insert"
    text: str


def tokens(text: str) -> list[str]:
    """Words, whitespace runs and single punctuation marks, in order."""
    return _TOKEN.findall(text)


def word_diff(old: str, new: str) -> list[Op]:
    """The ops that turn old into new, word by word; adjacent ops of a kind are merged."""
    a, b = tokens(old), tokens(new)
    ops: list[Op] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            _push(ops, "equal", "".join(a[i1:i2]))
            continue
        if tag in ("delete", "replace"):
            _push(ops, "delete", "".join(a[i1:i2]))
        if tag in ("insert", "replace"):
            _push(ops, "insert", "".join(b[j1:j2]))
    return ops


def _push(ops: list[Op], kind: str, text: str) -> None:
    if not text:
        return
    if ops and ops[-1].op == kind:
        ops[-1] = Op(kind, ops[-1].text + text)
    else:
        ops.append(Op(kind, text))


def as_text(ops: list[Op], delete: tuple[str, str] = ("[-", "-]"),
            insert: tuple[str, str] = ("{+", "+}")) -> str:
    """git's plain word-diff notation: [-deleted-]{+inserted+} (markers can carry colours)."""
    marks = {"equal": ("", ""), "delete": delete, "insert": insert}
    return "".join(marks[o.op][0] + o.text + marks[o.op][1] for o in ops)


def apply_old(ops: list[Op]) -> str:
    """The old text, rebuilt from the ops."""
    return "".join(o.text for o in ops if o.op != "insert")


def apply_new(ops: list[Op]) -> str:
    """The new text, rebuilt from the ops."""
    return "".join(o.text for o in ops if o.op != "delete")
