"""Use case: full-text search over clause ids, titles and text, now or across past versions.

One function hides the backends: SQLite matches the FTS5 table `clause_search`, PostgreSQL the
tsvector column `search_vector` (filled by `search_index`, GIN-indexed). Both get the same
query semantics: every word must match, the last one as a prefix (so a half-typed word still
finds), stop words are dropped and words are stemmed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnClause, Float, Integer, Select, func, literal_column, select, table
from sqlalchemy.orm import Session

from registry.db import is_sqlite
from registry.errors import BadRequest
from registry.history.versions import in_force_ids, versions_at
from registry.ledger.refs import Point, iso
from registry.models import Clause, ClauseVersion, Commit

MAX_QUERY = 200
MAX_TERMS = 12
SNIPPET = 180
# PostgreSQL: a GIN-indexed tsvector of id, title and text, written by search_index (revisions 0005, 0027).
PG_DOCUMENT = "clause_versions.search_vector"
_WORD = re.compile(r"[^\W_]+")
# PostgreSQL's English stop words: dropped on both backends so a query means the same on each.
STOP_WORDS = frozenset(["i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "your", "yours", "yourself", "yourselves", "he", "him", "his", "himself", "she", "her", "hers", "herself", "it", "its", "itself", "they", "them", "their", "theirs", "themselves", "what", "which", "who", "whom", "this", "that", "these", "those", "am", "is", "are", "was", "were", "be", "been", "being", "have", "has", "had", "having", "do", "does", "did", "doing", "a", "an", "the", "and", "but", "if", "or", "because", "as", "until", "while", "of", "at", "by", "for", "with", "about", "against", "between", "into", "through", "during", "before", "after", "above", "below", "to", "from", "up", "down", "in", "out", "on", "off", "over", "under", "again", "further", "then", "once", "here", "there", "when", "where", "why", "how", "all", "any", "both", "each", "few", "more", "most", "other", "some", "such", "no", "nor", "not", "only", "own", "same", "so", "than", "too", "very", "s", "t", "can", "will", "just", "don", "should", "now"])

Segment = tuple[str, bool]  # a run of snippet text, and whether it matched


@dataclass(frozen=True)
class SearchHit:
    """A matching clause version: the lineage's current id, and the id and text it had then."""

    id: str
    key: str
    title: str
    document: str
    commit: str
    date: datetime
    current: bool
    snippet: list[Segment]

    def as_dict(self) -> dict[str, Any]:
        """The JSON form; `snippet` is plain text, `highlights` the matched words in it."""
        return {"id": self.id, "version_id": self.key, "title": self.title, "document": self.document,
                "commit": self.commit, "date": iso(self.date), "current": self.current,
                "snippet": "".join(t for t, _ in self.snippet),
                "highlights": [t for t, hit in self.snippet if hit]}


@dataclass(frozen=True)
class SearchResults:
    """What a search found, best first."""

    query: str
    past: bool
    hits: list[SearchHit]

    def as_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return {"query": self.query, "past": self.past, "results": [h.as_dict() for h in self.hits]}


def terms(query: str) -> list[str]:
    """The words of a query, lowercased, without stop words unless that leaves none.

    Punctuation (`_`, `.`, `:` in ids) separates words, as both backends' tokenizers do.
    """
    words = _WORD.findall(query.lower())
    return ([w for w in words if w not in STOP_WORDS] or words)[:MAX_TERMS]


