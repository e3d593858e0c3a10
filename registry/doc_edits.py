"""Read the spec documents one commit changed: parse each new version (once), skip bad files."""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from registry.gitsource import RawCommit
from registry.parser import Clause as ParsedClause
from registry.parser import ParsedDocument, parse
from registry.specfiles import SpecFiles

WarnFn = Callable[[str | None, str, str, int | None], None]


@dataclass
class DocEdit:
    """A spec document the commit changed: its new parse, or None when it left the spec."""

    path: str
    parsed: ParsedDocument | None
    blob: str | None
    previous: ParsedDocument | None = None  # this path's last applied parse in this run
    todo: Sequence[ParsedClause] = ()  # clauses ingest must look at (all, or the parser's window)
    kept: list[tuple[str, int]] = field(default_factory=list)  # (id, lineage) of unchanged clauses

    @property
    def clauses(self) -> tuple[ParsedClause, ...]:
        """The new version's clauses (none when the document is gone)."""
        return self.parsed.clauses if self.parsed is not None else ()


class DocumentReader:
    """Parses document versions in history order, each against the path's previous version."""

    def __init__(self, files: SpecFiles, max_bytes: int, warn: WarnFn) -> None:
        self.files, self.max_bytes, self.warn = files, max_bytes, warn
        self._latest: dict[str, ParsedDocument] = {}
        self._parsed: OrderedDict[tuple[str, str], ParsedDocument] = OrderedDict()

    def edits(self, commit: RawCommit, blobs: Mapping[str, bytes],
              current: Mapping[str, object]) -> tuple[list[DocEdit], dict[str, str]]:
        """The spec documents the commit changed (by path), and file renames {old: new}.

        `current` holds the documents the ledger has now; a deleted or renamed-away one is an edit.
        """
        edits: dict[str, DocEdit] = {}
        renames: dict[str, str] = {}
        for ch in commit.changes:
            if ch.old_path and ch.old_path != ch.path and ch.status == "R":
                self._latest.pop(ch.old_path, None)
                if ch.old_path in current:
                    edits[ch.old_path] = DocEdit(ch.old_path, None, None)
                    if self.files.matches(ch.path):
                        renames[ch.old_path] = ch.path
            if ch.status == "D" or not ch.new_blob:
                self._latest.pop(ch.path, None)
                if ch.path in current:
                    edits[ch.path] = DocEdit(ch.path, None, None)
                continue
            if not self.files.matches(ch.path):
                continue
            previous = self._latest.get(ch.path)
            parsed = self._parse(commit.sha, ch.path, ch.new_blob, blobs.get(ch.new_blob), previous)
            if parsed is not None:
                edits[ch.path] = DocEdit(ch.path, parsed, ch.new_blob, previous)
                self._latest[ch.path] = parsed  # the path's next version re-scans only what changed
        return sorted(edits.values(), key=lambda e: e.path), renames

    def _parse(self, sha: str, path: str, blob: str, content: bytes | None,
               previous: ParsedDocument | None) -> ParsedDocument | None:
        """Parse a blob once (cached by path and blob); a bad file is a warning and keeps its old state."""
        cached = self._parsed.get((path, blob))
        if cached is not None:
            self._parsed.move_to_end((path, blob))
            return cached
        if content is None:
            self.warn(sha, path, "blob missing from the repository; file skipped", None)
            return None
        if len(content) > self.max_bytes:
            self.warn(sha, path, f"file is {len(content)} bytes, over the {self.max_bytes}-byte limit; "
                      "file skipped, its previous version stays current", None)
            return None
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.warn(sha, path, f"not UTF-8 (byte {exc.start}); file skipped, its previous "
                      "version stays current", None)
            return None
        try:
            parsed = parse(path, text, previous)
        except Exception as exc:  # a parser bug must not stop the whole ingest
            self.warn(sha, path, f"could not be parsed ({type(exc).__name__}: {exc}); file skipped", None)
            return None
        for w in parsed.warnings:
            self.warn(sha, path, w.message, w.line)
        self._parsed[(path, blob)] = parsed
        if len(self._parsed) > 512:
            self._parsed.popitem(last=False)
        return parsed

