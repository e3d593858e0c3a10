"""verify's `text` check: every live clause version is the clause git holds in its document at its commit.

Every page, the API, the incident lookup and the evidence report read a clause's text from its
version rows; an UPDATE of `clause_versions.body` (with a matching `body_hash`, or not) or `title`
would make them show text the spec never said. Git is the source of truth, so the check reads it
again as ingest did: one `git log --raw` pass over the ingested head's first-parent history gives
the blob each commit wrote for each document, one `cat-file --batch` pass reads the blobs that have
versions (in history order), and the parser ingest uses splits each, with the path's previous parse
for its window as ingest does. Only versions up to the ingested head's seq are read: one an ingest
commits meanwhile is past it. A version (live, not a removal: a removal keeps the text it had)
must name a clause of that parse, by its id (or, for an id ingest suffixed `~N` as a duplicate of
one in another document, the id as written) with the same title, attributes, body, level and parent (the
id its parent lineage had at that commit), and its
`body_hash` must be its body's; a removal must leave its id out of the parse. A version at a commit
that did not change its document in git is named too: the version was forged, or its commit is not
on the branch up to the ingested head (the live rule, `Model.live`, says every live version's commit
is). A blob git cannot give is named by itself; the others are still read. Not compared: the
lineage (`clause_id`), whether a `~N` is the one ingest would give, and whether a
version deleted or set aside with SQL is missing (see docs/accountability.md).
"""
from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator
from itertools import groupby
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit.events import Finding
from registry.errors import SourceError
from registry.gitsource import SpecSource
from registry.history.search_check import EXAMPLES, named_versions
from registry.ledger.state import body_digest
from registry.models import ClauseVersion, Commit
from registry.spec.parser import Clause, ParsedDocument, parse

CHECK = "text"
# kind: (the column it names, what is wrong, and why it matters)
KINDS = {
    "commit": ("clause_versions.seq", "are recorded at a commit that did not change their document in git (or "
               "whose document git cannot read there)", "a version forged with SQL, or a commit not on the branch "
               "up to the ingested head"),
    "key": ("clause_versions.key", "name an id their document does not have at their commit",
            "the id was edited behind the registry's back"),
    "title": ("clause_versions.title", "have a title their document does not give them at their commit",
              "the title was edited behind the registry's back"),
    "attributes": ("clause_versions.attributes", "have attributes their heading does not give them at their "
                   "commit", "the attributes (authority decides who must approve) were edited behind the "
                   "registry's back"),
    "body": ("clause_versions.body", "have text their document does not hold at their commit",
             "the text was edited behind the registry's back: every page, the API, the incident lookup and the "
             "evidence report show words the spec never said"),
    "level": ("clause_versions.level", "have a heading level their document does not give them at their commit",
              "the level (the clause's place in the outline) was edited behind the registry's back"),
    "removed": ("clause_versions.removed", "record their clause removed at a commit whose document still has "
                "its id", "a removal forged with SQL hides a clause the spec still holds"),
    "parent": ("clause_versions.parent_id", "have a parent clause whose id at their commit is not the heading "
               "their document puts them under", "the outline was edited behind the registry's back"),
    "hash": ("clause_versions.body_hash", "have a body_hash that is not their text's sha256",
             "the hash or the text was edited behind the registry's back"),
}
Row = tuple[Any, ...]  # (id, seq, document, key, title, attributes, body, body_hash, level, removed, parent_id)


def check_clause_text(session: Session, source: SpecSource, head: str | None, head_seq: int) -> list[Finding]:
    """A finding per kind of difference between the live clause versions up to the ingested head (`head`,
    at `head_seq`, read together: an ingest committing meanwhile adds versions past it) and git (check `text`)."""
    if head is None:
        return []
    if not source.has_commit(head):
        return [Finding(CHECK, f"commit {head[:12]}", "the ingested head is not in the spec repo, so the clause "
                        "versions cannot be read again from git: ingest again")]
    live = (ClauseVersion.live, ClauseVersion.seq <= head_seq)
    places = {(seq, doc) for seq, doc in
              session.execute(select(ClauseVersion.seq, ClauseVersion.document).where(*live).distinct())}
    seqs = {sha: seq for sha, seq in session.execute(select(Commit.sha, Commit.seq)
                                                     .where(Commit.live, Commit.seq <= head_seq))}
    # the versions stream in seq order beside git's parses in the same order, so memory holds one commit's
    # versions at a time, not the registry's text (by seq alone: the database's collation orders paths its way)
    versions = session.execute(
        select(ClauseVersion.id, ClauseVersion.seq, ClauseVersion.document, ClauseVersion.key,
               ClauseVersion.title, ClauseVersion.attributes, ClauseVersion.body, ClauseVersion.body_hash,
               ClauseVersion.level, ClauseVersion.removed, ClauseVersion.parent_id)
        .where(*live).order_by(ClauseVersion.seq).execution_options(yield_per=1000))
    # each lineage's ids over time (seqs, keys), for a parent's id at a version's commit: a lineage's id
    # changes only with a version of its own (no text: a few tuples per version)
    history: dict[int, tuple[list[int], list[str]]] = defaultdict(lambda: ([], []))
    for cid, seq, key in session.execute(select(ClauseVersion.clause_id, ClauseVersion.seq, ClauseVersion.key)
                                         .where(*live).order_by(ClauseVersion.clause_id, ClauseVersion.seq)):
        history[cid][0].append(seq)
        history[cid][1].append(key)
    found: dict[str, list[int]] = defaultdict(list)
    lost: dict[Unread, list[int]] = defaultdict(list)  # the versions of each blob git cannot give
    parses = _parses(source, head, places, seqs)
    at = next(parses, None)
    for seq, group in groupby(versions, key=lambda row: row[1]):
        while at is not None and at[0][0] < seq:
            at = next(parses, None)
        here: dict[str, dict[str, list[Clause]] | Unread | None] = {}  # each parse's clauses by id
        while at is not None and at[0][0] == seq:
            here[at[0][1]] = at[1] if isinstance(at[1], Unread) else _by_key(at[1])
            at = next(parses, None)
        for row in group:
            if row[2] not in here:  # what no commit of git's history wrote (a removal: not named)
                if not row[9]:
                    found["commit"].append(row[0])
                continue
            parsed = here[row[2]]
            if isinstance(parsed, Unread):
                lost[parsed].append(row[0])
                continue
            kind = _difference(row, parsed, _key_at(history, row[10], seq))
            if kind:
                found[kind].append(row[0])
    return [Finding(CHECK, f"blob {u.blob[:12]}", f"git cannot read {u.path} at commit {u.sha[:12]} ({u.error}), "
                    f"so its {len(vs)} clause version(s) there ({named_versions(session, sorted(vs)[:EXAMPLES])}) "
                    "cannot be compared with git: restore the object from a clone or a backup")
            for u, vs in lost.items()] + [
        Finding(CHECK, KINDS[kind][0], f"{len(ids)} clause version(s) {KINDS[kind][1]} "
                f"({named_versions(session, sorted(ids)[:EXAMPLES])}): {KINDS[kind][2]}")
        for kind in KINDS if (ids := found.get(kind))]


