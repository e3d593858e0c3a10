"""Use case: a changelog between two releases as a reviewer reads it. Each changed clause with its
prose diff, the versions it went through in the span with the proposal, approvers and rule behind
each (governed.py), and the evaluation prompts its newer text cites; grouped by document, then
authority, a page at a time, so a large release stays a small page. Changes whose clause cites no
evaluation prompt are flagged and counted over the whole changelog.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from sqlalchemy.orm import Session

from registry.accountability.governed import DIRECT, VersionGovernance, governance_of_many
from registry.audit.events import chain_origin
from registry.history.clause_history import HistoryEntry, histories, span_counts
from registry.history.prompts import Prompt, prompts_by_clause
from registry.history.queries import ClauseView, clauses_in, footnoted_texts
from registry.history.releases import Changelog, ChangelogEntry, changelog
from registry.ledger.refs import iso
from registry.lru import LruCache
from registry.paging import Window, page_of
from registry.spec.clause_fields import AUTHORITIES
from registry.spec.prosediff import Sentence, excerpt, prose_diff
from registry.transaction.kept import KeptAnswers

# Each change carries its rendered diff (about 7 KB for a clause rewritten word by word): 15 keep a page under
# issue 12's 150 KB.
PER_PAGE = 15
# A clause changed a hundred times in a span lists its newest commits, and counts and numbers the rest.
VERSIONS_SHOWN = 5


@dataclass(frozen=True)
class SpanVersion:
    """One version a clause went through in the span, and the governance behind it."""

    entry: HistoryEntry
    governance: VersionGovernance

    def as_dict(self) -> dict[str, Any]:
        """{"commit", "date", "author", "subject", "proposal", "approvers", "rule", "unapproved"}."""
        e, g = self.entry, self.governance
        return {"commit": e.commit, "date": iso(e.date), "author": e.author, "subject": e.message.split("\n", 1)[0],
                "proposal": e.proposal, "approvers": g.approvers_json(), "rule": g.rule, "unapproved": e.unapproved}


@dataclass(frozen=True)
class ReviewedChange:
    """One changed clause with its prose diff, the versions behind it and the prompts it cites."""

    entry: ChangelogEntry
    old_title: str | None  # the title at the older point when it differs
    prose: list[Sentence]  # an excerpt: the changed sentences, one either side, unchanged runs elided
    cut: int  # sentences past the excerpt's limit (the clause's diff page has them all)
    versions: tuple[SpanVersion, ...]  # the newest VERSIONS_SHOWN commits that changed it in the span, oldest first
    commits: int  # how many commits changed it in the span
    proposals: tuple[int, ...]  # the merged proposals behind all of them, in order
    prompts: tuple[Prompt, ...]  # cited by the newer text (each says whether its file exists)

    @property
    def unprompted(self) -> bool:
        """The clause is in force at the newer point and cites no evaluation prompt that exists."""
        return self.entry.new_id is not None and not any(p.exists for p in self.prompts)

    def as_dict(self) -> dict[str, Any]:
        """The changelog item plus {"document", "commits", "proposals", "versions", "prompts", "no_prompt", "prose",
        "prose_cut"}."""
        return self.entry.as_dict() | {
            "document": self.entry.document, "commits": self.commits, "proposals": list(self.proposals),
            "versions": [v.as_dict() for v in self.versions],
            "prompts": [p.as_dict() for p in self.prompts], "no_prompt": self.unprompted,
            "prose": [{"kind": s.kind, "paragraph": s.paragraph, "ops": [{"op": o.op, "text": o.text} for o in s.ops]}
                      for s in self.prose], "prose_cut": self.cut}


@dataclass(frozen=True)
class ChangeGroup:
    """The changes of one page that share a document and an authority."""

    document: str
    authority: str | None
    changes: tuple[ReviewedChange, ...]


@dataclass(frozen=True)
class ReviewedChangelog:
    """One page of a changelog, grouped, with what the whole changelog holds."""

    log: Changelog
    window: Window
    groups: tuple[ChangeGroup, ...]
    unprompted: int  # changed clauses in the whole changelog, in force at the newer point, citing no prompt

    @property
    def changes(self) -> list[ReviewedChange]:
        """This page's changes in order."""
        return [c for g in self.groups for c in g.changes]


def _rank(authority: str | None) -> tuple[int, str]:
    """Authorities in the order they rank (root first), unknown ones after by name, none last."""
    if authority in AUTHORITIES:
        return AUTHORITIES.index(authority), ""
    return (len(AUTHORITIES), authority) if authority else (len(AUTHORITIES) + 1, "")


