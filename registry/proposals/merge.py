"""Use case: merge an approved proposal into the spec repo as one commit, then ingest it.

The whole merge is one critical section: the merge lock (BEGIN IMMEDIATE on SQLite, an advisory
lock on PostgreSQL) is held from the first read to the commit of the transaction, so two merges
never interleave and a double-clicked merge finds the proposal merged and makes no second commit.
Inside it: catch up with the branch (which also completes a merge whose process died after its git
commit), re-check the policy, write the clause texts into the documents at the current head (or replace
the governance file a governance proposal replaces, unchanged since its base), commit to a private ref and compare-and-swap the branch onto it. If someone pushed in between, the
swap fails and the merge starts over from the new head: it catches up again and decides everything
again there (who may merge, the state, the policy, the conflicts, the commit), because the push may
have changed the owners, the policy or a touched clause. Nothing moves the branch before that.

With a remote (SPECREG_REMOTE) the repo is Specreg's clone: catching up fetches first, and the swap
is an ordinary push of the commit to the remote's branch, which the remote takes only as a
fast-forward of the head the commit was written on. A refused push is the failed swap (fetch, catch
up, decide again); a process that dies after the remote took the push is completed by the next sync.
While the branch shows a history rewrite no admin has acknowledged (someone force-pushed it back),
the merge refuses (UnacknowledgedRewrite) rather than build on, or push onto, a branch in that state.

Locks follow the order in registry.transaction.locks: the merge lock, then ingest's (catching up), and only then
the proposal (the audit lock, then its row), so a review or revision of the same proposal waits
for the merge instead of deadlocking with it. Who may merge is checked before any of it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts.actors import Actor
from registry.audit import events as audit
from registry.audit.anchor import anchor_head
from registry.errors import Conflict, UnacknowledgedRewrite
from registry.gitsource import SpecSource, trailers
from registry.gitsource.remote import move_branch, push
from registry.gitsource.writer import NewCommit, Person, Write, commit_onto, compare_and_swap, sync_worktree
from registry.history.documents import require_readable
from registry.ledger.ingest import ingest
from registry.ledger.options import IngestOptions
from registry.ledger.refs import head_point
from registry.ledger.sync import fetch_locked
from registry.models import Acknowledgement, ClauseVersion, HistoryRewrite, Ledger, Proposal, ProposedChange, utcnow
from registry.proposals import counted, governance, merge_trailers, permissions, store
from registry.proposals.authoring import read_document
from registry.proposals.reevaluation import follow_verdict
from registry.proposals.states import APPROVED, MERGED, OPEN, transition
from registry.spec.clause_edit import Edit, EditError, apply_edits
from registry.spec.parser import parse
from registry.transaction.locks import lock_writer

REGISTRY = Person("Specreg", "specreg@localhost")
ATTEMPTS = 5  # compare-and-swap tries before giving up on a branch that keeps moving


@dataclass(frozen=True)
class MergeResult:
    """What a merge did: merged (with its commit) or conflicted (with the reasons)."""

    id: int
    state: str
    commit: str | None
    conflicts: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """{"id", "state", "commit"} (and "conflicts" when there are any)."""
        out: dict[str, object] = {"id": self.id, "state": self.state, "commit": self.commit}
        return out | ({"conflicts": self.conflicts} if self.conflicts else {})


def _conflicts(source: SpecSource, head: str, by_doc: dict[str, list[ProposedChange]],
               bases: dict[int, ClauseVersion]) -> list[str]:
    """Touched clauses that changed since the base, or no longer stand where they stood."""
    found = []
    for document, items in sorted(by_doc.items()):
        if items[0].kind == governance.FILE:  # a governance file is replaced whole: it must be as it was
            found += [why for ch in items if (why := governance.conflict(source, head, ch))]
            continue
        content = read_document(source, head, document)
        now = {c.key: c for c in parse(document, content).clauses} if content else {}
        for ch in items:
            if ch.kind == "add":
                if ch.key in now:
                    found.append(f"{ch.key}: a clause with this id was added to {document} since the base")
                continue
            base, cur = bases[ch.id], now.get(ch.key)
            if cur is None:
                found.append(f"{ch.key}: no longer in {document} at the head (moved, renamed or removed)")
            elif (cur.title, dict(cur.attributes), cur.body) != (base.title, dict(base.attributes), base.body):
                found.append(f"{ch.key}: changed on the branch since the proposal's base")
    return found


def _message(proposal: Proposal, approvals: tuple[counted.SignedApproval, ...], anchor: tuple[int, str],
             people: list[tuple[str, str]], checks: list[str]) -> str:
    lines = [(trailers.PROPOSAL_ID, str(proposal.id))]
    lines += [(trailers.APPROVED_BY, a.trailer) for a in approvals]
    lines += people
    lines += [(trailers.CHECK, c) for c in checks]
    lines.append((trailers.AUDIT_HEAD, f"{anchor[0]}:{anchor[1]}"))
    return trailers.commit_message(proposal.title, proposal.rationale, lines)


@dataclass(frozen=True)
class _Plan:
    """What the commit will hold: the changes by document, their bases, author, committer, message.

    `approvals` are the ones the policy counts, named in the message and recorded with the merge.
    """

    by_doc: dict[str, list[ProposedChange]]
    bases: dict[int, ClauseVersion]
    author: Person
    committer: Person
    message: str
    approvals: tuple[counted.SignedApproval, ...]
    merged_by: str  # the Merged-by trailer's value, which the merge's audit event keeps
    checks: list[str]  # the Check trailers' values (the required checks that passed), which the event keeps

    @classmethod
    def of(cls, session: Session, proposal: Proposal, anchor: tuple[int, str], committer: Person,
           merger: Actor) -> _Plan:
        """The plan for the proposal's current revision."""
        changes = store.changes(session, store.current_revision(session, proposal))
        by_doc: dict[str, list[ProposedChange]] = {}
        for ch in changes:
            by_doc.setdefault(ch.document, []).append(ch)
        bases = {ch.id: session.get_one(ClauseVersion, ch.base_version_id) for ch in changes if ch.base_version_id}
        proposer = store.person(session, proposal.proposer_id)
        approvals = counted.counting(session, proposal)
        people = merge_trailers.people(session, proposal, merger, utcnow())
        checks = merge_trailers.checks(session, proposal)
        return cls(by_doc, bases, Person(proposer.name, proposer.email), committer,
                   _message(proposal, approvals, anchor, people, checks), approvals, people[0][1], checks)

    def commit(self, source: SpecSource, repo: Path, head: str) -> str:
        """Write the texts into the documents as they are at head; one commit on top of it."""
        ops: list[Write] = []
        for document, items in sorted(self.by_doc.items()):
            if items[0].kind == governance.FILE:
                ops += [Write(document, (ch.text or "").encode("utf-8")) for ch in items]
                continue
            text = read_document(source, head, document) or ""
            new_text, _ = apply_edits(document, text, [Edit(ch.kind, ch.key, ch.text, ch.after_key) for ch in items])
            ops.append(Write(document, new_text.encode("utf-8")))
        now = utcnow()
        return commit_onto(repo, head, NewCommit(branch="", author=self.author, date=now, message=self.message,
                                                 ops=ops, committer=self.committer, commit_date=now))


