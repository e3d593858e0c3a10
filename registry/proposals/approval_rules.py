"""Which approvals count, and who counts: the one definition of an approval that counts.

Built-in rules nobody can configure away: every touched clause needs approvals from its owners
(from the admins when it has no owner); the proposer and the author of any revision never count;
an approval counts only for the revision and exact text (digest) it was given for, and only for
the touched clauses its giver may approve now; separation of duties: ownership that rests only on
registry assignments made by the proposer or a revision author (or by an account whose password one
of them set) does not count for their proposal, and nobody whose password someone else set counts
until they set their own; a review the audit chain does not back (`ReviewFacts.unrecorded`, decided
by registry.proposals.verdict) is no approval.

`standing` is the one rule for who counts (for which touched clauses, or why not): `eligible`,
`counted_approvals` and the approve button ask it. `counted_approvals` is the one definition of an
approval that counts: the verdict (registry.proposals.policy.evaluate), the merge commit's
`Approved-by:` trailers, the evidence report, in-force and verify all come from it.
"""
from __future__ import annotations

from dataclasses import dataclass

from registry.proposals.policy_facts import Approver, ClauseFacts, Facts, ReviewFacts


@dataclass(frozen=True)
class CountedApproval:
    """An approval that counts under the policy, and the touched clauses it counts for."""

    review: ReviewFacts
    clauses: tuple[str, ...]


@dataclass(frozen=True)
class UncountedApproval:
    """A pending approval that counts for nothing under the policy, and why (for people)."""

    review: ReviewFacts
    reason: str  # e.g. "the proposer", "stale: given for revision 1"

    def as_dict(self) -> dict[str, object]:
        """{"review", "name", "email", "reason"}: the review's id, the printed name, the reviewer's email, why."""
        return {"review": self.review.id, "name": self.review.reviewer.name, "email": self.review.reviewer.email,
                "reason": self.reason}

    @property
    def note(self) -> str:
        """The sentence the proposal page shows: "the approval by NAME does not count: REASON"."""
        if self.reason.startswith("stale"):
            return f"the approval by {self.review.reviewer.name} is {self.reason}"
        return f"the approval by {self.review.reviewer.name} does not count: {self.reason}"


def _excluded(facts: Facts, email: str) -> str | None:
    if email == facts.proposer:
        return "the proposer"
    if email in facts.revision_authors:
        return "an author of a revision"
    return None


def _own_password(facts: Facts, email: str) -> str | None:
    """Why this person does not count yet: someone else set their password (None: they count)."""
    setter = facts.password_set_by.get(email)
    return (f"the password of {email} was set by {setter}; an approval counts once its holder sets their own"
            if setter else None)


def _assigner(facts: Facts, email: str) -> str | None:
    """Why an assignment this admin made cannot make an approval count here (None: it can): they are the
    proposer or a revision author, or one of those set their password (and so can act as them)."""
    why = _excluded(facts, email)
    setter = facts.password_set_by.get(email)
    if why is None and setter is not None and _excluded(facts, setter):
        why = f"{email}, whose password {_excluded(facts, setter)} set"
    return why


def _may_count_for(facts: Facts, clause: ClauseFacts, email: str) -> str | None:
    """Why this approver of the clause cannot count for it (None: they can). Separation of duties:
    ownership resting only on assignments by the proposer's side is theirs, not an independent owner's."""
    approver = next(a for a in clause.approvers if a.email == email)
    tainted = [why for by in approver.assigned_by if (why := _assigner(facts, by))]
    if approver.assigned_by and len(tainted) == len(approver.assigned_by):
        return f"ownership of {clause.key} rests only on a registry assignment by {tainted[0]}"
    return None


def standing(facts: Facts, email: str) -> tuple[tuple[str, ...], str | None]:
    """The touched clauses this person's approval of the current text would count for, and, when none,
    why not. The one rule for who counts: counted_approvals, eligibility and the approve button ask it."""
    why = _excluded(facts, email) or _own_password(facts, email)
    if why:
        return (), why
    clauses, refusals = [], []
    for c in facts.approvers_of.get(email, ()):
        refusal = _may_count_for(facts, c, email)
        clauses += [] if refusal else [c.key]
        refusals += [refusal] if refusal else []
    if clauses:
        return tuple(clauses), None
    return (), "; ".join(refusals) or "they may approve none of the touched clauses now"


def eligible(facts: Facts, clause: ClauseFacts,
             memo: dict[str, frozenset[str]] | None = None) -> tuple[Approver, ...]:
    """The clause's approvers whose approval of the current text would count for it (standing): the
    one definition of who is eligible, for the verdict, feasibility and the fallback.

    `memo` (email -> the clauses their standing covers, for these same facts) lets a caller asking
    for every clause judge each person once: standing scans every clause, so asking it per clause and
    approver took seconds on the owners page at 3,000 clauses.
    """
    memo = {} if memo is None else memo
    for a in clause.approvers:
        if a.email not in memo:
            memo[a.email] = frozenset(standing(facts, a.email)[0])
    return tuple(a for a in clause.approvers if clause.key in memo[a.email])


def _stale(facts: Facts, review: ReviewFacts) -> str | None:
    if review.revision != facts.revision or review.digest != facts.digest:
        return f"stale: given for revision {review.revision}"
    return None


def _unrecorded(review: ReviewFacts) -> str | None:
    return review.unrecorded


def judge_approvals(facts: Facts) -> tuple[tuple[CountedApproval, ...], tuple[UncountedApproval, ...]]:
    """Every pending approval, counted (with the touched clauses it counts for) or not (with why), in
    review order.

    One per person: an approval the audit chain backs, of the current revision's exact text, by someone who wrote no
    revision and whose password is their own, who may approve at least one touched clause now (its
    owners, or the admins when it has none) by more than an assignment the proposer's side made.
    Someone whose ownership moved away after approving no longer counts.
    """
    counted: dict[str, CountedApproval] = {}
    uncounted: list[UncountedApproval] = []
    for r in facts.reviews:
        if r.kind != "approve" or r.reviewer.email in counted:
            continue
        clauses, why = standing(facts, r.reviewer.email)
        why = _unrecorded(r) or _excluded(facts, r.reviewer.email) or _stale(facts, r) or why
        if why:
            uncounted.append(UncountedApproval(r, why))
        else:
            counted[r.reviewer.email] = CountedApproval(r, clauses)
    return tuple(counted.values()), tuple(uncounted)


def counted_approvals(facts: Facts) -> tuple[CountedApproval, ...]:
    """The approvals that count, in review order, each with the touched clauses it counts for (see judge_approvals)."""
    return judge_approvals(facts)[0]


def partly_counted(facts: Facts, counted: tuple[CountedApproval, ...]) -> list[str]:
    """Notes for counted approvals that do not count for some clause their giver may approve (the verdict shows them)."""
    out = []
    for a in counted:
        for c in facts.clauses:
            if c.key not in a.clauses and any(x.email == a.review.reviewer.email for x in c.approvers):
                why = _may_count_for(facts, c, a.review.reviewer.email)
                out.append(f"the approval by {a.review.reviewer.name} does not count for {c.key}: {why}")
    return out
