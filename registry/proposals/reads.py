"""Read use cases for proposals: one proposal in full, lists by state, an owner's review queue.

Each returns a typed read model (registry/proposals/read_models.py, list_models.py, merged_models.py,
editor_models.py), never a dict.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.accounts.actors import Actor
from registry.errors import BadRequest, UnknownVersion
from registry.gitsource import SpecSource
from registry.history.documents import require_readable, unreadable_since
from registry.history.queries import show_clause
from registry.history.versions import version_at
from registry.ledger.refs import commit_by_sha, head_point
from registry.models import (
    STATES,
    ClauseVersion,
    Comment,
    Commit,
    GovernanceFileVersion,
    Person,
    Proposal,
    ProposedChange,
    Review,
    Revision,
)
from registry.paging import PAGE_SIZE, Page, page_of, window
from registry.proposals import counted, merge_trailers, provenance, store, verdict_memo
from registry.proposals.approval_rules import standing
from registry.proposals.authoring import read_document
from registry.proposals.check_reports import standing_reports
from registry.proposals.editor_models import ClauseMarkdown, NewClausePlace
from registry.proposals.governance import FILE
from registry.proposals.list_models import Approvals, ProposalSummary, QueueItem
from registry.proposals.merged_models import DismissedVeto, MergedProposal
from registry.proposals.policy_store import policy_at
from registry.proposals.read_models import (
    BaseText,
    ChangeView,
    CommentView,
    Dismissal,
    MergeInfo,
    PolicyBox,
    ProposalDetail,
    ReviewView,
    RevisionView,
    Who,
)
from registry.proposals.states import ACTIVE, APPROVED, OPEN
from registry.proposals.timeline import timeline
from registry.proposals.verdict import Verdict, change_class, verdict
from registry.spec.parser import parse
from registry.spec.worddiff import word_diff


def _who(session: Session, person_id: int) -> Who:
    person = session.get_one(Person, person_id)  # a required foreign key: the person exists
    return Who(person.name, person.email)


def _base(session: Session, ch: ProposedChange) -> BaseText | None:
    if ch.kind == FILE:  # a governance file: its whole content at the revision's base
        if ch.base_text is None:
            return None
        return BaseText(session.get_one(Revision, ch.revision_id).base_sha, ch.key, {}, ch.base_text)
    v = session.get(ClauseVersion, ch.base_version_id) if ch.base_version_id else None
    if v is None:
        return None
    return BaseText(session.get_one(Commit, v.seq).sha, v.title, dict(v.attributes), v.body)


def change_view(session: Session, ch: ProposedChange) -> ChangeView:
    """One proposed clause change with what it was based on and a word diff of the body."""
    base = _base(session, ch)
    ops = word_diff(base.body if base else "", ch.body or "")
    version = session.get(ClauseVersion, ch.base_version_id) if ch.base_version_id else None
    return ChangeView(ch.kind, ch.key, ch.document, ch.after_key, ch.title, ch.attributes, ch.text, ch.body, base,
                      tuple(ops), change_class(version, ch))


def _revision_view(session: Session, r: Revision) -> RevisionView:
    return RevisionView(r.number, _who(session, r.author_id), r.created_at, r.base_sha, r.digest,
                        r.note, tuple(change_view(session, ch) for ch in store.changes(session, r)))


def _review_view(session: Session, r: Review, numbers: dict[int, int], current: Revision,
                 unrecorded: str | None) -> ReviewView:
    dismissed = None if r.dismissed_at is None else Dismissal(
        None if r.dismissed_by_id is None else _who(session, r.dismissed_by_id), r.dismissed_at, r.dismiss_reason)
    stale = r.kind == "approve" and (r.revision_id != current.id or r.digest != current.digest)
    return ReviewView(r.id, r.kind, _who(session, r.reviewer_id), r.printed_name, r.created_at,
                      r.meaning, r.digest, numbers[r.revision_id], r.comment, r.pending, stale, r.withdrawn_at,
                      dismissed, r.classes, unrecorded)


def _comment_view(session: Session, c: Comment) -> CommentView:
    return CommentView(c.id, _who(session, c.author_id), c.created_at, c.revision, c.body)


def policy_box(v: Verdict) -> PolicyBox:
    """The verdict as the proposal shows it: satisfied, what is missing per clause, notes, its policy.toml."""
    e = v.evaluation
    return PolicyBox(e.satisfied, tuple(e.missing), e.clauses, e.notes, e.uncounted, v.source, e.infeasible, e.checks)


def drifted(session: Session, proposal: Proposal) -> list[str]:
    """Touched clauses whose text at the ledger head differs from the base (a merge would conflict), and
    touched documents git holds but that could not be read (a merge is refused)."""
    if proposal.state not in ACTIVE:
        return []
    seq, out = head_point(session).seq, []
    revision = store.current_revision(session, proposal)
    for ch in store.changes(session, revision):
        if ch.kind == FILE:
            if session.scalar(select(GovernanceFileVersion.id).where(
                    GovernanceFileVersion.path == ch.key, GovernanceFileVersion.live,
                    GovernanceFileVersion.seq > revision.base_seq, GovernanceFileVersion.seq <= seq).limit(1)):
                out.append(f"{ch.key} changed on the branch since this revision's base")
            continue
        base = session.get(ClauseVersion, ch.base_version_id) if ch.base_version_id else None
        now = version_at(session, ch.clause_id, seq) if ch.clause_id else None
        if base is not None and (now is None or (now.title, now.attributes, now.body, now.document)
                                 != (base.title, base.attributes, base.body, base.document)):
            out.append(f"{ch.key} changed on the branch since this revision's base")
    documents = {ch.document for ch in store.changes(session, revision) if ch.kind != FILE}
    out += [f"{u.message}: this proposal cannot merge until a commit makes it readable again"
            for path in sorted(documents) if (u := unreadable_since(session, path, seq)) is not None]
    return out


def merged_by_commit(session: Session, sha: str) -> MergedProposal | None:
    """The proposal a commit merged, with its approvers and the policy that applied (None: no proposal)."""
    p = session.scalar(select(Proposal).where(Proposal.merged_sha == sha))
    commit = commit_by_sha(session, sha)
    if p is None or commit is None:
        return None
    base = store.current_revision(session, p).base_seq
    dismissed = tuple(
        DismissedVeto(_who(session, r.reviewer_id), r.comment,
                      None if r.dismissed_by_id is None else _who(session, r.dismissed_by_id), r.dismissed_at, r.dismiss_reason)
        for r in store.reviews(session, p) if r.kind == "request_changes" and r.dismissed_at is not None)
    return MergedProposal(p.id, p.title, p.rationale, _who(session, p.proposer_id), counted.recorded(session, p),
                          counted.recorded_uncounted(session, p), policy_at(session, base), sha, commit.committed_at,
                          dismissed, merge_trailers.recorded_checks(session, p))


def proposal_detail(session: Session, number: int) -> ProposalDetail:
    """`specreg proposal N`: the proposal, its revisions, reviews, comments, policy status and drift."""
    p = store.get_proposal(session, number)
    current = store.current_revision(session, p)
    numbers = store.revision_numbers(session, p)
    reviews = store.reviews(session, p)
    records = provenance.review_records(session, p.id, reviews)
    return ProposalDetail(
        p.id, p.title, p.rationale, p.state, _who(session, p.proposer_id), p.created_at,
        p.updated_at, p.revision, p.closed_reason, MergeInfo(p.merged_sha, p.merged_at) if p.merged_sha else None,
        tuple(_revision_view(session, r) for r in store.revisions(session, p)),
        tuple(_review_view(session, r, numbers, current, records[r.id].wrong) for r in reviews),
        tuple(_comment_view(session, c) for c in store.comments(session, p)),
        policy_box(verdict(session, p)), tuple(drifted(session, p)), timeline(session, p), standing_reports(session, p))


def _summaries(session: Session, proposals: Sequence[Proposal],
               verdicts: Mapping[int, Verdict] | None = None) -> list[ProposalSummary]:
    """The list rows of these proposals: their touched ids and proposers in one query each, and each
    verdict as verdict_memo keeps it."""
    if not proposals:
        return []
    verdicts = verdict_memo.verdicts(session, proposals) if verdicts is None else verdicts
    keys = store.touched_keys_of(session, proposals)
    people = {i: Who(n, e) for i, n, e in session.execute(
        select(Person.id, Person.name, Person.email).where(Person.id.in_({p.proposer_id for p in proposals})))}
    out = []
    for p in proposals:
        v = verdicts[p.id]
        e = v.evaluation
        out.append(ProposalSummary(
            p.id, p.title, p.state, people[p.proposer_id], p.created_at, p.updated_at, p.revision,
            tuple(keys.get(p.id, ())), p.merged_sha, Approvals(*e.tally), bool(e.vetoes),
            v.waiting if p.state in (OPEN, APPROVED) else ()))
    return out


def list_proposals(session: Session, state: str | None = None, clause: str | None = None) -> list[ProposalSummary]:
    """Proposals, newest first, optionally in one state or touching one clause id."""
    if state is not None and state not in STATES:
        raise BadRequest(f"unknown state {state!r}; one of {', '.join(STATES)}")
    q = select(Proposal).order_by(Proposal.id.desc())
    if state is not None:
        q = q.where(Proposal.state == state)
    rows = _summaries(session, session.scalars(q).all())
    return [r for r in rows if clause is None or clause in r.clauses]


def proposals_page(session: Session, state: str | None, clause: str | None, number: int,
                   size: int = PAGE_SIZE) -> Page[ProposalSummary]:
    """One page of `list_proposals`; without a clause filter only the page's rows are summarised."""
    if clause is not None:  # the filter reads each proposal's current revision: filter, then slice
        return page_of(list_proposals(session, state, clause), number, size)
    if state is not None and state not in STATES:
        raise BadRequest(f"unknown state {state!r}; one of {', '.join(STATES)}")
    q = select(Proposal)
    if state is not None:
        q = q.where(Proposal.state == state)
    w = window(number, size, session.scalar(select(func.count()).select_from(q.subquery())) or 0)
    rows = session.scalars(q.order_by(Proposal.id.desc()).offset(w.offset).limit(size)).all()
    return Page(tuple(_summaries(session, rows)), w)


