"""What one line of Markdown opens, read on its own: the patterns and tests of the block scanner.

Pure: ATX headings, fence openers, setext underlines, thematic breaks, list markers, and whether a
line would only continue a paragraph. The scanner (`blocks`) asks them of a line's text past its
containers; which containers and leaves are open is its own business.
"""
from __future__ import annotations

import re

from registry.spec.html_blocks import start_kind

_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]|$)")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)$")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*$")
_HR = re.compile(r" {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$")
_BULLET = re.compile(r"( {0,3})([-+*])([ \t]|$)")
_ORDERED = re.compile(r"( {0,3})(\d{1,9})([.)])([ \t]|$)")
# Characters that can begin something other than plain paragraph text at column 0.
PLAIN_FAST = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ([!\"'/&@$%^|?,;:")
# The starts of a line that may close a fence of the key's character: it, after at most three spaces.
CLOSERS = {c: (c, f" {c}", f"  {c}", f"   {c}") for c in "`~"}
# The patterns the scanner matches itself, as functions: Python 3.11 compiles `NAME.match(...)` on a
# NAME bound by an import as an attribute load, which makes a bound method on every call (+0.7% of
# the scanner's instructions when it imported the patterns).
match_atx, match_setext, match_hr = _ATX.match, _SETEXT.match, _HR.match


def fence_open(rest: str) -> tuple[str, int] | None:
    """A fence opener's character and length; a backtick fence's info string may not contain a backtick."""
    m = _FENCE.match(rest)
    if m is None:
        return None
    fence, info = m.group(1, 2)
    if fence[0] == "`" and "`" in info:
        return None
    return fence[0], len(fence)


def indent(s: str) -> int:
    """The spaces `s` starts with."""
    return len(s) - len(s.lstrip(" "))


def list_marker(rest: str) -> tuple[int, bool, bool] | None:
    """Return (content width, is_empty, ordered_not_one) when rest starts a list item."""
    m = _BULLET.match(rest)
    ordered_not_one = False
    if m is None:
        m = _ORDERED.match(rest)
        if m is None:
            return None
        ordered_not_one = int(m.group(2)) != 1
        marker_end = m.end(3)
    else:
        marker_end = m.end(2)
    after = rest[marker_end:]
    if not after.strip():
        return marker_end + 1, True, ordered_not_one
    spaces = len(after) - len(after.lstrip(" "))
    if spaces >= 5:
        spaces = 1  # content is indented code; the item's width counts one space
    return marker_end + spaces, False, ordered_not_one


def is_lazy(rest: str) -> bool:
    """Whether `rest` would only continue a paragraph (a lazy line: it keeps unmatched containers open)."""
    if rest[:1] in PLAIN_FAST:
        return True  # plain text from the first column starts no block
    if not rest.strip():
        return False
    ind = len(rest) - len(rest.lstrip(" "))
    if ind >= 4:
        return True
    first = rest[ind]
    if first == ">" or (first == "#" and _ATX.match(rest)) or (first in "`~" and fence_open(rest)) \
            or (first in "-*_" and _HR.match(rest)):
        return False
    if first == "<" and 0 < start_kind(rest[ind:]) < 7:
        return False
    return not (first in "-+*" or first.isdecimal()) or list_marker(rest) is None


def opens_atx_heading(line: str) -> bool:
    """Whether a line at the top level (not in a container or block) is an ATX heading."""
    return _ATX.match(line.expandtabs(4) if "\t" in line else line) is not None
