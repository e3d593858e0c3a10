"""Gather what policy needs about a proposal (owners, authorities, reviews) and evaluate it.

Approving follows ownership: who may approve a touched clause are its effective owners now (the
newest OWNERS.toml plus registry assignments); a clause nobody owns is approved by the admins. An
added clause is owned as its place in the outline says (parent, document, default). A governance
file (a proposal of kind `file`) is approved by the admins, under policy.toml's `[governance]`.
The policy itself is read at the proposal's base, never from anything the proposal writes, so a
proposal that loosens policy.toml is judged by the policy it would replace.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.accounts.users import passwords_set_by_others
from registry.errors import UnknownClause
from registry.history.queries import find_clause, list_clauses
from registry.ledger.refs import Point, head_point
from registry.models import Account, ClauseVersion, Person, Proposal, ProposedChange
from registry.owners.resolution import Node, Resolver
from registry.owners.store import OwnersStore, owners_store
from registry.proposals import provenance, store
from registry.proposals.governance import FILE
from registry.proposals.policy import Evaluation, evaluate, waiting_on, with_fallback
from registry.proposals.policy_facts import ROOT_OWNERS, Approver, ClauseFacts, Facts, ReviewFacts
from registry.proposals.policy_store import PolicySource, policy_at
from registry.proposals.verdict_reach import Reach
from registry.spec.change_class import EDITORIAL, classify_change
from registry.transaction.tracking import once_per_transaction


@dataclass(frozen=True)
class Verdict:
    """The policy's verdict on the current revision, and the policy.toml it came from."""

    evaluation: Evaluation
    source: PolicySource
    clauses: tuple[ClauseFacts, ...]
    facts: Facts  # what the policy judged: the permission rules ask approval_rules.standing of the same facts

    @cached_property
    def waiting(self) -> tuple[str, ...]:
        """policy.waiting_on of this verdict, worked out once (a kept verdict serves many requests)."""
        return waiting_on(self.facts, self.evaluation)


def admins(session: Session) -> tuple[Approver, ...]:
    """Enabled admin accounts: the approvers of clauses nobody owns (read once per transaction: a list
    judges every proposal's verdict with them)."""
    return once_per_transaction(session, admins, lambda: _read_admins(session))


def _read_admins(session: Session) -> tuple[Approver, ...]:
    rows = session.execute(select(Person.email, Person.name).join(Account, Account.person_id == Person.id)
                           .where(Account.role == "admin", Account.disabled_at.is_(None))
                           .order_by(Person.email))
    return tuple(Approver(e, n) for e, n in rows)


def _owners(session: Session, owners: OwnersStore, change: ProposedChange, seq: int,
            moment: datetime | None) -> list[tuple[str, tuple[str, ...]]]:
    """(email, the admins whose assignments alone make them an owner) of each owner of a touched clause."""
    # What this reads of the ledger at seq, `head_reach` lists (kept verdicts are carried over pushes by it).
    if change.clause_id is not None:
        found = owners.owners_of(change.clause_id, seq, moment)
        if found is not None:
            made_by = owners.assignments(moment, change.clause_id).get(change.clause_id, {})
            return [(o.email, owners.assigners(o, made_by, seq)) for o in found[1]]
    # An added clause (or one gone since): resolve it where it will stand in the outline.
    nodes: dict[str, Node] = {}
    if change.parent_key:
        try:
            nodes = owners.chain(find_clause(session, change.parent_key).id, seq) or {}
        except UnknownClause:
            nodes = {}
    nodes = {change.key: Node(change.key, change.document, change.parent_key if nodes else None), **nodes}
    return [(o.email, ()) for o in Resolver(owners.rules_at(seq), nodes).owners(change.key)]


def head_reach(session: Session, proposal: Proposal, seq: int) -> Reach:
    """What the verdict of the proposal's current revision reads of the ledger at seq: what `_owners` reads
    for each change, every clause for a governance file (its root owners). Keep the two in step
    (tests/proposals/test_kept_verdicts_after_a_push.py judges kept verdicts after each kind of push)."""
    owners = owners_store(session)
    lineages: set[int] = set()
    ids: set[str] = set()
    for ch in store.changes(session, store.current_revision(session, proposal)):
        if ch.kind == FILE:
            return Reach(whole=True)
        if ch.clause_id is not None:
            lineages |= owners.lineages(ch.clause_id, seq)
            if owners.chain(ch.clause_id, seq) is not None:
                continue
        if ch.parent_key:
            ids.add(ch.parent_key)
            try:
                lineages |= owners.lineages(find_clause(session, ch.parent_key).id, seq)
            except UnknownClause:
                pass
    return Reach(frozenset(lineages), frozenset(ids))


