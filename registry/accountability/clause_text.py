"""verify's `text` check: every live clause version is the clause git holds in its document at its commit.

Every page, the API, the incident lookup and the evidence report read a clause's text from its
version rows; an UPDATE of `clause_versions.body` (with a matching `body_hash`, or not) or `title`
would make them show text the spec never said. Git is the source of truth, so the check reads it
again as ingest did: one `git log --raw` pass over the ingested head's first-parent history gives
the blob each commit wrote for each document, one `cat-file --batch` pass reads the blobs that have
versions (in history order), and the parser ingest uses splits each, with the path's previous parse
for its window as ingest does. A version (live, not a removal: a removal keeps the text it had)
must name a clause of that parse, by its id (or, for an id ingest suffixed `~N` as a duplicate of
one in another document, the id as written) with the same title, attributes and body, and its
`body_hash` must be its body's. A version at a commit that did not change its document in git is
named too: the version was forged, or its commit is not on the branch up to the ingested head (the
live rule, `Model.live`, says every live version's commit is).
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.audit.events import Finding
from registry.gitsource import SpecSource
from registry.history.search_check import EXAMPLES, named_versions
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
    "hash": ("clause_versions.body_hash", "have a body_hash that is not their text's sha256",
             "the hash or the text was edited behind the registry's back"),
}
Row = tuple[Any, ...]  # (id, seq, document, key, title, attributes, body, body_hash)


def check_clause_text(session: Session, source: SpecSource, head: str | None) -> list[Finding]:
    """A finding per kind of difference between the live clause versions and git (check `text`)."""
    if head is None:
        return []
    if not source.has_commit(head):
        return [Finding(CHECK, f"commit {head[:12]}", "the ingested head is not in the spec repo, so the clause "
                        "versions cannot be read again from git: ingest again")]
    groups: dict[tuple[int, str], list[Row]] = defaultdict(list)
    for version in session.execute(
            select(ClauseVersion.id, ClauseVersion.seq, ClauseVersion.document, ClauseVersion.key,
                   ClauseVersion.title, ClauseVersion.attributes, ClauseVersion.body, ClauseVersion.body_hash)
            .where(ClauseVersion.live, ClauseVersion.removed.is_(False))):
        groups[version[1], version[2]].append(tuple(version))
    seqs = {sha: seq for sha, seq in session.execute(select(Commit.sha, Commit.seq).where(Commit.live))}
    found: dict[str, list[int]] = defaultdict(list)
    for rows, parsed in _parses(source, head, groups, seqs):
        by_key: dict[str, list[Clause]] = defaultdict(list)
        for c in parsed.clauses if parsed is not None else ():
            by_key[c.key].append(c)
        for row in rows:
            kind = _difference(row, by_key if parsed is not None else None)
            if kind:
                found[kind].append(row[0])
    for rows in groups.values():  # what no commit of git's history wrote
        found["commit"] += [row[0] for row in rows]
    return [Finding(CHECK, KINDS[kind][0], f"{len(ids)} clause version(s) {KINDS[kind][1]} "
                    f"({named_versions(session, sorted(ids)[:EXAMPLES])}): {KINDS[kind][2]}")
            for kind in KINDS if (ids := found.get(kind))]


def _parses(source: SpecSource, head: str, groups: dict[tuple[int, str], list[Row]],
            seqs: dict[str, int]) -> Iterable[tuple[list[Row], ParsedDocument | None]]:
    """(versions, git's parse of their document at their commit) for each group a commit of git wrote, in
    history order; the groups found are taken out of `groups`. None when git's blob is not readable text."""
    wanted = [(groups.pop(key), ch.path, ch.new_blob) for c in source.log(head) if (seq := seqs.get(c.sha))
              for ch in c.changes if ch.new_blob and ch.status != "D" and (key := (seq, ch.path)) in groups]
    latest: dict[str, ParsedDocument] = {}
    for (rows, path, _), (_, content) in zip(wanted, source.blobs(blob for _, _, blob in wanted), strict=True):
        try:
            parsed = latest[path] = parse(path, content.decode("utf-8"), latest.get(path))
        except Exception:  # as ingest: text git holds that no one can read (recorded unreadable, no versions)
            yield rows, None
            continue
        yield rows, parsed


def _difference(row: Row, by_key: dict[str, list[Clause]] | None) -> str | None:
    """The first kind of difference between a stored version and git's parse of its document (its clauses
    by id; None when git's blob cannot be read), or None."""
    _id, _seq, _doc, key, title, attributes, body, body_hash = row
    if by_key is None:
        return "commit"
    # the stored id, else (ingest suffixed a duplicate of an id in another document `~N`) the id as written
    candidates = by_key.get(key) or (by_key.get(key.rpartition("~")[0]) if "~" in key else None)
    if not candidates:
        return "key"
    fields = [(c.title, dict(sorted(c.attributes)), c.body) for c in candidates]
    if (title, attributes or {}, body) not in fields:
        if not any(f[0] == title for f in fields):
            return "title"
        return "attributes" if not any(f[1] == (attributes or {}) for f in fields) else "body"
    return "hash" if body_hash != hashlib.sha256(body.encode()).hexdigest() else None
