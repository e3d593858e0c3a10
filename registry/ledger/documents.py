"""Read the spec documents one commit changed: parse each new version (once), skip bad files."""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from registry.gitsource import RawCommit
from registry.spec.parser import Clause as ParsedClause
from registry.spec.parser import ParsedDocument, parse
from registry.spec.specfiles import SpecFiles


@dataclass
class DocEdit:
    """A spec document the commit changed: its new parse, or None when it left the spec or could not be read.

    `unreadable` says why git's new version could not be read (not UTF-8, too large, unparsable):
    the ledger keeps the document's last readable clauses and records the version as unreadable.
    """

    path: str
    parsed: ParsedDocument | None
    blob: str | None
    previous: ParsedDocument | None = None  # this path's last applied parse in this run
    todo: Sequence[ParsedClause] = ()  # clauses ingest must look at (all, or the parser's window)
    kept: list[tuple[str, int]] = field(default_factory=list)  # (id, lineage) of unchanged clauses
    unreadable: str | None = None

    @property
    def clauses(self) -> tuple[ParsedClause, ...]:
        """The new version's clauses (none when the document is gone)."""
        return self.parsed.clauses if self.parsed is not None else ()


@dataclass
class CommitDocs:
    """One commit with its spec documents read: edits, file renames, and the reader's warnings.

    Deletions and renames are listed for every path; `for_ledger` keeps those of documents the
    ledger holds (the reader may run ahead of the ledger, in another process).
    """

    commit: RawCommit
    edits: list[DocEdit]
    renames: dict[str, str]
    warnings: list[tuple[str | None, str, str, int | None]] = field(default_factory=list)

    def for_ledger(self, current: Mapping[str, object]) -> tuple[list[DocEdit], dict[str, str]]:
        """The edits and renames that apply to a ledger holding the documents in `current`."""
        edits = [e for e in self.edits if e.parsed is not None or e.unreadable or e.path in current]
        return edits, {old: new for old, new in self.renames.items() if old in current}


class DocumentReader:
    """Parses document versions in history order, each against the path's previous version."""

    def __init__(self, files: SpecFiles, max_bytes: int) -> None:
        self.files, self.max_bytes = files, max_bytes
        self._latest: dict[str, ParsedDocument] = {}
        self._parsed: OrderedDict[tuple[str, str], ParsedDocument] = OrderedDict()

    def wanted_blobs(self, commit: RawCommit) -> list[str]:
        """Blob shas of the spec documents this commit changed, in order."""
        return [c.new_blob for c in commit.changes
                if c.new_blob and c.status != "D" and self.files.matches(c.path)]

    def read(self, commit: RawCommit, blobs: Mapping[str, bytes]) -> CommitDocs:
        """The spec documents the commit changed (by path), and file renames {old: new}."""
        out = CommitDocs(commit, [], {})
        edits: dict[str, DocEdit] = {}
        for ch in commit.changes:
            if ch.old_path and ch.old_path != ch.path and ch.status == "R":
                self._latest.pop(ch.old_path, None)
                edits[ch.old_path] = DocEdit(ch.old_path, None, None)
                if self.files.matches(ch.path):
                    out.renames[ch.old_path] = ch.path
            if ch.status == "D" or not ch.new_blob:
                self._latest.pop(ch.path, None)
                edits[ch.path] = DocEdit(ch.path, None, None)
                continue
            if not self.files.matches(ch.path):
                continue
            previous = self._latest.get(ch.path)
            parsed = self._parse(out, ch.path, ch.new_blob, blobs.get(ch.new_blob), previous)
            if isinstance(parsed, str):  # git holds text the ledger cannot read: recorded, never skipped
                edits[ch.path] = DocEdit(ch.path, None, ch.new_blob, previous, unreadable=parsed)
            else:
                edits[ch.path] = DocEdit(ch.path, parsed, ch.new_blob, previous)
                self._latest[ch.path] = parsed  # the path's next version re-scans only what changed
        out.edits = sorted(edits.values(), key=lambda e: e.path)
        return out

    def _parse(self, out: CommitDocs, path: str, blob: str, content: bytes | None,
               previous: ParsedDocument | None) -> ParsedDocument | str:
        """Parse a blob once (cached by path and blob); a bad file is a warning, and why it is unreadable."""
        cached = self._parsed.get((path, blob))
        if cached is not None:
            self._parsed.move_to_end((path, blob))
            return cached
        if content is None:
            return _unreadable(out, path, "blob missing from the repository")
        if len(content) > self.max_bytes:
            return _unreadable(out, path, f"file is {len(content)} bytes, over the {self.max_bytes}-byte limit")
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            return _unreadable(out, path, f"not UTF-8 (byte {exc.start})")
        try:
            parsed = parse(path, text, previous)
        except Exception as exc:  # a parser bug must not stop the whole ingest
            return _unreadable(out, path, f"could not be parsed ({type(exc).__name__}: {exc})")
        out.warnings.extend((out.commit.sha, path, w.message, w.line) for w in parsed.warnings)
        self._parsed[(path, blob)] = parsed
        if len(self._parsed) > 512:
            self._parsed.popitem(last=False)
        return parsed


def _unreadable(out: CommitDocs, path: str, reason: str) -> str:
    """Warn that the commit's version of the document could not be read; the reason, recorded with it."""
    out.warnings.append((out.commit.sha, path, f"{reason}; the document is recorded as unreadable at this "
                         "commit (an unapproved change) and its last readable clauses stay current", None))
    return reason
