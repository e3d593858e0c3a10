"""Turn one commit's changed documents into clause versions: identity matching and change sets."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import chain, filterfalse
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from registry.gitsource import RawCommit
from registry.ledger.documents import CommitDocs, DocEdit
from registry.ledger.hooks import IngestWatcher, WarnFn
from registry.ledger.state import ClauseState, LedgerState, changes_between
from registry.models import Clause, ClauseKey, ClauseVersion, Commit, DocumentVersion
from registry.spec.identity import Candidate, match_renames
from registry.spec.parser import Clause as ParsedClause
from registry.transaction.bulk import bulk_insert


@dataclass
class _Rows:
    """Rows waiting for one bulk insert per table (in foreign-key order)."""

    commits: list[dict[str, Any]] = field(default_factory=list)
    clauses: list[dict[str, Any]] = field(default_factory=list)
    keys: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    renamed: dict[int, str] = field(default_factory=dict)


class CommitApplier:
    """Applies commits in order to the ledger state, buffering rows until `flush`."""

    def __init__(self, session: Session, state: LedgerState, similarity: float, warn: WarnFn,
                 run_id: int | None = None, watchers: Sequence[IngestWatcher] = ()) -> None:
        self.session, self.state = session, state
        self.similarity, self.warn = similarity, warn
        self.run_id = run_id
        self.watchers = list(watchers)
        self.rows = _Rows()
        self.versions_written = 0
        self._keys_seen: set[tuple[int, str]] = set()
        self._created: set[int] = set()  # lineages this run started
        self._clean: dict[str, bool] = {}  # path -> its last applied version kept every id as written
        # A hook a watcher leaves as the base class's does nothing: not calling it saves a call per
        # watcher per commit (and per change, for `watches`) on a long history.
        self._told = [(w, _overrides(w, "on_commit"), _overrides(w, "watches")) for w in self.watchers]
        self._readers: dict[str, tuple[IngestWatcher, ...]] = {}  # path -> watchers that watch it

    def watched_blobs(self, commit: RawCommit) -> list[str]:
        """Blob shas of the files this commit changed that a watcher reads, in order."""
        return [c.new_blob for c in commit.changes if c.new_blob and c.status != "D" and self._watching(c.path)]

    def _watching(self, path: str) -> tuple[IngestWatcher, ...]:
        """The watchers that watch `path` (`watches` depends on the path alone, so it is asked once a path)."""
        found = self._readers.get(path)
        if found is None:
            found = self._readers[path] = tuple(w for w, _told, reads in self._told if reads and w.watches(path))
        return found

    def apply(self, docs: CommitDocs, seq: int, blobs: Mapping[str, bytes]) -> None:
        """Record the commit and a version for every clause it changed; tell the watchers.

        `blobs` holds the content of the watched files the commit changed.
        """
        commit = docs.commit
        self.rows.commits.append(_commit_row(commit, seq) | {"run_id": self.run_id})
        for sha, path, message, line in docs.warnings:
            self.warn(sha, path, message, line)
        edits, file_renames = docs.for_ledger(self.state.doc_clauses)
        readable = [e for e in edits if e.unreadable is None]
        if readable:
            self._apply_edits(commit.sha, seq, readable, file_renames)
        for e in edits:
            if e.unreadable is not None:
                self._unreadable(seq, e)
        watched = [(ch, self._watching(ch.old_path) if ch.status == "R" and ch.old_path else (),
                    self._watching(ch.path)) for ch in commit.changes]
        watched = [t for t in watched if t[1] or t[2]]
        for w, told, _reads in self._told:
            if told:
                w.on_commit(commit, seq)
            for ch, old_readers, readers in watched:
                if w in old_readers:
                    w.on_file(commit, seq, cast(str, ch.old_path), None)
                if w in readers:
                    blob = ch.new_blob if ch.status != "D" else None  # None: the file is gone
                    w.on_file(commit, seq, ch.path, blobs.get(blob, b"") if blob else None)

    def _apply_edits(self, sha: str, seq: int, edits: list[DocEdit], file_renames: dict[str, str]) -> None:
        state = self.state
        # (chain and filterfalse walk in C; a set built from them holds, and iterates, as a set display would)
        before = set(chain.from_iterable(state.doc_clauses.get(e.path, ()) for e in edits))
        state.preload(before)
        assigned: dict[str, int] = {}
        doc_keys: dict[str, dict[str, str]] = {e.path: {} for e in edits}
        # Clauses that stay in their document keep their lineage first, so that a newcomer with the
        # same id elsewhere is the duplicate, never the clause that was already there.
        stayed: set[str] = set()
        windows: dict[str, list[int | None]] = {}
        for e in edits:
            e.todo, e.kept, window = self._reusable(e)
            if window is not None:
                windows[e.path] = window
            if e.kept:  # unchanged clauses the parser took from the previous version: known lineages
                keys = list(map(_key, e.kept))
                doc_keys[e.path].update(zip(keys, keys))
                assigned.update(e.kept)
                stayed.update(keys)
            for c in e.todo:
                cid = state.key_to_id.get(c.key)
                if cid is not None and state.doc_of.get(cid) == e.path:
                    doc_keys[e.path][c.key] = c.key
                    assigned[c.key] = cid
                    stayed.add(c.key)
        arrivals = self._arrivals(sha, edits, doc_keys, assigned)
        taken = set(assigned.values())
        gone = list(filterfalse(taken.__contains__, before))
        renames = self._match(gone, arrivals, doc_keys, file_renames)
        for e, c in arrivals:
            key = doc_keys[e.path][c.key]
            cid = renames.get(key)
            if cid is None:
                cid = self._new_lineage(key, seq)
            elif state.id_to_key.get(cid) != key:
                self._set_key(cid, key, seq)
            assigned[key] = cid
        for e in edits:
            self._document(seq, e, doc_keys[e.path], assigned, stayed, windows.get(e.path))
        kept = set(assigned.values())
        for cid in sorted(before - kept):
            last = state.last(cid)
            if last is not None and not last.removed:
                self._version(cid, seq, last._replace(removed=True), last)

    def _arrivals(self, sha: str, edits: list[DocEdit], doc_keys: dict[str, dict[str, str]],
                  assigned: dict[str, int]) -> list[tuple[DocEdit, ParsedClause]]:
        """Give moved and re-added clauses their lineage; return the ids nobody holds (new or renamed)."""
        state, edited = self.state, {e.path for e in edits}
        arrivals: list[tuple[DocEdit, ParsedClause]] = []
        for e in edits:
            local = doc_keys[e.path]
            for c in e.todo:
                if c.key in local:
                    continue
                key, cid = c.key, state.key_to_id.get(c.key)
                elsewhere = state.doc_of.get(cid) if cid is not None else None
                if key in assigned or (elsewhere is not None and elsewhere not in edited):
                    key = _free_key(key, assigned, state.key_to_id)
                    self.warn(sha, e.path, f"duplicate id {c.key!r} (also in {elsewhere or e.path}); "
                              f"kept here as {key!r}", c.start + 1)
                    cid = None
                local[c.key] = key
                if cid is not None:
                    assigned[key] = cid
                else:
                    arrivals.append((e, c))
                    assigned[key] = -1  # placeholder until renames are matched
        return arrivals

    def _reusable(self, e: DocEdit) -> tuple[Sequence[ParsedClause], list[tuple[str, int]], list[int | None] | None]:
        """(clauses to work through, (id, lineage) of clauses unchanged since the last applied version,
        the lineage of each clause of the parser's window that is unchanged, None for the others).

        Only when the last applied version of this document is the parser's previous one and its
        ids were all kept as written (no duplicate renamed), so the state lines up clause for clause
        (no window: nothing lines up). A window clause that reads as the previous version's clause
        of its id (parent included) is unchanged: its id still names the same lineage in this
        document, as it did for the previous version, so it keeps it like the clauses around the window.
        """
        parsed, ids = e.parsed, self.state.doc_clauses.get(e.path)
        previous = e.previous
        if parsed is None or parsed.reused is None or previous is None or parsed.base != previous.serial \
                or not self._clean.get(e.path) or ids is None or len(ids) != len(previous.clauses):
            return e.clauses, [], None
        k0, j1, k1 = parsed.reused
        new, old = parsed.clauses, previous.clauses
        kept = list(zip(map(_key, new[:k0]), ids[:k0]))
        at: dict[str, int] | None = None  # the previous window's clauses by id, built when first needed
        aligned = j1 - k0 == k1 - k0  # as many clauses as before: most sit where they sat
        todo: list[ParsedClause] = []
        window: list[int | None] = []
        for m, c in enumerate(new[k0:j1], k0):
            o = old[m] if aligned else None
            if o is not c:  # (the reader sends an unchanged clause as a reference to the previous one)
                if o is None or o[0] != c[0]:
                    if at is None:
                        at = {p[0]: n for n, p in enumerate(old[k0:k1], k0)}
                    m = at.get(c[0], -1)
                    o = old[m] if m >= 0 else None
                if o is None or o[:6] != c[:6]:  # id, title, attributes, body, level, parent
                    todo.append(c)
                    window.append(None)
                    continue
            kept.append((c[0], ids[m]))
            window.append(ids[m])
        kept += zip(map(_key, new[j1:]), ids[k1:])
        return todo, kept, window

    def _new_lineage(self, key: str, seq: int) -> int:
        """Start a lineage for a genuinely new clause."""
        state = self.state
        cid = state.new_lineage()
        self._created.add(cid)
        state.remember(cid, None)
        self.rows.clauses.append({"id": cid, "key": key, "first_seq": seq})
        self._keys_seen.add((cid, key))
        self.rows.keys.append({"clause_id": cid, "key": key, "first_seq": seq})
        state.key_to_id[key] = cid
        state.id_to_key[cid] = key
        return cid

    def _match(self, gone: list[int], arrivals: list[tuple[DocEdit, ParsedClause]],
               doc_keys: dict[str, dict[str, str]], file_renames: dict[str, str]) -> dict[str, int]:
        """Pair new ids with disappeared lineages (renames): {new key: lineage id}."""
        if not gone or not arrivals:
            return {}
        old: list[Candidate] = []
        by_key: dict[str, int] = {}
        for cid in gone:
            last = self.state.last(cid)
            if last is None:
                continue
            old.append(Candidate(last.key, last.document, last.title, last.body))
            by_key[last.key] = cid
        new = [Candidate(doc_keys[e.path][c.key], e.path, c.title, c.body) for e, c in arrivals
               if self.state.key_to_id.get(doc_keys[e.path][c.key]) is None]
        pairs = match_renames(old, new, self.similarity, file_renames)
        return {new_key: by_key[old_key] for new_key, old_key in pairs.items()}

    def _set_key(self, cid: int, key: str, seq: int) -> None:
        """Give an existing lineage a new current id, keeping the old one findable."""
        old = self.state.id_to_key.get(cid)
        if old is not None and self.state.key_to_id.get(old) == cid:
            del self.state.key_to_id[old]
        self.state.key_to_id[key] = cid
        self.state.id_to_key[cid] = key
        if self._key_is_new(cid, key):
            self.rows.keys.append({"clause_id": cid, "key": key, "first_seq": seq})
        self.rows.renamed[cid] = key

    def _key_is_new(self, cid: int, key: str) -> bool:
        """True the first time a lineage carries this id (an id can come back after a rename)."""
        if (cid, key) in self._keys_seen:
            return False
        self._keys_seen.add((cid, key))
        if cid in self._created:
            return True  # every id this run's own lineages had is in _keys_seen
        with self.session.no_autoflush:  # buffered rows are not in the database yet: no flush needed
            return self.session.scalar(
                select(ClauseKey.id).where(ClauseKey.clause_id == cid, ClauseKey.key == key)
            ) is None

    def _document(self, seq: int, e: DocEdit, local: dict[str, str], assigned: dict[str, int],
                  stayed: set[str], window: list[int | None] | None) -> None:
        # A clause that stayed put, under a parent that stayed put, and reads exactly as in this
        # document's previous version cannot have changed: skip building its state (the hot path).
        # With a window, `_reusable` already kept every such clause: `todo` holds none to skip.
        prev = {c[0]: c for c in e.previous.clauses} if window is None and e.previous is not None else {}
        ids: list[int] = []
        add, before, last, path = ids.append, prev.get, self.state.last, e.path
        clean = True  # every id kept as written (`local` maps every kept clause's id to itself)
        for c in e.todo:
            key, parent_key = c[0], c[5]
            written = local[key]
            if written != key:
                clean = False
            cid = assigned[written]
            add(cid)
            p = before(key)
            if p is not None and key in stayed and (parent_key is None or parent_key in stayed) \
                    and p[:6] == c[:6]:
                continue
            parent = assigned.get(local.get(parent_key, parent_key)) if parent_key else None
            attributes = c.attributes if len(c.attributes) < 2 else tuple(sorted(c.attributes))
            new = _clause_state((written, c.title, attributes, c.body, path, parent, c.level, False))
            old = last(cid)
            if new != old:
                self._version(cid, seq, new, old)
        current = self.state.doc_clauses.get(e.path)
        if window is not None and current is not None and e.parsed is not None and e.parsed.reused is not None:
            k0, _, k1 = e.parsed.reused
            worked = iter(ids)  # the lineages of `todo`, in window order
            ids = current[:k0] + [cid if cid is not None else next(worked) for cid in window] + current[k1:]
        self._clean[e.path] = clean
        if e.parsed is not None and current == ids and e.path not in self.state.unreadable:
            return  # same clauses in the same order: no new document version needed
        self.state.unreadable.discard(e.path)  # read again: its new version says so
        self.state.set_document(e.path, ids if e.parsed is not None else None)
        self.rows.documents.append({"path": e.path, "seq": seq, "blob_sha": e.blob, "clause_ids": ids,
                                    "deleted": e.parsed is None, "abandoned": False, "unreadable": None})

    def _unreadable(self, seq: int, e: DocEdit) -> None:
        """Record a version git holds but nobody could read: its clauses stay as last read, flagged."""
        ids = list(self.state.doc_clauses.get(e.path, []))
        self.state.set_document(e.path, ids)
        self.state.unreadable.add(e.path)
        self.rows.documents.append({"path": e.path, "seq": seq, "blob_sha": e.blob, "clause_ids": ids,
                                    "deleted": False, "abandoned": False, "unreadable": e.unreadable})

    def _version(self, cid: int, seq: int, new: ClauseState, old: ClauseState | None) -> None:
        """Buffer the lineage's version `new` (`old`: its last state), unless nothing changed."""
        changes = changes_between(old, new)
        if not changes:
            return
        self.rows.versions.append({
            "clause_id": cid, "seq": seq, "key": new.key, "title": new.title,
            "attributes": dict(new.attributes) if new.attributes else {}, "body": new.body,
            "body_hash": new.body_hash, "document": new.document, "parent_id": new.parent_id, "level": new.level,
            "changes": ",".join(changes), "previous_key": old.key if old is not None and old.key != new.key else None,
            "removed": new.removed, "abandoned": False,
        })
        self.state.remember(cid, new)
        self.versions_written += 1

    def flush(self) -> None:
        """Write buffered rows with one bulk insert per table."""
        rows, s = self.rows, self.session
        for model, data in ((Commit, rows.commits), (Clause, rows.clauses), (ClauseKey, rows.keys),
                            (ClauseVersion, rows.versions), (DocumentVersion, rows.documents)):
            # On the table, not the ORM's bulk path: no objects are made here, so its per-row
            # bookkeeping has nothing to do.
            bulk_insert(s, cast(Table, model.__table__), data)  # declared FromClause; a model's is a Table
        if rows.renamed:
            s.execute(update(Clause), [{"id": cid, "key": key} for cid, key in rows.renamed.items()])
        self.rows = _Rows()
        for w in self.watchers:
            w.finish()


# A ClauseState from its eight fields without the Python call ClauseState() makes (once per changed clause)
_key = itemgetter(0)  # a clause's id, in C (map over every kept clause)
_clause_state = cast(Callable[[tuple[Any, ...]], ClauseState], partial(tuple.__new__, ClauseState))


def _overrides(watcher: IngestWatcher, hook: str) -> bool:
    """True when the watcher's class replaces the base class's `hook` (which does nothing)."""
    return getattr(type(watcher), hook) is not getattr(IngestWatcher, hook)


def _free_key(key: str, *taken: Mapping[str, object]) -> str:
    n = 2
    while any(f"{key}~{n}" in t for t in taken):
        n += 1
    return f"{key}~{n}"


def _commit_row(c: RawCommit, seq: int) -> dict[str, Any]:
    return {
        "seq": seq, "sha": c.sha, "parents": " ".join(c.parents), "author_name": c.author_name,
        "author_email": c.author_email, "authored_at": c.authored_at,
        "committer_name": c.committer_name, "committer_email": c.committer_email,
        "committed_at": c.committed_at, "message": c.message, "abandoned": False,
    }
