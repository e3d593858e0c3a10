"""Hypothesis: random sequences of propose, revise, approve, veto, withdraw, direct edits and merge.

The machine keeps its own account of what was approved, vetoed and revised, and checks the one
thing that must never happen: a proposal merging without its policy satisfied (invariant 3). It
also checks the converse (a satisfied, unconflicted proposal does merge), that a merge lands
exactly one commit naming the proposal, and that a touched clause changed since the base always
conflicts (invariant 6).
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import git
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from proposal_helpers import HEADINGS, RULES, STYLE, build_world
from repo_builder import RepoBuilder
from sqlalchemy.orm import Session

from registry.errors import SpecregError
from registry.gitsource import SpecSource, trailers
from registry.models import Proposal
from registry.proposals import reviews
from registry.proposals.authoring import ChangeInput, revise, withdraw
from registry.proposals.merge import merge

# Each clause: authority-driven approvals needed, and who may approve (its owners; admins if none).
CLAUSES = {"be_honest": (2, {"grace", "alan"}), "respect_privacy": (1, {"grace"}),
           "be_brief": (1, {"alan"}), "tone": (1, {"root"})}
USERS = ["root", "ada", "grace", "alan", "barbara"]
EDITORS = ["ada", "alan", "barbara"]


@dataclass
class Model:
    """What the machine knows about one proposal."""

    key: str
    proposer: str
    revision: int = 1
    base: int = 0  # the clause's version counter when the current revision was written
    authors: set[str] = field(default_factory=set)
    approvals: set[tuple[str, int]] = field(default_factory=set)
    vetoes: set[str] = field(default_factory=set)
    closed: bool = False

    def satisfied(self) -> bool:
        """The policy, computed independently of the registry's own evaluation."""
        required, owners = CLAUSES[self.key]
        counted = {who for who, rev in self.approvals
                   if rev == self.revision and who in owners and who != self.proposer and who not in self.authors}
        return len(counted) >= required and not self.vetoes