def _matches(session: Session, words: list[str], among: Select[Any] | None) -> Any:
    """A subquery of (version_id, rank) for versions matching every word, only those `among` when
    given; lower rank is better. Each backend ranks only the versions left, so the rank of a common
    word is computed for the clauses in force (3,000), not for every past version that has it (~74,000
    at 100k versions), each then tested against its later versions."""
    if is_sqlite(session):
        rowid: ColumnClause[int] = literal_column("clause_search.rowid", Integer)
        stmt = (select(rowid.label("version_id"),
                       literal_column("bm25(clause_search, 4.0, 3.0, 1.0)", Float).label("rank"))
                .select_from(table("clause_search"))  # words are alphanumeric: nothing to escape
                .where(literal_column("clause_search").op("MATCH")(" ".join(f'"{w}"' for w in words) + "*")))
        if among is not None:
            # `rowid + 0`: a plain rowid IN is handed to FTS5, which then walks the word's whole
            # list once per id (seconds); as an expression it is a lookup in the ids, built once.
            stmt = stmt.where((rowid + 0).in_(among))
        return stmt.subquery("m")
    query = func.to_tsquery(literal_column("'english'::regconfig"), " & ".join(words) + ":*")
    document: ColumnClause[str] = literal_column(PG_DOCUMENT)  # a tsvector (the driver reads it as text)
    stmt = (select(ClauseVersion.id.label("version_id"), (-func.ts_rank(document, query)).label("rank"))
            .where(document.op("@@")(query)))
    if among is not None:
        stmt = stmt.where(ClauseVersion.id.in_(among))
    return stmt.subquery("m")


def _statement(m: Any, point: Point, past: bool, limit: int) -> Select:
    # Ids only: the rows and commits are loaded for the clauses a page shows, not for the pages before it.
    v = ClauseVersion
    return (select(v.id, v.clause_id, v.seq).join(m, m.c.version_id == v.id)
            .where(v.seq <= point.seq, v.live, v.removed.is_(False))
            .order_by(m.c.rank, v.seq.desc(), v.id.desc()).limit(limit * 10 if past else limit))


Match = tuple[int, int]  # a matching version's id and seq


def _words(query: str) -> list[str]:
    """The query's words to match; BadRequest when it is too long or has none."""
    if len(query) > MAX_QUERY:
        raise BadRequest(f"a search may be at most {MAX_QUERY} characters")
    words = terms(query)
    if not words:
        raise BadRequest("give at least one word to search for")
    return words


def _ranked(session: Session, words: list[str], point: Point, past: bool, limit: int) -> list[tuple[int, list[Match]]]:
    """The best `limit` clauses with their matching versions, best clause first, each clause's matches best first."""
    m = _matches(session, words, None if past else select(in_force_ids(point.seq).c.at0))
    found: dict[int, list[Match]] = {}
    for vid, cid, seq in session.execute(_statement(m, point, past, limit)):
        found.setdefault(cid, []).append((vid, seq))  # best rank first: clauses by their best match
    return list(found.items())[:limit]


def _hits(session: Session, ranked: list[tuple[int, list[Match]]], words: list[str], point: Point,
          past: bool) -> list[SearchHit]:
    """The hits of these clauses: versions loaded and snippets made only for the clauses shown."""
    in_force = versions_at(session, (cid for cid, _ in ranked), point.seq) if past else {}
    chosen: list[tuple[int, bool]] = []  # the version shown of each clause, and whether it is in force
    for cid, matches in ranked:
        # Show the clause as it is at the point when that version matches, else its newest match.
        in_force_matches = [m for m in matches if not past or (cid in in_force and in_force[cid].id == m[0])]
        newest = max(matches, key=lambda m: (m[1], m[0]))
        chosen.append(((in_force_matches or [newest])[0][0], bool(in_force_matches)))
    v = ClauseVersion
    rows = {r[0].id: r for r in session.execute(
        select(v, Commit, Clause.key).join(Commit, Commit.seq == v.seq).join(Clause, Clause.id == v.clause_id)
        .where(v.id.in_([vid for vid, _ in chosen])))} if chosen else {}
    hits = []
    for vid, is_current in chosen:
        version, c, key = rows[vid]
        hits.append(SearchHit(key, version.key, version.title, version.document, c.sha, c.committed_at, is_current,
                              snippet(plain_text(version.body) or version.title, words)))
    return hits