def change_class(base: ClauseVersion | None, ch: ProposedChange) -> str:
    """editorial or normative (registry.spec.change_class): the change against the version it was written on."""
    return classify_change(ch.kind, base.title if base else None, ch.title, base.attributes if base else None,
                           ch.attributes, base.body if base else None, ch.body)


def classes(session: Session, changes: list[ProposedChange]) -> dict[str, str]:
    """Each change's class by clause id: what a reviewer of the revision saw (kept with the review)."""
    return {ch.key: change_class(session.get(ClauseVersion, ch.base_version_id) if ch.base_version_id else None, ch)
            for ch in changes}


def root_owners(session: Session, owners: OwnersStore, seq: int, moment: datetime | None) -> tuple[Approver, ...]:
    """The owners of the clauses whose authority is root at `seq` (as OWNERS.toml and assignments make
    them), each with the admins whose assignments alone make them one (none when any clause's do not)."""
    made: dict[str, tuple[str, ...] | None] = {}  # email -> assigners; None once OWNERS.toml makes them one
    for c in list_clauses(session, Point("", seq, "", "commit")):
        found = owners.owners_of(c.clause_id, seq, moment) if c.attributes.get("authority") == "root" else None
        if found is None:
            continue
        made_by = owners.assignments(moment, c.clause_id).get(c.clause_id, {})
        for o in found[1]:
            by = owners.assigners(o, made_by, seq)
            old = made.get(o.email, ())
            made[o.email] = None if not by or old is None else tuple(dict.fromkeys((*old, *by)))
    return tuple(Approver(e, owners.name_of(e), by or ()) for e, by in sorted(made.items()))


def clause_facts(session: Session, changes: list[ProposedChange], seq: int | None = None,
                 moment: datetime | None = None, root_group: bool = False) -> tuple[ClauseFacts, ...]:
    """Each touched clause with its authority levels (before and after) and its approvers.

    Owners as they are now, or as OWNERS.toml had them at `seq` and registry assignments at `moment`;
    each owner says whose registry assignments alone make them one (separation of duties). A
    governance file is approved by the admins, and (`root_group`) by the owners of root clauses too:
    the admins when no root clause has an owner.
    """
    seq = head_point(session).seq if seq is None else seq
    # A list of proposals judges each at the same head: one store (its OWNERS rules and assignment log)
    # and one admin list serve them all, read again after the transaction writes.
    owners = owners_store(session)
    fallback = admins(session)
    out = []
    for ch in changes:
        if ch.kind == FILE:
            out.append(ClauseFacts(ch.key, (), fallback, governance=True))
            if root_group:
                out.append(ClauseFacts(ch.key + ROOT_OWNERS, (), root_owners(session, owners, seq, moment) or fallback,
                                       governance=True, root_owners=True))
            continue
        base = session.get(ClauseVersion, ch.base_version_id) if ch.base_version_id else None
        authorities = {a for a in ((base.attributes if base else {}).get("authority"),
                                   (ch.attributes or {}).get("authority")) if a}
        found = _owners(session, owners, ch, seq, moment)
        approvers = tuple(Approver(e, owners.name_of(e), by) for e, by in found)
        out.append(ClauseFacts(ch.key, tuple(sorted(authorities)), approvers or fallback, not approvers,
                               editorial=change_class(base, ch) == EDITORIAL))
    return tuple(out)


def standing_reviews(session: Session, proposal: Proposal,
                     numbers: dict[int, int] | None = None) -> tuple[ReviewFacts, ...]:
    """The one rule for which reviews count (everything that judges approvals or vetoes asks it).

    The reviews are what the audit chain recorded, not the rows: every approval and request for
    changes a `review.*` event the audit key vouches for recorded (registry.audit.events.vouched),
    standing as the chain's withdrawals and dismissals say, with the values it signed. A request for
    changes the chain has standing blocks whatever its row says (marked dismissed, edited, deleted).
    An approval counts only while its row is still what the chain recorded: one whose row was
    edited or deleted counts for nothing (`unrecorded` says why), so deleting or editing rows can take
    an approval away but never add one. A row no vouched event recorded (inserted with SQL) is listed
    too, marked, as no approval and no veto. Oldest first. `numbers`: revision id -> number.
    """
    numbers = store.revision_numbers(session, proposal) if numbers is None else numbers
    rows = {r.id: r for r in store.reviews(session, proposal)}
    chain = provenance.review_chain(session, proposal.id)
    records = provenance.review_records(session, proposal.id, rows.values(), chain)
    out = []
    for c in chain.values():
        if c.pending:
            wrong = records[c.id].wrong if c.id in rows else c.missing
            counts = c.kind == "request_changes" or wrong is None
            out.append(ReviewFacts(Approver(c.email, c.printed_name), c.kind, c.revision, c.digest, c.at, c.id,
                                   None if counts else _uncounted(c.id in rows, wrong)))
    for r in rows.values():
        record = records[r.id]
        if r.id not in chain and record.standing:
            out.append(ReviewFacts(Approver(record.email, r.printed_name), r.kind, numbers[r.revision_id], r.digest,
                                   r.created_at, r.id, _uncounted(True, record.wrong)))
    return tuple(sorted(out, key=lambda f: f.id or 0))