class Unread(NamedTuple):
    """A blob git cannot give (an object lost from the repo): its versions cannot be compared."""
    sha: str
    path: str
    blob: str
    error: str


def _parses(source: SpecSource, head: str, places: set[tuple[int, str]],
            seqs: dict[str, int]) -> Iterator[tuple[tuple[int, str], ParsedDocument | Unread | None]]:
    """((seq, path), git's parse of the document at that commit) for each of `places` (where versions are)
    a commit of git wrote, in (seq, path) order. None when git's blob is not readable text, Unread when git
    cannot give it. (A removal where the commit deleted the document or renamed it away has no parse and
    is not named, as one where git did not change the document: its document is its lineage's last.)"""
    wanted = sorted(((seq, ch.path), c.sha, ch.new_blob) for c in source.log(head) if (seq := seqs.get(c.sha))
                    for ch in c.changes if ch.status != "D" and ch.new_blob and (seq, ch.path) in places)
    latest: dict[str, ParsedDocument] = {}
    done = 0
    while done < len(wanted):  # again after each blob git cannot give: the others are still read
        try:
            for (place, _sha, _blob), (_, content) in zip(
                    wanted[done:], source.blobs(blob for *_, blob in wanted[done:]), strict=True):
                done += 1
                path = place[1]
                try:
                    parsed = latest[path] = parse(path, content.decode("utf-8"), latest.get(path))
                except Exception:  # as ingest: text git holds that no one can read (recorded unreadable)
                    yield place, None
                    continue
                yield place, parsed
        except SourceError as exc:
            place, sha, blob = wanted[done]
            done += 1
            yield place, Unread(sha, place[1], blob, exc.message)


def _by_key(parsed: ParsedDocument | None) -> dict[str, list[Clause]] | None:
    """A parse's clauses by id (None when git's blob cannot be read)."""
    if parsed is None:
        return None
    by_key: dict[str, list[Clause]] = defaultdict(list)
    for c in parsed.clauses:
        by_key[c.key].append(c)
    return by_key


def _key_at(history: dict[int, tuple[list[int], list[str]]], cid: int | None, seq: int) -> str | None:
    """Lineage `cid`'s id at commit `seq` (its latest version there or before); None for no lineage."""
    if cid is None or cid not in history:
        return None
    seqs, keys = history[cid]
    i = bisect_right(seqs, seq)
    return keys[i - 1] if i else ""


def _same_id(stored: str | None, written: str | None) -> bool:
    """A stored id is the id as written, or (a duplicate of an id in another document) it suffixed `~N`."""
    if stored is None or written is None:
        return stored is written
    return stored == written or ("~" in stored and stored.rpartition("~")[0] == written)


def _difference(row: Row, by_key: dict[str, list[Clause]] | None, parent_key: str | None) -> str | None:
    """The first kind of difference between a stored version and git's parse of its document (its clauses
    by id; None when git's blob cannot be read; `parent_key`: the id its parent lineage had then), or None."""
    _id, _seq, _doc, key, title, attributes, body, body_hash, level, removed, _parent_id = row
    if by_key is None:
        return None if removed else "commit"
    if removed:  # the lineage left its document here: git's parse must not hold its id any more
        return "removed" if key in by_key else None
    # the stored id, else (ingest suffixed a duplicate of an id in another document `~N`) the id as written
    candidates = by_key.get(key) or (by_key.get(key.rpartition("~")[0]) if "~" in key else None)
    if not candidates:
        return "key"
    fields = [(c.title, dict(sorted(c.attributes)), c.body, c.level) for c in candidates]
    if (title, attributes or {}, body, level) not in fields:
        if not any(f[0] == title for f in fields):
            return "title"
        if not any(f[1] == (attributes or {}) for f in fields):
            return "attributes"
        return "body" if not any(f[2] == body for f in fields) else "level"
    if not any(_same_id(parent_key, c.parent) for c in candidates):
        return "parent"
    return "hash" if body_hash != body_digest(body) else None