def search(session: Session, query: str, point: Point, past: bool = False, limit: int = 50) -> SearchResults:
    """Clauses in force at the point matching every word (or, with past, any version up to it)."""
    query = query.strip()
    words = _words(query)
    return SearchResults(query, past, _hits(session, _ranked(session, words, point, past, limit), words, point, past))


@dataclass(frozen=True)
class SearchPage:
    """One page of search results: hits `first`..`first + len(hits) - 1` (1-based), and whether more follow."""

    results: SearchResults
    number: int
    first: int
    more: bool


def search_page(session: Session, query: str, point: Point, past: bool = False, number: int = 1,
                size: int = 50) -> SearchPage:
    """Page `number` of the search (best matches first); ranking stops at the page, so no total is known."""
    query, number = query.strip(), max(number, 1)
    words = _words(query)
    ranked = _ranked(session, words, point, past, number * size + 1)  # one more says whether more follow
    offset = (number - 1) * size
    shown = _hits(session, ranked[offset:offset + size], words, point, past)
    return SearchPage(SearchResults(query, past, shown), number, offset + 1, len(ranked) > number * size)


# Markdown markup a reader should not see in a snippet, each (pattern, replacement), applied in order.
_MARKUP = [(re.compile(p, re.MULTILINE | re.DOTALL), r) for p, r in (
    (r"<!--.*?-->", " "),                                    # HTML comments
    (r"^ {0,3}(?:```|~~~).*$", " "),                          # code fence lines (their content stays)
    (r"^ {0,3}\[\^[^\]\n]+\]:[^\n]*$", " "),                  # footnote definitions
    (r"^ {0,3}\[[^\]\n]+\]:\s*\S+[^\n]*$", " "),               # link reference definitions
    (r"^ {0,3}r\[[^\]\n]+\]\s*$", " "),                        # rule markers r[dotted.id]
    (r"\[\^[^\]\n]+\]", ""),                                  # footnote citations [^name]
    (r"!?\[([^\]\n]*)\]\([^)\n]*\)", r"\1"),                   # links and images: their text
    (r"!?\[([^\]\n]+)\]\[[^\]\n]*\]", r"\1"),                  # reference links
    (r"\s*\{#[^}\n]*\}", ""),                                  # heading attribute blocks {#id k=v}
    (r"^ {0,3}#{1,6}\s+", ""),                                # ATX heading marks
    (r"^ {0,3}(?:[=\-*_] *){3,}$", " "),                       # thematic breaks, setext underlines
    (r"^ {0,3}(?:> ?)+", ""),                                  # quote marks
    (r"^\s*(?:[-*+]|\d{1,9}[.)])\s+", ""),                     # list markers
    (r"</?[A-Za-z][^>\n]*>", ""),                             # inline HTML tags
    (r"(`+)(.+?)\1", r"\2"),                                   # code spans: their text
    (r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", r"\2"),                   # strong
    (r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])", r"\2"),    # emphasis (not snake_case ids)
)]


def plain_text(markdown: str | None) -> str:
    """Clause Markdown as the words a reader sees: no footnotes, link targets, heading or emphasis marks."""
    text = markdown or ""
    for pattern, replacement in _MARKUP:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


def snippet(body: str, words: list[str], width: int = SNIPPET) -> list[Segment]:
    """A window of the text around the first matching word, split into matched and plain runs."""
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\w*", re.IGNORECASE)
    flat = " ".join(body.split())
    first = pattern.search(flat)
    start = max(0, (first.start() if first else 0) - width // 3)
    if start:
        start = flat.find(" ", start) + 1 or start  # begin at a word
    window = flat[start:start + width]
    segments: list[Segment] = [("…", False)] if start else []
    pos = 0
    for m in pattern.finditer(window):
        segments += [(window[pos:m.start()], False), (m.group(), True)]
        pos = m.end()
    segments.append((window[pos:] + ("…" if start + width < len(flat) else ""), False))
    return [s for s in segments if s[0]]
