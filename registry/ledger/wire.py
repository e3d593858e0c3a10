"""The wire form of parsed commits, from a reader process to the writer: encoded there, decoded here.

The writer keeps each path's last parse it received, so a parse the parser built from that one (its
unchanged prefix and suffix reused) travels as the changed clauses only: sending every clause of
every version would cost more than parsing them. Clauses travel as plain tuples, which pickle
several times faster than named tuples. Both ends come from one checkout; the reader's first
message names its VERSION (`hello`), and a writer that speaks another refuses it (`Decoder.from_hello`).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, cast

from registry.errors import SourceError
from registry.ledger.documents import CommitDocs, DocEdit
from registry.spec.clause_builder import Clause, shifted
from registry.spec.parser import ParsedDocument

# Raise it with any change to what the encoder sends or the decoder reads.
VERSION = 1
UNREADABLE = "unreadable"  # first item of an unreadable version's wire form (a parse's is a blob sha)


def hello() -> tuple[str, int]:
    """A reader's first message: the wire version its encoder speaks."""
    return "wire", VERSION


class Encoder:
    """Puts a reader's parsed commits in wire form, each parse against the one last sent for its path."""

    def __init__(self) -> None:
        self.sent: dict[str, int] = {}  # path -> serial of the parse last sent for it

    def commit(self, docs: CommitDocs) -> tuple[Any, ...]:
        """One commit's documents as they travel."""
        return docs.commit, [self._edit(e) for e in docs.edits], docs.renames, docs.warnings

    def _edit(self, e: DocEdit) -> tuple[Any, ...]:
        p = e.parsed
        previous = e.previous.serial if e.previous is not None else None
        if p is None:
            return e.path, None if e.unreadable is None else (UNREADABLE, e.blob, e.unreadable), previous
        sent = self.sent.get(e.path)
        self.sent[e.path] = p.serial
        if p.serial == sent:
            body: tuple[Any, ...] = ("same",)
        elif p.reused is not None and e.previous is not None and p.base == e.previous.serial == sent:
            k0, j1, k1 = p.reused
            body = ("delta", _window(p.clauses[k0:j1], e.previous.clauses, k0, k1), len(p.lines) - len(e.previous.lines))
        else:
            body = ("full", [tuple(c) for c in p.clauses])
        return e.path, (e.blob, p.serial, p.reused, p.base, body), previous


# A wire tuple as a Clause without a Python call per clause (Clause._make is one): tuples of the
# right length are all the encoder sends.
_clause = cast(Callable[[tuple[Any, ...]], Clause], partial(tuple.__new__, Clause))


def _window(clauses: Sequence[Clause], previous: Sequence[Clause], k0: int, k1: int) -> list[Any]:
    """The re-scanned clauses as they travel: most read as before, so those go as a reference.

    A clause the same as the previous parse's clause of its id goes as that clause's index; one
    only moved up or down goes as (index, line shift); any other as its tuple. Unchanged clauses
    were most of a window's bytes on the reference shape (its edits touch clauses here and there).
    """
    at = {c[0]: m for m, c in enumerate(previous[k0:k1], k0)}  # ids are unique in a parse
    out: list[Any] = []
    for c in clauses:
        m = at.get(c[0])
        if m is not None:
            old = previous[m]
            if old == c:
                out.append(m)
                continue
            shift = c[6] - old[6]
            if c[7] - old[7] == shift and old[:6] == c[:6] and old[8:] == c[8:]:
                out.append((m, shift))
                continue
        out.append(tuple(c))
    return out


def _received_clause(wire: Any, previous: Sequence[Clause]) -> Clause:
    """A clause of a re-scanned window from `_window`'s form, against the parse it refers to."""
    if type(wire) is int:
        return previous[wire]
    if len(wire) == 2:
        old, shift = previous[wire[0]], wire[1]
        return _clause((old[0], old[1], old[2], old[3], old[4], old[5], old[6] + shift, old[7] + shift, old[8],
                        old[9]))
    return _clause(wire)


class Decoder:
    """Rebuilds the parsed commits an `Encoder` sent, each parse against the one last received for its path."""

    def __init__(self) -> None:
        self.latest: dict[str, ParsedDocument] = {}  # path -> the last parse received for it

    @classmethod
    def from_hello(cls, first: tuple[str, Any]) -> Decoder:
        """A decoder for the reader whose first message is `first`; SourceError unless it is our `hello`."""
        kind, version = first
        if (kind, version) != hello():
            said = f"wire version {version}" if kind == "wire" else "no wire version"
            raise SourceError(f"the history reader process speaks {said}, this writer wire version {VERSION}: "
                              "both ends of an ingest must come from one installation of Specreg "
                              "(was it upgraded during the run?); run ingest again")
        return cls()

    def commit(self, wire: tuple[Any, ...]) -> CommitDocs:
        """One commit's documents as `Encoder.commit` sent them."""
        commit, edits, renames, warnings = wire
        return CommitDocs(commit, [self._edit(*e) for e in edits], renames, warnings)

    def _edit(self, path: str, parse: tuple[Any, ...] | None, previous_serial: int | None) -> DocEdit:
        have = self.latest.get(path)
        previous = have if have is not None and have.serial == previous_serial else None
        if parse is None:
            return DocEdit(path, None, None)
        if parse[0] == UNREADABLE:
            return DocEdit(path, None, parse[1], previous, unreadable=parse[2])
        blob, serial, reused, base, body = parse
        if body[0] == "same":
            assert have is not None  # the encoder sends "same" only for the parse it sent here last
            parsed = have
        else:
            if body[0] == "delta":  # the encoder sent a delta only against the parse we hold
                assert have is not None
                k0, _, k1 = reused
                tail = have.clauses[k1:]
                held = have.clauses  # an index (most clauses) is looked up here, without a call
                window = tuple([held[x] if type(x) is int else _received_clause(x, held) for x in body[1]])
                clauses = have.clauses[:k0] + window + (tuple(shifted(tail, body[2])) if body[2] else tail)
            else:
                clauses = tuple(map(_clause, body[1]))
            parsed = ParsedDocument(path, clauses, reused=reused, serial=serial, base=base)
        self.latest[path] = parsed
        return DocEdit(path, parsed, blob, previous)
