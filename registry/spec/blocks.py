"""A CommonMark block-structure line scanner that finds document-level headings and paragraphs.

Pure and fast: it tracks just enough structure (block quotes, list items, fences, indented code,
HTML blocks, link reference definitions, paragraphs) to know which lines are top-level ATX or
setext headings and where top-level paragraphs begin. Headings nested inside quotes or list items,
and anything inside a fence or an HTML block, are not sections.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from registry.spec.html_blocks import ends_on, start_kind
from registry.spec.line_kinds import (
    CLOSERS,
    PLAIN_FAST,
    fence_open,
    indent,
    is_lazy,
    list_marker,
    match_atx,
    match_hr,
    match_setext,
)
from registry.spec.link_refs import definition_end, may_open

# Open leaves whose lines take the full route (a paragraph's lines mostly take the fast one).
_SLOW_LEAVES = frozenset({"fence", "code", "html", "ref"})


class Heading(NamedTuple):
    """A document-level heading: `line` is its first line, `end` the line after it."""

    line: int
    end: int
    level: int
    text: str
    setext: bool


@dataclass
class _Container:
    kind: str  # "quote" or "item"
    width: int = 0  # content column of a list item
    has_content: bool = False


@dataclass
class ScanResult:
    """Top-level headings and the first lines of top-level paragraphs."""

    headings: list[Heading]
    paragraphs: list[int]


class _Scanner:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.stack: list[_Container] = []
        self.leaf: str | None = None  # "para", "fence", "code", "html", "ref" (a link definition) or None
        self.fence: tuple[str, int, int] = ("", 0, 0)  # char, length, opener indent
        self.html = 0  # the open HTML block's kind (1-7)
        self.ref_end = 0  # the line after the open link reference definitions
        self.para_start = -1
        self.para_top = False
        self.headings: list[Heading] = []
        self.paragraphs: list[int] = []

    def run(self) -> ScanResult:
        stack, paragraphs = self.stack, self.paragraphs  # both only ever changed in place
        full, shortcut = self._line, self._shortcut
        numbered = enumerate(self.lines)  # (the walk through a fence takes lines from it too)
        for i, raw in numbered:
            # Fast paths for the common top-level lines; everything else takes the full route.
            leaf = self.leaf
            if stack:
                if not shortcut(i, raw):
                    full(i, raw.expandtabs(4) if "\t" in raw else raw)
            elif leaf in _SLOW_LEAVES:
                # At the top level there are no containers to match: what `_line` does, without it.
                if leaf == "fence":
                    # Inside a top-level fence (most of a reference's slow lines: code examples)
                    # only a line that starts with the fence's character, after at most three
                    # spaces, can close it: go straight to the next one, deciding nothing else.
                    closers = CLOSERS[self.fence[0]]
                    if not raw.startswith(closers):
                        for _, raw in numbered:
                            if raw.startswith(closers):
                                break
                        else:
                            continue  # the document ends inside the fence
                    self._close_fence(raw.expandtabs(4) if "\t" in raw else raw)
                    continue
                line = raw.expandtabs(4) if "\t" in raw else raw
                if leaf == "html":
                    if (not line.strip()) if self.html >= 6 else ends_on(self.html, line):
                        self.leaf = None
                    continue
                if leaf == "ref":
                    if i < self.ref_end:
                        continue  # a line of a top-level definition, already measured
                    self.leaf = None
                self._open_blocks(i, line, True)
            elif not raw or raw.isspace():
                self.leaf = None
            elif raw[:1] in PLAIN_FAST:
                if leaf is None:
                    if raw[0] == "[":
                        self._start_para(i, raw, 0)  # perhaps a link reference definition
                    else:  # what `_start_para` does for plain text at the top level
                        self.leaf, self.para_start, self.para_top = "para", i, True
                        paragraphs.append(i)
            elif raw[0] == "#" and "\t" not in raw and (m := match_atx(raw)):
                # A heading at the first column ends any paragraph (what `_leaf` does, without the route).
                self.headings.append(Heading(i, i + 1, len(m.group(1)), raw[m.end():], False))
                self.leaf = None
            elif raw[0] in "`~" and (opener := fence_open(raw)):
                self.leaf = "fence"  # opens at the first column, even inside a paragraph
                self.fence = (opener[0], opener[1], 0)
            elif not shortcut(i, raw):
                self._open_blocks(i, raw.expandtabs(4) if "\t" in raw else raw, True)  # `_line`, no containers
        return ScanResult(self.headings, self.paragraphs)

    def _shortcut(self, i: int, raw: str) -> bool:
        """Take one of the commonest container lines as the full route would, without it; False: not one.

        A blank line under open containers, and `> text` or `- text` at the first column (in a
        reference, most of the lines that touch a container).
        """
        stack, leaf = self.stack, self.leaf
        if leaf == "ref" and i < self.ref_end:
            return False
        if not raw or raw.isspace():
            if not stack or (leaf is not None and leaf != "para"):
                return False
            matched = 0  # only list items that hold something take a blank line; a quote never does
            for c in stack:
                if c.kind == "quote" or not c.has_content:
                    break
                matched += 1
            del stack[matched:]
            self.leaf = None
            return True
        first = raw[0]
        if raw[1:2] != " " or raw[2:3] not in PLAIN_FAST:
            return False
        if first == ">" and stack and stack[0].kind == "quote":
            if len(stack) > 1 or leaf == "fence" or leaf == "html":
                return False
            stack[0].has_content = True  # the quote goes on, its text a paragraph's
            if leaf != "para":
                self._start_para(i, (raw.expandtabs(4) if "\t" in raw else raw)[2:], 1)
            return True
        if first == ">":
            kind, width = "quote", 0
        elif first in "-+*":
            kind, width = "item", 2
        else:
            return False
        if not stack and leaf is not None and leaf != "para":
            return False
        # A first-column marker matches no open container (an item's content is indented), so they
        # all end, and it opens one new container whose text starts a paragraph.
        stack[:] = [_Container(kind, width, True)]
        self.leaf = None
        self._start_para(i, (raw.expandtabs(4) if "\t" in raw else raw)[2:], 1)
        return True

    def _match_containers(self, rest: str) -> tuple[int, str]:
        matched = 0
        for c in self.stack:
            if c.kind == "quote":
                ind = len(rest) - len(rest.lstrip(" "))  # (inlined: a call per line costs)
                if ind <= 3 and rest[ind:ind + 1] == ">":
                    rest = rest[ind + 1:]
                    if rest[:1] == " ":
                        rest = rest[1:]
                    matched += 1
                    continue
                break
            if not rest.strip():
                if not c.has_content:
                    break  # an item may begin with at most one blank line
                matched += 1
                rest = ""
                continue
            if len(rest) - len(rest.lstrip(" ")) >= c.width:
                rest = rest[c.width:]
                matched += 1
                continue
            break
        return matched, rest

    def _line(self, i: int, line: str) -> None:
        if self.leaf == "ref":
            if i < self.ref_end:
                return  # a line of a definition, already measured (containers stay as they are)
            self.leaf = None
        matched, rest = self._match_containers(line)
        all_matched = matched == len(self.stack)
        if self.leaf == "fence":
            if all_matched:
                self._close_fence(rest)
                return
            self.leaf = None
        elif self.leaf == "html":
            if all_matched:
                ended = not rest.strip() if self.html >= 6 else ends_on(self.html, rest)
                if ended:
                    self.leaf = None
                return
            self.leaf = None  # HTML blocks have no lazy lines: a container that ends ends them
        if not all_matched and self.leaf == "para" and is_lazy(rest):
            return
        if not all_matched:
            del self.stack[matched:]
            self.leaf = None
        self._open_blocks(i, rest, all_matched)

    def _close_fence(self, rest: str) -> None:
        """End the open fence when `rest` (past the containers) is its closing line."""
        # (what matching line_kinds._FENCE says, read off with string methods: most fences close on
        # every reference page)
        char, length, _ = self.fence
        text = rest.lstrip(" ")
        if len(rest) - len(text) > 3:
            return
        run = len(text) - len(text.lstrip(char))
        if run >= length and not text[run:].strip():
            self.leaf = None

    def _open_blocks(self, i: int, rest: str, continuing: bool) -> None:
        if rest[:1] in PLAIN_FAST:  # plain text opens no container: it continues or starts a paragraph
            self._mark_content()
            if self.leaf != "para":
                self._start_para(i, rest, len(self.stack))
            return
        opened = False
        while True:
            ind = len(rest) - len(rest.lstrip(" "))
            if ind >= 4:
                break
            if rest[ind:ind + 1] == ">":
                self._mark_content()
                self.stack.append(_Container("quote"))
                rest = rest[ind + 1:]
                if rest[:1] == " ":
                    rest = rest[1:]
                opened = True
                continue
            first = rest[ind:ind + 1]
            if not (first in "-+*_" and first) and not first.isdecimal():
                break  # neither a rule nor a list item can begin here (cheaper than their patterns)
            if first in "-*_" and match_hr(rest):
                break
            marker = list_marker(rest)
            if marker is None:
                break
            width, empty, not_one = marker
            if self.leaf == "para" and not opened and continuing and (empty or not_one):
                break  # this list item cannot interrupt a paragraph
            self._mark_content()
            self.stack.append(_Container("item", width, has_content=not empty))
            rest = "" if empty else rest[width:]
            opened = True
        if opened:
            self.leaf = None
        if rest[:1] in PLAIN_FAST:  # what `_leaf` does with plain text, without its checks
            self._mark_content()
            if self.leaf != "para":
                self._start_para(i, rest, len(self.stack))
            return
        self._leaf(i, rest)

    def _mark_content(self) -> None:
        if self.stack:
            self.stack[-1].has_content = True

    def _leaf(self, i: int, rest: str) -> None:
        if not rest.strip():
            if self.leaf != "code":
                self.leaf = None
            return
        self._mark_content()
        top = not self.stack
        ind = len(rest) - len(rest.lstrip(" "))
        if ind >= 4 and self.leaf != "para":
            self.leaf = "code"
            return
        first = rest[ind]  # (the line is not blank)
        if self.leaf == "para" and first in "=-" and match_setext(rest):
            if self.para_top and top:
                level = 1 if first == "=" else 2
                text = " ".join(s.strip() for s in self.lines[self.para_start:i])
                self.headings.append(Heading(self.para_start, i + 1, level, text, True))
            self.leaf = None
            return
        if first in "-*_" and match_hr(rest):
            self.leaf = None
            return
        m = match_atx(rest) if first == "#" else None
        if m:
            if top:
                self.headings.append(Heading(i, i + 1, len(m.group(1)), rest[m.end():], False))
            self.leaf = None
            return
        opener = fence_open(rest) if first in "`~" else None
        if opener:
            self.leaf = "fence"
            self.fence = (opener[0], opener[1], ind)
            return
        if ind < 4 and first == "<":
            kind = start_kind(rest[ind:])
            if kind and (kind < 7 or self.leaf != "para"):  # kind 7 cannot interrupt a paragraph
                self.html = kind
                self.leaf = None if kind < 6 and ends_on(kind, rest) else "html"
                return
        if self.leaf != "para":
            self._start_para(i, rest, len(self.stack))

    def _start_para(self, i: int, rest: str, depth: int) -> None:
        first = rest[:1]
        if (first == "[" or (first == " " and rest.lstrip(" ")[:1] == "[")) and self._definition(i, rest):
            return
        self.leaf = "para"
        self.para_start = i
        self.para_top = depth == 0
        if self.para_top:
            self.paragraphs.append(i)

    def _definition(self, i: int, rest: str) -> bool:
        """Take the link reference definitions that start at line i, if any (they start no paragraph)."""
        if not may_open(rest.lstrip(" ")):
            return False
        text, offsets, full = self._definition_lines(i, rest)
        k = 0  # a run of definitions, each on the lines after the one before
        while k < len(offsets) and full[k]:
            at = offsets[k]
            ind = indent(text[at:at + 4])
            end = definition_end(text, at + ind) if text[at + ind:at + ind + 1] == "[" else None
            if end is None:
                break
            k += text.count("\n", at, end) + 1
        if k == 0:
            return False
        self.leaf = "ref"
        self.ref_end = i + k
        return True

    def _definition_lines(self, i: int, rest: str) -> tuple[str, list[int], list[bool]]:
        """The lines from i that could hold definitions, joined, with each one's offset and whether it
        matched every container: up to a blank line or a line that starts another block (which, as
        in markdown-it-py, any list item does)."""
        parts, offsets, full, at = [rest], [0], [True], len(rest) + 1
        lines, depth = self.lines, len(self.stack)
        for j in range(i + 1, len(lines)):  # (a slice would copy the rest of the document each time)
            raw = lines[j]
            if "\t" in raw:
                raw = raw.expandtabs(4)
            matched, more = self._match_containers(raw) if depth else (0, raw)
            if not is_lazy(more):
                break
            parts.append(more)
            offsets.append(at)
            full.append(matched == depth)
            at += len(more) + 1
        return "\n".join(parts), offsets, full


def scan(lines: list[str]) -> ScanResult:
    """Find document-level headings and paragraph starts in normalized lines."""
    return _Scanner(lines).run()


def scan_to_open_end(lines: list[str]) -> tuple[ScanResult, bool, bool]:
    """Scan, and say how the scan ends: (result, open, settled).

    `open`: a block is still open that a following line could join (a quote or list item, a fence,
    indented code or an HTML block). `settled`: nothing at all is open, not even a paragraph or a
    run of link reference definitions, and the last line is blank or starts a block of its own (a
    definition above it could not have read on past it into a title), so a following line begins
    whatever it begins on its own.
    """
    scanner = _Scanner(lines)
    result = scanner.run()
    still_open = bool(scanner.stack) or scanner.leaf in ("fence", "code", "html")
    last = lines[-1].expandtabs(4) if lines and "\t" in lines[-1] else lines[-1] if lines else ""
    return result, still_open, not scanner.stack and scanner.leaf is None and not is_lazy(last)
