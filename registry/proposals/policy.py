"""Pure approval policy: parse `policy.toml` and decide, per touched clause, what is still missing.

Built-in rules nobody can configure away: every touched clause needs approvals from its owners
(from the admins when it has no owner); the proposer and the author of any revision never count;
an approval counts only for the revision and exact text (digest) it was given for, and only for
the touched clauses its giver may approve now; separation of duties: ownership that rests only on
registry assignments made by the proposer or a revision author (or by an account whose password one
of them set) does not count for their proposal, and nobody whose password someone else set counts
until they set their own; a pending request for changes blocks; a review the audit chain does not
back (`ReviewFacts.unrecorded`, decided by registry.proposals.verdict) is neither an approval nor a veto.
`policy.toml` sets how many approvals: `[defaults]`, per authority level (`[authority.root]`) and
per clause (`[clause."respect_privacy"]`); a clause must satisfy the strictest level that applies
to it, before and after the change. `[governance]` says where governance began (`start`: a ref;
earlier commits are pre-governance, not unapproved changes) and how many admins approve a proposal
that replaces a governance file (OWNERS.toml, policy.toml, specreg.toml, frameworks.toml): `min_approvals`, at least
one, and optionally `root_owners`, approvals also needed from owners of root clauses; the proposer
and revision authors never count there either. `[fallback]` opts into
`admins_approve_when_short`: when fewer people are eligible to approve a touched clause than its
rule needs, the enabled admins may approve it too (every such approval is marked and audited).
A clause whose rule needs more approvals than people are eligible to give is infeasible
(`shortfalls`): it can never merge, so the policy check and proposing say so.
Any rule's table may also name `required_checks` (registry.proposals.check_rules: every one must
have passed on the current revision) and `editorial_min_approvals`, the fewer approvals the rule
asks of a touched clause whose change is editorial (registry.spec.change_class); never more than
its `min_approvals`.

`counted_approvals` is the one definition of an approval that counts: the verdict, the merge
commit's `Approved-by:` trailers, the evidence report, in-force and verify all come from it.
"""
from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property

from registry.proposals.check_rules import CHECKS_KEY, CheckFacts, CheckStatus, judge, parse_required

POLICY_PATH = "policy.toml"
EDITORIAL_KEY = "editorial_min_approvals"
_LEVEL_KEYS = {"min_approvals", EDITORIAL_KEY, CHECKS_KEY}
_TABLES = {"defaults", "authority", "clause", "governance", "fallback"}
GOVERNANCE_KEYS = ("min_approvals", "root_owners", "start")  # the keys [governance] knows; anything else is a warning
GOVERNANCE_RULE = "governance"
ROOT_OWNERS = " (root owners)"  # a governance file's key plus this: the part its root clauses' owners approve
FALLBACK_KEYS = ("admins_approve_when_short",)  # the keys [fallback] knows


@dataclass(frozen=True)
class Governance:
    """The `[governance]` table: `start` is the ref (sha or tag) where governance began, or None;
    `min_approvals` how many admins approve a proposal that replaces a governance file, and
    `root_owners` how many owners of root clauses must approve it too (0: none).

    Only stricter than the default: at least one admin, never the proposer or a revision author (the
    built-in rules), and only admins (and, when asked for, owners of root clauses) count.
    """

    start: str | None = None
    min_approvals: int = 1
    root_owners: int = 0


@dataclass(frozen=True)
class Fallback:
    """The `[fallback]` table: admins_approve_when_short lets the admins approve a clause too few can approve."""

    admins_approve_when_short: bool = False


@dataclass(frozen=True)
class Policy:
    """How many approvals a clause needs: a default, per authority level and per clause id."""

    default: int = 1
    authority: Mapping[str, int] = field(default_factory=lambda: {"root": 2})
    clause: Mapping[str, int] = field(default_factory=dict)
    governance: Governance = field(default_factory=Governance)
    fallback: Fallback = field(default_factory=Fallback)
    editorial: Mapping[str, int] = field(default_factory=dict)  # rule name -> editorial_min_approvals
    checks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # rule name -> required_checks

    def _applicable(self, key: str, authorities: Iterable[str]) -> list[str]:
        """The names of the rules that apply to a clause, whether or not their tables exist."""
        return ["defaults", *(f"authority.{a}" for a in sorted(set(authorities))), f"clause.{key}"]

    def _count(self, rule: str) -> int | None:
        """The rule's min_approvals (None: the policy gives that rule no number)."""
        table, _, name = rule.partition(".")
        return self.default if table == "defaults" else (self.authority if table == "authority" else self.clause).get(name)

    def required(self, key: str, authorities: Iterable[str], editorial: bool = False) -> tuple[int, str]:
        """(approvals needed, the rule that asks for them): the strictest rule that applies; for an
        editorial change each rule asks its editorial_min_approvals when it sets one."""
        levels = frozenset(authorities)
        if key in self.clause:
            return self._strictest(key, levels, editorial)
        # No rule names the clause, so the answer is its authorities' alone: judged once per set of
        # them, not once per clause (the owners page asks for all 3,000).
        memo = self._required_memo
        if (levels, editorial) not in memo:
            memo[levels, editorial] = self._strictest(key, levels, editorial)
        return memo[levels, editorial]

    def _strictest(self, key: str, authorities: Iterable[str], editorial: bool) -> tuple[int, str]:
        rules = [(min(n, self.editorial.get(rule, n)) if editorial else n, rule)
                 for rule in self._applicable(key, authorities) if (n := self._count(rule)) is not None]
        return max(rules, key=lambda r: r[0])

    @cached_property
    def _required_memo(self) -> dict[tuple[frozenset[str], bool], tuple[int, str]]:
        return {}

    def rule_for(self, c: ClauseFacts) -> tuple[int, str]:
        """(approvals needed, the rule) for a touched clause, or for a governance file under `[governance]`."""
        if c.governance and c.root_owners:
            return self.governance.root_owners, f"{GOVERNANCE_RULE}.root_owners"
        if c.governance:
            return self.governance.min_approvals, GOVERNANCE_RULE
        return self.required(c.key, c.authorities, c.editorial)

    def checks_for(self, clauses: Iterable[ClauseFacts]) -> dict[str, tuple[str, ...]]:
        """The checks the touched clauses require: check name -> the rules that ask for it (governance
        files ask for none)."""
        out: dict[str, tuple[str, ...]] = {}
        for c in clauses:
            for rule in [] if c.governance else self._applicable(c.key, c.authorities):
                for name in self.checks.get(rule, ()):
                    out[name] = tuple(dict.fromkeys((*out.get(name, ()), rule)))
        return out


DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class ParsedPolicy:
    """A policy.toml version: the policy (None when it is unusable) and what was wrong with it."""

    policy: Policy | None
    warnings: tuple[str, ...] = ()


@dataclass
class _Extras:
    """What rule tables say besides min_approvals, by rule name, as parse_policy collects it."""

    editorial: dict[str, int] = field(default_factory=dict)
    checks: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _count(where: str, table: object, problems: list[str], extras: _Extras) -> int | None:
    if not isinstance(table, dict):
        raise ValueError(f"[{where}] must be a table with min_approvals = N")
    for k in sorted(set(table) - _LEVEL_KEYS):
        problems.append(f"[{where}] has an unknown key {k!r} (ignored); known: {', '.join(sorted(_LEVEL_KEYS))}")
    n = _min_approvals(where, table.get("min_approvals"))
    if (editorial := _min_approvals(where, table.get(EDITORIAL_KEY), EDITORIAL_KEY)) is not None:
        if n is not None and editorial > n:
            raise ValueError(f"[{where}] {EDITORIAL_KEY} ({editorial}) must not be more than min_approvals ({n})")
        extras.editorial[where] = editorial
    if CHECKS_KEY in table:
        extras.checks[where] = parse_required(where, table[CHECKS_KEY])
    return n


def _min_approvals(where: str, n: object, key: str = "min_approvals") -> int | None:
    if n is None:
        return None
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"[{where}] {key} must be a whole number of at least 1, not {n!r}")
    return n


def _governance(table: object, problems: list[str]) -> Governance:
    """The `[governance]` table; a start that is not a ref-like string is an impossible value."""
    if not isinstance(table, dict):
        raise ValueError('[governance] must be a table like start = "REF"')
    for k in sorted(set(table) - set(GOVERNANCE_KEYS)):
        problems.append(f"[governance] has an unknown key {k!r} (ignored); known: {', '.join(GOVERNANCE_KEYS)}")
    approvals = _min_approvals("governance", table.get("min_approvals")) or Governance.min_approvals
    root_owners = _min_approvals("governance", table.get("root_owners"), "root_owners") or Governance.root_owners
    start = table.get("start")
    if start is None:
        return Governance(None, approvals, root_owners)
    if (not isinstance(start, str) or not start.strip() or len(start) > 255
            or any(c.isspace() or ord(c) < 32 for c in start)):
        raise ValueError(f"[governance] start must be a commit sha or a tag, not {start!r}")
    return Governance(start, approvals, root_owners)


def _fallback(table: object, problems: list[str]) -> Fallback:
    """The `[fallback]` table; a value that is not true or false is an impossible value."""
    if not isinstance(table, dict):
        raise ValueError("[fallback] must be a table like admins_approve_when_short = true")
    for k in sorted(set(table) - set(FALLBACK_KEYS)):
        problems.append(f"[fallback] has an unknown key {k!r} (ignored); known: {', '.join(FALLBACK_KEYS)}")
    value = table.get("admins_approve_when_short", False)
    if not isinstance(value, bool):
        raise ValueError(f"[fallback] admins_approve_when_short must be true or false, not {value!r}")
    return Fallback(value)


