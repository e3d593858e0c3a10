"""CommonMark link reference definitions (`[label]: destination "title"`): where one ends.

Pure. A definition may spread over lines (label, destination and title each may start or go on
on the next line), so the caller passes the lines that could still belong to it as one string.
See "Link reference definitions" in the CommonMark spec (0.31.2).
"""
from __future__ import annotations

import re

_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_MAX_LABEL = 999
_MAX_PARENS = 32  # nesting of unescaped parentheses in a destination (as markdown-it-py allows)
_CLOSER = {'"': '"', "'": "'", "(": ")"}

# The common shape on one line, with nothing to unescape or balance: decided without the
# character walk below (a miss proves nothing and takes the walk).
_SIMPLE = re.compile(r"""\[([^\[\]\\\n]{1,999})\]:[ \t]*(?:<[^<>\\\n]*>|[^\x00-\x20\x7f<()\\][^\x00-\x20\x7f()\\]*)"""
                     r"""(?:([ \t]+)(?:"[^"\\\n]*"|'[^'\\\n]*'|\([^()\\\n]*\)))?[ \t]*(?=\n|$)""")
# A label with no brackets inside that closes on the line, and what follows it.
_LABEL_ON_LINE = re.compile(r"\[[^\[\]\\]*\](.?)")


def may_open(line: str) -> bool:
    """False when a line that starts with `[` certainly begins no definition, whatever lines follow."""
    m = _LABEL_ON_LINE.match(line)
    if m:
        return m.group(1) == ":"
    end = _label_end(line, 0)
    return end == 0 or (end > 0 and line[end:end + 1] == ":")


def definition_end(src: str, pos: int) -> int | None:
    """The end of the line a definition that opens at `src[pos]` (a `[`) ends on; None: not one."""
    m = _SIMPLE.match(src, pos)
    if m and m.group(1).strip(" \t"):
        # Without a title on its line, a definition may still take one from the next line.
        after = _skip_space(src, m.end() + 1, newlines=False)
        if m.group(2) is not None or src[after:after + 1] not in _CLOSER:
            return m.end()
    label_end = _label_end(src, pos)
    if label_end <= 0 or src[label_end:label_end + 1] != ":":
        return None
    dest = _skip_space(src, label_end + 1, newlines=True)
    dest_end = _destination_end(src, dest)
    if dest_end is None:
        return None
    title = _skip_space(src, dest_end, newlines=True)
    if title > dest_end and title < len(src) and src[title] in _CLOSER:
        title_end = _title_end(src, title)
        if title_end is not None:
            eol = _skip_space(src, title_end, newlines=False)
            if eol == len(src) or src[eol] == "\n":
                return eol
    # No title, or one that text follows: the definition ends with its destination's line.
    eol = _skip_space(src, dest_end, newlines=False)
    return eol if eol == len(src) or src[eol] == "\n" else None


def _skip_space(src: str, pos: int, newlines: bool) -> int:
    """The first position from `pos` that is not a space or tab (nor, with `newlines`, a line end)."""
    space = " \t\n" if newlines else " \t"
    n = len(src)
    while pos < n and src[pos] in space:
        pos += 1
    return pos


def _label_end(src: str, pos: int) -> int:
    """The position after the `]` closing the label at `src[pos]`; -1: not a label; 0: still open at the end."""
    i, n = pos + 1, min(len(src), pos + _MAX_LABEL + 2)
    while i < n:
        c = src[i]
        if c == "\\" and src[i + 1:i + 2] in _PUNCTUATION:
            i += 2  # an escaped character (only punctuation is escaped)
            continue
        if c == "[":
            return -1
        if c == "]":
            # At most 999 characters, and at least one that is not a space, tab or line end.
            inside = src[pos + 1:i]
            return i + 1 if len(inside) <= _MAX_LABEL and inside.strip(" \t\n") else -1
        i += 1
    return 0 if i >= len(src) else -1


def _destination_end(src: str, pos: int) -> int | None:
    """The position after a link destination starting at `pos`; None when there is none."""
    n = len(src)
    if pos < n and src[pos] == "<":
        i = pos + 1
        while i < n:
            c = src[i]
            if c == "\\" and src[i + 1:i + 2] in _PUNCTUATION:
                i += 2
                continue
            if c == ">":
                return i + 1
            if c in "<\n":
                return None
            i += 1
        return None
    i, depth = pos, 0
    while i < n:
        c = src[i]
        if c <= " " or c == "\x7f":
            break
        if c == "\\" and src[i + 1:i + 2] in _PUNCTUATION:
            i += 2
            continue
        if c == "(":
            depth += 1
            if depth > _MAX_PARENS:
                return None
        elif c == ")":
            if depth == 0:
                break
            depth -= 1
        i += 1
    return i if i > pos and depth == 0 else None


def _title_end(src: str, pos: int) -> int | None:
    """The position after a title that opens at `src[pos]` (`"`, `'` or `(`); None when it does not close."""
    closer = _CLOSER[src[pos]]
    i, n = pos + 1, len(src)
    while i < n:
        c = src[i]
        if c == "\\" and src[i + 1:i + 2] in _PUNCTUATION:
            i += 2
            continue
        if c == closer:
            return i + 1
        if c == "(" and closer == ")":
            return None
        i += 1
    return None
