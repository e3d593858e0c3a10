"""Pure: write proposed clause texts into a document at clause level, and check nothing else moved.

A proposal names clauses, not lines. Each edit replaces, removes or inserts one clause's region
(its heading or rule marker and its own body, up to the next clause), so edits to other clauses
of the same document since the proposal was written do not get in the way. The result is parsed
again and every clause the proposal did not touch must read exactly as before: an edit that would
reparent, retitle or swallow a neighbour is refused with a message saying which clause and why.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from registry.errors import BadRequest
from registry.spec.parser import Clause, ParsedDocument, normalize, parse

KINDS = ("change", "add", "remove")


class EditError(BadRequest):
    """A proposed text that cannot be written into its document as one clause."""

    code = "bad_clause_text"


@dataclass(frozen=True)
class Edit:
    """One clause to change, add (after `after`'s subtree, or at the end) or remove."""

    kind: str
    key: str
    text: str | None = None  # the clause's full Markdown: heading (or r[id] marker) line, then body
    after: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The canonical form the digest is computed over."""
        return {"kind": self.kind, "key": self.key, "after": self.after,
                "text": None if self.text is None else clean_text(self.text)}


@dataclass(frozen=True)
class ClauseText:
    """What a clause reads as after the edit (what reviewers approve)."""

    key: str
    title: str
    attributes: dict[str, str]
    body: str
    level: int
    parent: str | None


def clean_text(text: str) -> str:
    """Normalized line ends, no BOM, no surrounding blank lines, one final newline."""
    return normalize(text).strip("\n") + "\n"


def digest(document_edits: Sequence[tuple[str, Sequence[Edit]]]) -> str:
    """sha256 of the exact proposed text: every (document, edits) in order, canonical JSON."""
    canon = [{"document": doc, "edits": [e.as_dict() for e in edits]} for doc, edits in document_edits]
    return hashlib.sha256(json.dumps(canon, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def digest_of(changes: Sequence[tuple[str, Edit]]) -> str:
    """The digest of a revision's (document, edit) pairs: documents sorted, edits in the given order."""
    groups: dict[str, list[Edit]] = {}
    for document, edit in changes:
        groups.setdefault(document, []).append(edit)
    return digest(sorted(groups.items()))


def _subtree_end(clauses: Sequence[Clause], index: int) -> int:
    """The line after the clause at index and every clause nested under it."""
    root = clauses[index].key
    inside, end = {root}, clauses[index].end
    for c in clauses[index + 1:]:
        if c.parent not in inside:
            break
        inside.add(c.key)
        end = c.end
    return end


def _region_tail(lines: Sequence[str], start: int, end: int) -> list[str]:
    """The blank lines that close a region (kept when its text is replaced)."""
    k = end
    while k > start and not lines[k - 1].strip():
        k -= 1
    return list(lines[k:end])


def _text_lines(edit: Edit) -> list[str]:
    if edit.text is None or not edit.text.strip():
        raise EditError(f"{edit.key}: the proposed text is empty; propose a removal to delete a clause")
    return clean_text(edit.text).rstrip("\n").split("\n")


def _splices(doc: ParsedDocument, edits: Sequence[Edit]) -> list[tuple[int, int, int, list[str]]]:
    """(start, end, order, new lines) per edit, against the original lines."""
    lines, index = doc.lines, {c.key: n for n, c in enumerate(doc.clauses)}
    out, seen = [], set()
    for order, e in enumerate(edits):
        if e.kind not in KINDS:
            raise EditError(f"{e.key}: unknown kind of change {e.kind!r} (change, add or remove)")
        if e.key in seen:
            raise EditError(f"{e.key}: named twice in one proposal")
        seen.add(e.key)
        if e.kind == "add":
            if e.key in index:
                raise EditError(f"{e.key}: {doc.path} already has a clause with this id")
            if e.after is not None and e.after not in index:
                raise EditError(f"{e.key}: no clause {e.after!r} in {doc.path} to add it after")
            at = len(lines) if e.after is None else _subtree_end(doc.clauses, index[e.after])
            before = [""] if at > 0 and lines[at - 1].strip() else []
            after = [""] if at < len(lines) else []
            out.append((at, at, -order, before + _text_lines(e) + after))
            continue
        if e.key not in index:
            raise EditError(f"{e.key}: no clause with this id in {doc.path}")
        c = doc.clauses[index[e.key]]
        if e.kind == "remove":
            _check_orphans(doc, e.key, {x.key for x in edits if x.kind == "remove"})
        new = [] if e.kind == "remove" else _text_lines(e) + _region_tail(lines, c.start, c.end)
        out.append((c.start, c.end, -order, new))
    return sorted(out, reverse=True)


def _check_orphans(doc: ParsedDocument, key: str, removed: set[str]) -> None:
    """Removing a heading would hand its child clauses to another parent: refuse unless they go too."""
    orphans = [c.key for c in doc.clauses if c.parent == key and c.key not in removed]
    if orphans:
        raise EditError(f"{key} has child clauses ({', '.join(orphans)}); remove them in the same "
                        "proposal, or change the text instead of removing the clause")


def _state(c: Clause) -> tuple[Any, ...]:
    return c.key, c.title, c.attributes, c.body, c.level, c.parent


def apply_edits(path: str, text: str, edits: Sequence[Edit]) -> tuple[str, dict[str, ClauseText]]:
    """The document with the edits applied, and what each changed or added clause now reads as."""
    doc = parse(path, text)
    lines = list(doc.lines)
    for start, end, _order, new in _splices(doc, edits):
        lines[start:end] = new
    while lines and not lines[-1].strip() and (not doc.lines or doc.lines[-1].strip()):
        lines.pop()  # removing the last clause leaves its predecessor's blank tail at the end
    result = "\n".join(lines) + "\n" if lines else ""
    after = parse(path, result)
    return _restore_style(text, result), _check(doc, after, edits)


def _check(before: ParsedDocument, after: ParsedDocument, edits: Sequence[Edit]) -> dict[str, ClauseText]:
    """Each edited clause is where and what it should be; every untouched clause reads as before."""
    old = {c.key: c for c in before.clauses}
    new = {c.key: c for c in after.clauses}
    out = {e.key: _check_edited(e, old, new) for e in edits if e.kind != "remove"}
    _check_untouched(before.path, old, new, {e.key: e.kind for e in edits})
    return out


def _check_edited(e: Edit, old: dict[str, Clause], new: dict[str, Clause]) -> ClauseText:
    if e.key not in new and ":" in e.key:
        raise EditError(f"{e.key!r} is an id derived from the heading path; to retitle the clause, keep "
                        "its id by writing it out: {#" + e.key + "}")
    if e.key not in new:
        raise EditError(f"the proposed text for {e.key!r} does not carry that id; start it with the "
                        "clause's heading line and its {#" + e.key + " ...} block (or its r[id] marker)")
    c = new[e.key]
    if e.kind == "change" and (c.level, c.parent) != (old[e.key].level, old[e.key].parent):
        raise EditError(f"{e.key}: keep the heading level (h{old[e.key].level}); moving a clause "
                        "to another place in the outline is not a text change")
    return ClauseText(c.key, c.title, dict(c.attributes), c.body, c.level, c.parent)


def _check_untouched(path: str, old: dict[str, Clause], new: dict[str, Clause], kinds: dict[str, str]) -> None:
    untouched = [(key, c) for key, c in old.items() if key not in kinds]
    for key, _c in untouched:
        if key not in new:
            raise EditError(f"the edit would change the id of {key!r} in {path} (ids without "
                            "an explicit {#id} follow the heading path); give the changed heading an explicit id")
    extra = sorted(set(new) - set(old) - {k for k, kind in kinds.items() if kind == "add"})
    if extra:
        named = ", ".join(extra[:5]) + (f" and {len(extra) - 5:,} more" if len(extra) > 5 else "")
        raise EditError(f"the proposed text makes clause(s) {named} in {path}; it must hold "
                        "exactly the clause it names (with its heading line and {#id}), nothing more")
    for key, c in untouched:
        if _state(new[key]) != _state(c):
            raise EditError(f"the edit would also change clause {key!r} in {path}; a proposed text "
                            "must hold exactly one clause and keep its heading level")


def _restore_style(original: str, result: str) -> str:
    """Keep a document's BOM and CRLF line ends, so a clause edit is not a whole-file diff."""
    if "\r\n" in original:
        result = result.replace("\n", "\r\n")
    return ("\ufeff" + result) if original.startswith("\ufeff") else result


def _standalone(text: str, field: str) -> list[Clause]:
    """The clauses a text holds on its own; EditError when it holds more than one."""
    clauses = list(parse("proposal.md", clean_text(text)).clauses)
    if len(clauses) > 1:
        raise EditError(f"{field} holds {len(clauses)} clauses; give exactly one clause: its heading "
                        "line with its {#id ...} block, then its body")
    return clauses


def check_one_clause(text: str, field: str = "the text") -> None:
    """EditError naming `field` when a proposed text holds more than one clause.

    Pure and linear, so an edge can run it before it takes the write lock: in its document such a
    text could only ever be refused (it would make clauses the proposal does not name).
    """
    _standalone(text, field)


def _single(text: str) -> Clause:
    """The one top-level clause a standalone text holds; EditError saying what is wrong otherwise."""
    clauses = _standalone(text, "the text")
    if not clauses:
        raise EditError("the text has no heading line; start it with the clause's heading line and its "
                        "{#id ...} block (## Title {#some_id}), then its body")
    return clauses[0]


def parse_single(text: str, key: str | None = None) -> ClauseText:
    """Parse a standalone clause text (a preview): exactly one top-level clause, optionally with this id."""
    c = _single(text)
    if key is not None and c.explicit and c.key != key:
        raise EditError(f"the text is clause {c.key!r}, not {key!r}")
    return ClauseText(c.key, c.title, dict(c.attributes), c.body, c.level, None)


def new_clause_id(text: str) -> str:
    """The id a new clause's text gives itself (its {#id} or r[id] marker); EditError when it gives none."""
    c = _single(text)
    if c.explicit:
        return c.key
    if c.title.rstrip().endswith("}") and "{" in c.title:
        # The parser leaves a block it cannot read in the title, so say what a block must look like.
        raise EditError(f"the {{...}} block on the heading line ({c.title[c.title.rindex('{'):]}) is not "
                        "an attribute block; write {#some_id key=value}: an id after #, then key=value pairs "
                        "(quote a value with spaces)")
    raise EditError("a new clause needs an id: end its heading line with {#some_id} (ids are letters, digits, "
                    "_ . : -)")