def _uncounted(has_row: bool, why: str | None) -> str:
    return f"not in the audit record: {why}" if has_row else f"its row is gone: {why}"


def standing_checks(session: Session, proposal: Proposal, numbers: dict[int, int] | None = None,
                    ) -> tuple[tuple[provenance.ChainReport, ...], dict[int, str]]:
    """The one rule for which check reports count, and, apart, why each row that differs from it does.

    Every report a `check.report` event the audit key vouches for recorded counts as that event
    recorded it (name, status, revision, url, time), whatever its row now says or whether it still
    has one: a failure deleted or edited with SQL still fails. A row no vouched event recorded as it
    stands (a `success` inserted or edited with SQL) counts for nothing. `numbers`: revision id -> number.
    """
    numbers = store.revision_numbers(session, proposal) if numbers is None else numbers
    chain = provenance.report_chain(session, proposal.id)
    rows = store.check_reports(session, proposal)
    wrong = provenance.check_records(session, rows, chain, numbers)
    return tuple(chain.values()), {i: why for i, why in wrong.items() if why is not None}


def verdict(session: Session, proposal: Proposal, seq: int | None = None, moment: datetime | None = None) -> Verdict:
    """Evaluate the policy at the current revision's base against the proposal as it stands now.

    `seq` and `moment` judge ownership as it was then instead (see clause_facts): a merge commit
    that ingest completes after a crash is judged by the owners it was made under.
    """
    revision = store.current_revision(session, proposal)
    numbers = store.revision_numbers(session, proposal)
    source = once_per_transaction(session, (policy_at, revision.base_seq), lambda: policy_at(session, revision.base_seq))
    clauses = clause_facts(session, store.changes(session, revision), seq, moment,
                           source.policy.governance.root_owners > 0)
    reviews = standing_reviews(session, proposal, numbers)
    proposer = store.person(session, proposal.proposer_id)
    checks = tuple(c.facts for c in standing_checks(session, proposal, numbers)[0])
    facts = with_fallback(source.policy, Facts(
        proposer.email, frozenset(store.revision_authors(session, proposal)), revision.number, revision.digest,
        clauses, reviews, once_per_transaction(session, passwords_set_by_others, lambda: passwords_set_by_others(session)),
        admins=admins(session), checks=checks))
    return Verdict(evaluate(source.policy, facts), source, facts.clauses, facts)


def may_approve(clauses: tuple[ClauseFacts, ...], email: str) -> list[str]:
    """The touched clauses this person may approve (as owner, or as admin of an unowned clause)."""
    return [c.key for c in clauses if any(a.email == email for a in c.approvers)]


def meaning(clauses: tuple[ClauseFacts, ...], email: str) -> str:
    """What an approval by this person means, in words kept with the approval."""
    mine = [c for c in clauses if any(a.email == email for a in c.approvers)]
    owned = [c.key for c in mine if not c.unowned and not c.governance and email not in c.fallback]
    admin = [c.key for c in mine if c.unowned]
    files = [c.key for c in mine if c.governance and not c.root_owners]
    root = [c.key.removesuffix(ROOT_OWNERS) for c in mine if c.root_owners]
    fallback = [c.key for c in mine if email in c.fallback]
    parts = [f"approved as owner of {', '.join(owned)}"] if owned else []
    parts += [f"approved as admin for unowned {', '.join(admin)}"] if admin else []
    parts += [f"approved as admin for governance file {', '.join(files)}"] if files else []
    parts += [f"approved as owner of a root clause for governance file {', '.join(root)}"] if root else []
    parts += [f"approved as admin for {', '.join(fallback)} under the policy's fallback (too few eligible owners)"
              ] if fallback else []
    return "; ".join(parts)