def grouped(entries: Sequence[ChangelogEntry]) -> list[int]:
    """The entries' positions by document, then authority, keeping document order within each (a stable sort)."""
    return sorted(range(len(entries)), key=lambda i: (entries[i].document, _rank(entries[i].authority)))


# What a page needs of the whole changelog: the entries' page order and the flagged count. Both read every
# changed clause, and neither depends on a lineage's current id, only on the span (each clause's
# document, authority and text at its ends), so they are kept as the span's entries are (releases._spans):
# by both commits and the chain's first event, and a push leaves them. The order is of positions in
# the entries, which a push gives new ids, not a new order.
_whole: KeptAnswers[tuple[tuple[int, ...], int]] = KeptAnswers(4)


def _unprompted(session: Session, log: Changelog) -> int:
    """How many clauses the changelog lists, in force at the newer point, cite no existing prompt."""
    present = {e.clause_id for e in log.entries if e.new_id is not None}
    texts = {cid: t for cid, t in footnoted_texts(session, log.new).items() if cid in present}
    cited = prompts_by_clause(session, texts, log.new.seq)
    return len(present) - sum(1 for ps in cited.values() if any(p.exists for p in ps))


# A change's excerpt depends on its two texts alone, and word-diffing a page's 15 rewritten clauses was a
# third of its time once the changelog was kept: a release read again, or by many, diffs each change once.
_excerpts: LruCache[tuple[list[Sentence], int]] = LruCache.by_texts(512, budget=16 << 20)  # ~9 KB each: 16 MB


def _excerpt(old: str, new: str) -> tuple[list[Sentence], int]:
    """The diff excerpt of a change from old to new text (shared with other requests: read only)."""
    return _excerpts.get_or_build((old, new), lambda: excerpt(prose_diff(old, new)))


def _whole_of(session: Session, log: Changelog) -> tuple[tuple[int, ...], int]:
    """The page order of the changelog's entries and how many cite no prompt (kept: see `_whole`)."""
    origin = chain_origin(session)
    compute = lambda: (tuple(grouped(log.entries)), _unprompted(session, log))  # noqa: E731
    return compute() if origin is None else _whole.get(session, (origin, *log.span), compute)


def _title(old: ClauseView | None, new: ClauseView | None) -> str | None:
    return old.title if old and new and old.title != new.title else None


def reviewed_changelog(session: Session, from_ref: str | None, to_ref: str | None, page: int,
                       per_page: int = PER_PAGE) -> ReviewedChangelog:
    """Page `page` of the changelog from `from_ref` to `to_ref`, each change with its diff, governance and prompts."""
    log = changelog(session, from_ref, to_ref)
    order, unprompted = _whole_of(session, log)
    shown = page_of([log.entries[i] for i in order], page, per_page)
    ids = [e.clause_id for e in shown.items]
    lo, hi = sorted((log.old.seq, log.new.seq))
    old = {v.clause_id: v for v in clauses_in(session, ids, log.old.seq)}
    new = {v.clause_id: v for v in clauses_in(session, ids, log.new.seq)}
    # The shown versions and the one before them (its authority decides the rule of the first).
    recent = histories(session, ids, hi, newest=VERSIONS_SHOWN + 1)
    counts = span_counts(session, ids, lo, hi)
    governance = governance_of_many(session, list(recent.values()))
    prompts = prompts_by_clause(session, {cid: v.text for cid, v in new.items()}, log.new.seq)
    changes = []
    for e in shown.items:
        a, b = old.get(e.clause_id), new.get(e.clause_id)
        made = [h for h in recent.get(e.clause_id, []) if h.seq > lo][-VERSIONS_SHOWN:]
        versions = tuple(SpanVersion(h, governance.get(h.version_id, DIRECT)) for h in made)
        commits, numbers = counts.get(e.clause_id, (0, ()))
        prose, cut = _excerpt(a.text if a else "", b.text if b else "")
        changes.append(ReviewedChange(e, _title(a, b), prose, cut, versions, commits, numbers,
                                      tuple(prompts.get(e.clause_id, []))))
    groups = tuple(ChangeGroup(doc, auth, tuple(items)) for (doc, auth), items
                   in groupby(changes, key=lambda c: (c.entry.document, c.entry.authority)))
    return ReviewedChangelog(log, shown.window, groups, unprompted)