class ProposalMachine(RuleBasedStateMachine):
    """One spec repo and one database transaction per example."""

    proposals = Bundle("proposals")

    def __init__(self, engine) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.conn = engine.connect()
        self.outer = self.conn.begin()
        self.session = Session(bind=self.conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            self.world = build_world(RepoBuilder(Path(self.tmp.name) / "spec"), self.session)
        except BaseException:
            # Hypothesis calls teardown only for a machine that was built: without this, a failure
            # here leaves the connection (and its writer lock) open and the next example waits forever.
            self.teardown()
            raise
        self.models: dict[int, Model] = {}
        self.versions = dict.fromkeys(CLAUSES, 0)  # bumped by every direct edit and merge of a clause
        self.seen = dict(self.versions)  # the versions the ledger has ingested (proposals are based on these)
        self.texts = {"spec/rules.md": RULES, "spec/style.md": STYLE}
        self.edits = 0
        self.named: tuple[str, list[str]] | None = None  # (head, the proposals its history names)

    def teardown(self) -> None:
        self.session.close()
        self.outer.rollback()
        self.conn.close()
        self.tmp.cleanup()

    def _text(self, key: str, tag: str) -> str:
        return f"{HEADINGS[key]}\n\nText {tag}.\n"

    @rule(target=proposals, key=st.sampled_from(sorted(CLAUSES)), who=st.sampled_from(EDITORS))
    def propose(self, key: str, who: str) -> int:
        n = self.world.propose(who, [ChangeInput("change", key, self._text(key, f"by {who}"))])
        self.models[n] = Model(key, who, base=self.seen[key], authors={who})
        return n

    @rule(n=proposals, who=st.sampled_from(["root", "ada", "alan"]), tag=st.integers(0, 3))
    def revise(self, n: int, who: str, tag: int) -> None:
        m = self.models[n]
        try:
            with SpecSource(self.world.path) as source:
                self._call(revise, self.session, source, self.world.users[who], n,
                           [ChangeInput("change", m.key, self._text(m.key, f"r{tag}"))])
        except SpecregError:
            return
        m.revision, m.base = m.revision + 1, self.seen[m.key]
        m.authors.add(who)

    @rule(n=proposals, who=st.sampled_from(USERS))
    def approve(self, n: int, who: str) -> None:
        self._approve(n, who)

    @rule(n=proposals, pick=st.integers(0, 1))
    def approve_as_owner(self, n: int, pick: int) -> None:
        self._approve_as_owner(n, pick)

    def _approve_as_owner(self, n: int, pick: int) -> None:
        owners = sorted(CLAUSES[self.models[n].key][1])
        self._approve(n, owners[pick % len(owners)])

    def _approve(self, n: int, who: str) -> None:
        try:
            self._call(reviews.approve, self.session, self.world.users[who], n)
        except SpecregError:
            return
        self.models[n].approvals.add((who, self.models[n].revision))

    @rule(n=proposals, who=st.sampled_from(USERS))
    def veto(self, n: int, who: str) -> None:
        try:
            self._call(reviews.request_changes, self.session, self.world.users[who], n, "not yet")
        except SpecregError:
            return
        self.models[n].vetoes.add(who)

    @rule(n=proposals, pick=st.integers(0, 4))
    def withdraw_veto(self, n: int, pick: int) -> None:
        vetoers = sorted(self.models[n].vetoes) or USERS
        who = vetoers[pick % len(vetoers)]
        try:
            self._call(reviews.withdraw_veto, self.session, self.world.users[who], n)
        except SpecregError:
            return
        self.models[n].vetoes.discard(who)

    @rule(n=proposals)
    def withdraw(self, n: int) -> None:
        m = self.models[n]
        try:
            self._call(withdraw, self.session, self.world.users[m.proposer], n)
        except SpecregError:
            return
        m.closed = True

    @rule(key=st.sampled_from(sorted(CLAUSES)), ingest_now=st.booleans())
    def direct_edit(self, key: str, ingest_now: bool) -> None:
        """Someone pushes straight to the branch, changing one clause; the ledger may lag behind."""
        self.edits += 1
        path = "spec/style.md" if key == "tone" else "spec/rules.md"
        current = (self.world.path / ".git").parent
        with git.Repo(current) as r:
            text = (r.commit("main").tree / path).data_stream.read().decode()
        heading = HEADINGS[key]
        start = text.index(heading) + len(heading)
        end = text.find("\n#", start)
        new = text[:start] + f"\n\nDirect edit {self.edits}.\n" + (text[end:] if end != -1 else "")
        self.world.repo.commit(f"Direct edit {self.edits}", {path: new})
        self.versions[key] += 1
        if ingest_now:
            self.world.ingest()
            self.seen = dict(self.versions)

    @rule(n=proposals, as_admin=st.booleans())
    def merge(self, n: int, as_admin: bool) -> None:
        self._merge(n, as_admin)

    def _merge(self, n: int, as_admin: bool) -> None:
        m = self.models[n]
        who = "root" if as_admin else m.proposer
        state = self.session.get(Proposal, n).state
        try:
            result = self._call(merge, self.session, self.world.path, "main", self.world.users[who], n)
        except SpecregError:
            assert not (m.satisfied() and not m.closed and state in ("open", "approved")
                        and (who == "root" or who == m.proposer) and m.base == self.versions[m.key]), \
                "a satisfied proposal was refused"
            return
        if result.state == "merged" and state != "merged":
            assert m.satisfied(), f"proposal #{n} merged without its policy: {m}"
            assert m.base == self.versions[m.key], "a merge overwrote a change it had not seen"
            self.versions[m.key] += 1
            m.closed = True
        elif result.state == "conflicted":
            assert m.base != self.versions[m.key], "a conflict was reported for an unchanged clause"
        self.seen = dict(self.versions)  # a merge catches the ledger up with the branch

    def _call(self, fn, *args):
        """Run a use case as an edge would: its changes are rolled back when it raises."""
        with self.session.begin_nested():
            return fn(*args)

    # Approving and merging are what the invariant is about: twin rules give them more of the steps.
    @rule(n=proposals, pick=st.integers(0, 1))
    def approve_as_owner_again(self, n: int, pick: int) -> None:
        self._approve_as_owner(n, pick)

    @rule(n=proposals, as_admin=st.booleans())
    def merge_again(self, n: int, as_admin: bool) -> None:
        self._merge(n, as_admin)

    @invariant()
    def every_merged_proposal_has_exactly_one_commit(self) -> None:
        merged = [str(p.id) for p in self.session.query(Proposal).filter(Proposal.state == "merged")]
        assert sorted(self._named_on_the_branch()) == sorted(merged)

    def _named_on_the_branch(self) -> list[str]:
        """The Proposal-Id trailers of the branch's first-parent history: read from git again only
        when the head moved (a sha names its whole history; reading it took a fifth of each step)."""
        head = self.world.repo.head()
        if self.named is None or self.named[0] != head:
            with git.Repo(self.world.path) as r:
                self.named = (head, [v for c in r.iter_commits(head, first_parent=True)
                                     for v in trailers.values(c.message, "Proposal-Id")])
        return self.named[1]


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_nothing_merges_without_its_policy(engine):
    run_state_machine_as_test(
        lambda: ProposalMachine(engine),
        settings=settings(max_examples=20, stateful_step_count=25, deadline=None,
                          suppress_health_check=list(HealthCheck)),
    )