def _conflicted(session: Session, proposal: Proposal, actor: Actor, reasons: list[str]) -> MergeResult:
    old, proposal.state, proposal.updated_at = proposal.state, transition(proposal.state, "conflict"), utcnow()
    session.flush()
    audit.record(session, actor.email, "proposal.conflict", f"proposal:{proposal.id}", {"state": old},
                 {"state": proposal.state, "conflicts": reasons})
    return MergeResult(proposal.id, proposal.state, None, reasons)


def _merger(session: Session, actor: Actor | None, proposal: Proposal) -> Actor:
    """Who may merge (in any state: a merged proposal answers a second merge with its commit)."""
    return permissions.merger(actor, permissions.load_facts(session, proposal, ("merge",)))


def _check_mergeable(session: Session, actor: Actor | None, proposal: Proposal) -> Actor:
    """Who may merge, the policy now, and the state; each refusal is a named error (registry.proposals.permissions)."""
    who = _merger(session, actor, proposal)
    if proposal.state in (OPEN, APPROVED):
        follow_verdict(session, proposal, who.email)  # the policy as it stands under the lock, before the rule reads the state
    return permissions.check(session, actor, proposal, "merge")


def _publish(source: SpecSource, repo: Path, branch: str, plan: _Plan,
             remote: str | None) -> tuple[str, str] | list[str] | None:
    """(old head, new commit) once the branch moved onto the commit, the reasons it conflicts, or
    None when someone pushed between reading the head and the swap (nothing published).

    With a remote, the swap is the push: the remote refuses it unless its branch is still at head."""
    head = source.resolve(branch)
    reasons = _conflicts(source, head, plan.by_doc, plan.bases)
    if reasons:
        return reasons
    try:
        sha = plan.commit(source, repo, head)
    except EditError as exc:
        return [exc.message]
    if remote is None:
        return (head, sha) if compare_and_swap(repo, branch, sha, head) else None
    if not push(repo, remote, sha, branch, head).accepted:
        return None
    move_branch(repo, branch, sha, head)  # as the next fetch would: this merge's ingest reads the clone
    return head, sha


