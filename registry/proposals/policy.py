"""Apply the policy to one proposal's facts: per touched clause what is still missing, the vetoes, the checks.

The parts: the policy.toml model and parser (registry.proposals.policy_toml: how many approvals
each rule asks), the facts it judges (registry.proposals.policy_facts), and which approvals count
and who counts (registry.proposals.approval_rules: `counted_approvals`, `standing`, `eligible`).
This module adds what follows from them: a pending request for changes blocks, and a review the
audit chain does not back (`ReviewFacts.unrecorded`) is no veto either; a clause whose rule needs
more approvals than people are eligible to give is infeasible (`shortfalls`): it can never merge,
so the policy check and proposing say so; the policy's fallback adds the admins as approvers of
such a clause when it opts in (`with_fallback`).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from registry.proposals.approval_rules import (
    CountedApproval,
    UncountedApproval,
    eligible,
    judge_approvals,
    partly_counted,
)
from registry.proposals.check_rules import CheckStatus, judge
from registry.proposals.policy_facts import ROOT_OWNERS, Facts
from registry.proposals.policy_toml import Policy


@dataclass(frozen=True)
class ClauseStatus:
    """Where one touched clause stands."""

    key: str
    rule: str
    required: int
    approved_by: tuple[str, ...]
    eligible: tuple[str, ...]  # names of those whose approval would still count
    unowned: bool
    governance: bool = False  # a governance file, approved by the admins under [governance]
    root_owners: bool = False  # with governance: the part the owners of root clauses approve
    fallback: bool = False  # admins may approve it under the policy's fallback (too few owners were eligible)

    @property
    def missing(self) -> int:
        """Approvals still needed."""
        return max(0, self.required - len(self.approved_by))

    def message(self) -> str:
        """What is missing, for people: "needs 1 more approval from the owners of X: A, B"."""
        path = self.key.removesuffix(ROOT_OWNERS)
        who = (f"the owners of root clauses ({path} is a governance file)" if self.root_owners
               else f"the admins ({path} is a governance file)" if self.governance
               else f"an admin ({self.key} has no owner)" if self.unowned else f"the owners of {self.key}")
        who += " or, under the policy's fallback, an admin" if self.fallback else ""
        names = ", ".join(self.eligible) if self.eligible else "nobody eligible is left"
        return (f"{self.key}: needs {self.missing} more approval{'s' if self.missing > 1 else ''} from {who}: "
                f"{names} [rule {self.rule}: {self.required}]")

    def as_dict(self) -> dict[str, object]:
        """The JSON form."""
        return {"id": self.key, "rule": self.rule, "required": self.required,
                "approved_by": list(self.approved_by), "missing": self.missing,
                "eligible": list(self.eligible), "unowned": self.unowned, "fallback": self.fallback}


@dataclass(frozen=True)
class Shortfall:
    """A clause whose rule needs more approvals than there are people eligible to give them: it can never merge."""

    key: str
    rule: str
    needed: int
    eligible: tuple[str, ...]  # emails of those whose approval would count

    def message(self) -> str:
        """One line for people: "X can never be approved: rule R needs N approvals, only A can give one"."""
        who = ", ".join(self.eligible) if self.eligible else "nobody"
        return (f"{self.key} can never be approved: rule {self.rule} needs {self.needed} approval"
                f"{'s' if self.needed > 1 else ''}, and only {len(self.eligible)} "
                f"{'person is' if len(self.eligible) == 1 else 'people are'} eligible ({who})")

    def as_dict(self) -> dict[str, object]:
        """{"id", "rule", "needed", "eligible"}."""
        return {"id": self.key, "rule": self.rule, "needed": self.needed, "eligible": list(self.eligible)}


@dataclass(frozen=True)
class Evaluation:
    """The verdict: satisfied or not, per clause, the blocking vetoes, and why some reviews do not count."""

    clauses: tuple[ClauseStatus, ...]
    vetoes: tuple[str, ...]
    notes: tuple[str, ...]
    counted: tuple[CountedApproval, ...] = ()
    uncounted: tuple[UncountedApproval, ...] = ()
    infeasible: tuple[Shortfall, ...] = ()  # touched clauses that can never get their approvals
    checks: tuple[CheckStatus, ...] = ()  # the required checks on the current revision

    @property
    def approved(self) -> bool:
        """True when every clause has its approvals and no veto blocks (the checks aside)."""
        return not self.vetoes and all(c.missing == 0 for c in self.clauses)

    @property
    def unpassed(self) -> tuple[str, ...]:
        """Names of the required checks whose latest report on the current revision is not a success."""
        return tuple(c.name for c in self.checks if not c.passed)

    @property
    def satisfied(self) -> bool:
        """True when every clause has its approvals, nothing blocks and every required check passed."""
        return self.approved and not self.unpassed

    @property
    def tally(self) -> tuple[int, int]:
        """(approvals that count, approvals needed), summed over the touched clauses; an approval counts
        for a clause only up to the number its rule asks, so have == need exactly when no clause misses one."""
        return (sum(min(len(c.approved_by), c.required) for c in self.clauses),
                sum(c.required for c in self.clauses))

    @property
    def missing(self) -> list[str]:
        """One line per unmet rule (each required check that has not passed included)."""
        return ([c.message() for c in self.clauses if c.missing] + list(self.vetoes)
                + [c.message() for c in self.checks if not c.passed])

    def as_dict(self) -> dict[str, object]:
        """{"satisfied", "missing", "clauses", "notes", "infeasible", "checks"}."""
        return {"satisfied": self.satisfied, "missing": self.missing,
                "clauses": [c.as_dict() for c in self.clauses], "notes": list(self.notes),
                "infeasible": [s.as_dict() for s in self.infeasible], "checks": [c.as_dict() for c in self.checks]}


def shortfalls(policy: Policy, facts: Facts,
               memo: dict[str, frozenset[str]] | None = None) -> tuple[Shortfall, ...]:
    """Touched clauses whose rule needs more approvals than people are eligible to give: never mergeable."""
    out: list[Shortfall] = []
    memo = {} if memo is None else memo
    for c in facts.clauses:
        needed, rule = policy.rule_for(c)
        who = eligible(facts, c, memo)
        if len(who) < needed:
            out.append(Shortfall(c.key, rule, needed, tuple(a.email for a in who)))
    return tuple(out)


def with_fallback(policy: Policy, facts: Facts) -> Facts:
    """The facts with the admins added as approvers of each owned clause that is short of eligible
    approvers, when the policy opts in ([fallback] admins_approve_when_short); else unchanged."""
    if not policy.fallback.admins_approve_when_short or not facts.admins:
        return facts
    short = {s.key for s in shortfalls(policy, facts)}
    clauses = []
    for c in facts.clauses:
        have = {a.email for a in c.approvers}
        extra = tuple(a for a in facts.admins if a.email not in have)
        if c.key in short and not c.unowned and not c.governance and extra:
            c = replace(c, approvers=c.approvers + extra, fallback=tuple(a.email for a in extra))
        clauses.append(c)
    return replace(facts, clauses=tuple(clauses))


def waiting_on(facts: Facts, evaluation: Evaluation) -> tuple[str, ...]:
    """Emails of the people whose approval could still satisfy the policy: the eligible approvers
    (standing) of each clause still missing approvals, less those whose approval already counts."""
    counts = {a.review.reviewer.email for a in evaluation.counted}
    short = {c.key for c in evaluation.clauses if c.missing}
    return tuple(dict.fromkeys(a.email for c in facts.clauses if c.key in short
                               for a in eligible(facts, c) if a.email not in counts))


def evaluate(policy: Policy, facts: Facts) -> Evaluation:
    """Apply the policy to the facts."""
    counted, uncounted = judge_approvals(facts)
    counts = {a.review.reviewer.email for a in counted}
    notes = tuple(u.note for u in uncounted) + tuple(partly_counted(facts, counted))
    vetoes = tuple(f"veto: {r.reviewer.name} requested changes on {r.at:%Y-%m-%d %H:%M} UTC; it blocks until "
                   "they withdraw it or an admin dismisses it [rule: a pending veto blocks]"
                   for r in facts.reviews if r.kind == "request_changes" and r.recorded)
    statuses = []
    memo: dict[str, frozenset[str]] = {}  # each person's standing judged once for all clauses
    for c in facts.clauses:
        required, rule = policy.rule_for(c)
        approved = tuple(a.review.reviewer.name for a in counted if c.key in a.clauses)
        waiting = tuple(a.name for a in eligible(facts, c, memo) if a.email not in counts)
        statuses.append(ClauseStatus(c.key, rule, required, approved, waiting, c.unowned, c.governance,
                                     c.root_owners, bool(c.fallback)))
    checks = judge(policy.checks_for(facts.clauses), facts.checks, facts.revision)
    return Evaluation(tuple(statuses), vetoes, notes, counted, uncounted, shortfalls(policy, facts, memo), checks)