def parse_policy(text: str) -> ParsedPolicy:
    """Parse policy.toml; a file that is not TOML or has an impossible value is unusable (None)."""
    try:
        data = tomllib.loads(text.lstrip("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        return ParsedPolicy(None, (f"policy.toml is not valid TOML ({exc}); the previous policy stays in force",))
    notes: list[str] = [f"unknown table [{k}] (ignored); known: defaults, authority, clause, governance, fallback"
                        for k in sorted(set(data) - _TABLES)]
    extras = _Extras()
    try:
        default = _count("defaults", data.get("defaults", {}), notes, extras)
        levels = {}
        for table in ("authority", "clause"):
            section = data.get(table, {})
            if not isinstance(section, dict):
                raise ValueError(f"[{table}] must hold tables like [{table}.NAME]")
            levels[table] = {name: n for name, sub in section.items()
                             if (n := _count(f"{table}.{name}", sub, notes, extras)) is not None}
        governance = _governance(data.get("governance", {}), notes)
        fallback = _fallback(data.get("fallback", {}), notes)
    except ValueError as exc:
        return ParsedPolicy(None, (f"{exc}; the previous policy stays in force",))
    policy = Policy(default or DEFAULT_POLICY.default,
                    {**DEFAULT_POLICY.authority, **levels["authority"]}, levels["clause"], governance, fallback,
                    extras.editorial, extras.checks)
    return ParsedPolicy(policy, tuple(notes))


@dataclass(frozen=True)
class Approver:
    """A person as policy sees them (as an approver of one clause)."""

    email: str
    name: str
    # The admins whose registry assignments alone make them an approver of the clause (directly or
    # through a team); empty when OWNERS.toml (or, for an unowned clause, the admin role) does.
    assigned_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClauseFacts:
    """A touched clause: its authority levels (before and after) and who may approve it."""

    key: str
    authorities: tuple[str, ...]
    approvers: tuple[Approver, ...]  # its owners; the admins when it has none (or it is a governance file)
    unowned: bool = False
    governance: bool = False  # a governance file (key: its path), approved under [governance]
    root_owners: bool = False  # with governance: the part the owners of root clauses approve (key: path + ROOT_OWNERS)
    fallback: tuple[str, ...] = ()  # admins the policy's fallback added as approvers (too few were eligible)
    editorial: bool = False  # the change is editorial (registry.spec.change_class): editorial_min_approvals apply


@dataclass(frozen=True)
class ReviewFacts:
    """A pending (not withdrawn, not dismissed) review."""

    reviewer: Approver
    kind: str  # approve or request_changes
    revision: int
    digest: str
    at: datetime
    id: int | None = None  # the review's row, so callers can name the approvals that counted
    # Why the audit chain does not back the review as it stands ("not in the audit record: ..." or "its row
    # is gone: ..."; None: it does); such a review is no approval and no veto
    # (registry.proposals.verdict.standing_reviews decides it).
    unrecorded: str | None = None

    @property
    def recorded(self) -> bool:
        """The audit chain backs the review: it may count."""
        return self.unrecorded is None


@dataclass(frozen=True)
class Facts:
    """Everything evaluation needs about one proposal."""

    proposer: str
    revision_authors: frozenset[str]
    revision: int
    digest: str
    clauses: tuple[ClauseFacts, ...]
    reviews: tuple[ReviewFacts, ...]
    # People whose current password someone else set (an admin creating or resetting the account),
    # by email: who set it. Reviewers and assigners; the holder setting their own takes them out.
    password_set_by: Mapping[str, str] = field(default_factory=dict)
    admins: tuple[Approver, ...] = ()  # enabled admins, whom the policy's fallback may call on
    checks: tuple[CheckFacts, ...] = ()  # every check report on the proposal, any revision

    @cached_property
    def approvers_of(self) -> Mapping[str, tuple[ClauseFacts, ...]]:
        """Each approver's clauses, in the facts' order: standing asks it per person, and scanning every
        clause for each was most of the owners page's feasibility check at 3,000 clauses."""
        out: dict[str, list[ClauseFacts]] = {}
        for c in self.clauses:
            for email in dict.fromkeys(a.email for a in c.approvers):
                out.setdefault(email, []).append(c)
        return {email: tuple(cs) for email, cs in out.items()}


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


def waiting_on(facts: Facts, evaluation: Evaluation) -> tuple[str, ...]:
    """Emails of the people whose approval could still satisfy the policy: the eligible approvers
    (standing) of each clause still missing approvals, less those whose approval already counts."""
    counts = {a.review.reviewer.email for a in evaluation.counted}
    short = {c.key for c in evaluation.clauses if c.missing}
    return tuple(dict.fromkeys(a.email for c in facts.clauses if c.key in short
                               for a in eligible(facts, c) if a.email not in counts))


def _partly(facts: Facts, counted: tuple[CountedApproval, ...]) -> list[str]:
    """Notes for counted approvals that do not count for some clause their giver may approve."""
    out = []
    for a in counted:
        for c in facts.clauses:
            if c.key not in a.clauses and any(x.email == a.review.reviewer.email for x in c.approvers):
                why = _may_count_for(facts, c, a.review.reviewer.email)
                out.append(f"the approval by {a.review.reviewer.name} does not count for {c.key}: {why}")
    return out


def evaluate(policy: Policy, facts: Facts) -> Evaluation:
    """Apply the policy to the facts."""
    counted, uncounted = judge_approvals(facts)
    counts = {a.review.reviewer.email for a in counted}
    notes = tuple(u.note for u in uncounted) + tuple(_partly(facts, counted))
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