def review_queue(session: Session, actor: Actor) -> list[QueueItem]:
    """Open proposals the actor's approval would count for and that they have not approved in their current revision."""
    active = session.scalars(select(Proposal).where(Proposal.state.in_((OPEN, APPROVED))).order_by(Proposal.id)).all()
    verdicts = verdict_memo.verdicts(session, active)
    mine: dict[int, tuple[str, ...]] = {}
    for p in active:
        if p.proposer_id == actor.person_id or actor.email in verdicts[p.id].facts.revision_authors:
            continue
        facts = verdicts[p.id].facts
        counts = standing(facts, actor.email)[0]  # only where their approval would count
        # The reviews the verdict counts (a forged one in their name leaves the proposal in their queue).
        done = any(r.recorded and r.reviewer.email == actor.email and r.revision == facts.revision
                   for r in facts.reviews)
        if counts and not done:
            mine[p.id] = counts
    queued = [p for p in active if p.id in mine]
    return [QueueItem(**vars(row), as_owner_of=tuple(mine[row.id]), policy=policy_box(verdicts[row.id]))
            for row in _summaries(session, queued, verdicts)]


def clause_markdown(session: Session, source: SpecSource, key: str) -> ClauseMarkdown:
    """A clause's full Markdown at the head (heading line and body), as an editor starts from."""
    point = head_point(session)
    view = show_clause(session, key, point)
    require_readable(session, [view.document], point.seq)
    doc = parse(view.document, read_document(source, point.sha, view.document) or "")
    found = next((c for c in doc.clauses if c.key == view.id), None)
    if found is None:
        raise UnknownVersion(f"clause {key!r} is not in {view.document} at {point.sha[:12]}; run `specreg ingest`")
    text = "\n".join(doc.lines[found.start:found.end]).rstrip() + "\n"
    return ClauseMarkdown(view.id, view.document, point.sha, text, view.title, view.attributes, view.text)