def merge(session: Session, repo: Path, branch: str | None, actor: Actor | None, number: int,
          committer: Person = REGISTRY, remote: str | None = None) -> MergeResult:
    """Merge the proposal (see the module docstring); PolicyNotSatisfied names each unmet rule.

    `branch` None: the branch the database tracks (else the repo's checked-out one), as ingest reads.
    `remote`: the spec repo's URL, `repo` then being Specreg's clone of it (RemoteUnavailable when
    it cannot be reached, RemoteRefused when it refuses the push for another reason than a moved branch).
    """
    # Refuse an unknown proposal or someone who may not merge before doing any work (ingest reads
    # the branch and records runs and events); checked again under the lock once ingest caught up.
    _merger(session, actor, store.get_proposal(session, number))
    lock_writer(session, "merge")
    if remote is not None:
        fetch_locked(session, Path(repo), remote)  # (the ingest lock, after the merge lock, as registry.transaction.locks orders them)
    # Anchor a head that is already committed: events this transaction records would vanish with
    # it if the process died after the git commit, leaving the commit anchoring a chain that never was.
    anchor = audit.head(session)
    # The same committed head, with its MAC, on refs/specreg/audit before anything reaches the branch.
    anchor_head(session, repo, anchor, remote)
    with SpecSource(repo) as source:
        ingest(session, source, IngestOptions(branch=branch))
        published = session.get_one(Ledger, 1).branch  # the branch ingest just read
        if remote is not None:
            _refuse_unacknowledged_rewrite(session, published)
        for attempt in range(ATTEMPTS):
            if attempt:
                # Someone pushed meanwhile: catch up (re-taking the ingest locks this transaction
                # already holds) and decide everything again at the new head, because that push may
                # have changed the owners, the policy or the touched clauses.
                if remote is not None:
                    fetch_locked(session, Path(repo), remote)
                ingest(session, source, IngestOptions(branch=published))
                if remote is not None:
                    _refuse_unacknowledged_rewrite(session, published)
            proposal = store.get_proposal(session, number, lock=True)
            if proposal.state == MERGED:
                return MergeResult(proposal.id, MERGED, proposal.merged_sha)
            who = _check_mergeable(session, actor, proposal)
            plan = _Plan.of(session, proposal, anchor, committer, who)
            require_readable(session, plan.by_doc, head_point(session).seq)
            outcome = _publish(source, Path(repo), published, plan, remote)
            if isinstance(outcome, list):
                return _conflicted(session, proposal, who, outcome)
            if outcome is not None:
                head, sha = outcome
                break
        else:
            raise Conflict(f"the branch {published} kept moving during the merge; try again")
        _record_merge(session, proposal, who, sha, plan)
        ingest(session, source, IngestOptions(branch=published))
    sync_worktree(repo, published, head, sha)
    return MergeResult(proposal.id, MERGED, sha)


def _refuse_unacknowledged_rewrite(session: Session, branch: str) -> None:
    """UnacknowledgedRewrite while a history rewrite of the branch (one recorded, or one this merge's
    fetch just found) has no admin's acknowledgement: the remote's branch lost commits, and a merge must
    not carry on as if nothing happened (nor, pushed onto an old head, bring the removed commits back)."""
    acknowledged = select(Acknowledgement.rewrite_id).where(Acknowledgement.rewrite_id.is_not(None))
    pending = session.scalars(select(HistoryRewrite).where(HistoryRewrite.id.not_in(acknowledged))
                              .order_by(HistoryRewrite.id)).all()
    if not pending:
        return
    newest = pending[-1]
    raise UnacknowledgedRewrite(
        f"the history of {branch} was rewritten (history rewrite #{newest.id}): {newest.old_head[:12]} is no longer "
        f"on it and {newest.abandoned_commits} commit(s) were taken off; nothing was merged. An admin acknowledges "
        f"the rewrite with a reason (`specreg acknowledge --rewrite {newest.id} --reason WHY`, or the unapproved "
        "changes page), or the branch is pushed back to what it was, then merge again")


def _record_merge(session: Session, proposal: Proposal, actor: Actor, sha: str, plan: _Plan) -> None:
    """The database half of a merge, naming the approvals and checks its trailers name (a crash before it
    is repaired by the next ingest), and the pending approvals it did not count with the policy's reasons."""
    approvals = plan.approvals
    uncounted = counted.not_counting(session, proposal, approvals)
    old = proposal.state
    proposal.state, proposal.merged_sha = transition(proposal.state, "merge"), sha
    proposal.merged_at = proposal.updated_at = utcnow()
    session.flush()
    audit.record(session, actor.email, "proposal.merge", f"proposal:{proposal.id}", {"state": old},
                 {"state": MERGED, "commit": sha, "merged_by": plan.merged_by, "checks": plan.checks}
                 | counted.merge_fields(approvals, uncounted))