def new_clause_place(session: Session, after: str | None, document: str | None) -> NewClausePlace:
    """Where a new clause would go (after a clause, or at the end of a document) and an example heading."""
    point = head_point(session)
    if after:
        view = show_clause(session, after, point)
        example = ("r[new.rule.id]\nThe rule's text." if view.level == 0 else
                   f"{'#' * view.level} Title {{#new_id}}\n\nThe clause's text.")
        return NewClausePlace(view.id, view.title, view.document, point.sha, example)
    if not document:
        raise BadRequest("say where the new clause goes: after a clause (?after=ID) or at the end of a "
                         "document (?document=PATH)")
    return NewClausePlace(None, None, document, point.sha, "## Title {#new_id}\n\nThe clause's text.")



def _waiting(session: Session, actor: Actor) -> tuple[list[Proposal], Mapping[int, Verdict]]:
    active = session.scalars(select(Proposal).where(Proposal.state.in_((OPEN, APPROVED))).order_by(Proposal.id)).all()
    verdicts = verdict_memo.verdicts(session, active)
    return [p for p in active if actor.email in verdicts[p.id].waiting], verdicts


def waiting_for(session: Session, actor: Actor) -> list[ProposalSummary]:
    """Open and approved proposals whose `waiting_on` names this person (the home page's list and the
    list page's "waiting on me"), oldest first."""
    waiting, verdicts = _waiting(session, actor)
    return _summaries(session, waiting, verdicts)


def waiting_count(session: Session, actor: Actor) -> int:
    """How many proposals `waiting_for` lists (the header's badge), without building their rows."""
    return len(_waiting(session, actor)[0])


def state_counts(session: Session) -> dict[str, int]:
    """How many proposals are in each state (every state named, zero included): the list page's tabs."""
    found = {s: n for s, n in session.execute(select(Proposal.state, func.count()).group_by(Proposal.state))}
    return {s: found.get(s, 0) for s in STATES}
