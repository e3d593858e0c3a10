"""A kept verdict is carried over a push that leaves its inputs as they were (proposals.verdict_reach), and
equals the fresh verdict after every push that moves one: its clause's place, its parent's id, OWNERS.toml,
an account or an assignment changed before the push, a rewrite."""
from __future__ import annotations

from collections.abc import Callable

import pytest
from proposal_helpers import OWNERS, RULES, STYLE, fresh_verdicts, judged_world, kept_verdicts
from sqlalchemy import delete, select

from registry.accounts.users import disable_user
from registry.audit.events import newest_standing
from registry.ledger.refs import head_point
from registry.models import AuditEvent, OwnerEntry, OwnersVersion, PolicyVersion, TeamMembership
from registry.owners.assignments import assign
from registry.proposals import verdict_memo
from registry.proposals.authoring import ChangeInput
from registry.proposals.verdict_reach import pushed_since

LISTS = "### Lists {#lists}\n\nUse lists sparingly.\n"
TONE = "## Tone {#tone}\n\nBe warm.\n"


@pytest.fixture
def world(repo, session):
    verdict_memo.forget()
    return judged_world(repo, session)


fresh, kept = fresh_verdicts, kept_verdicts


def proposals(world) -> dict[str, int]:
    """One proposal per way a verdict reads the head: an unowned clause (tone: the admins), an owned one
    (respect_privacy: Grace), one owned through its parent (lists: Alan, by be_brief), an added clause
    (its parent's owners) and a governance file (every clause)."""
    out = {
        "tone": world.change("ada", "tone", "Be kind."),
        "privacy": world.change("ada", "respect_privacy", "Never."),
        "lists": world.change("ada", "lists", "Rarely."),
        "added": world.propose("ada", [ChangeInput("add", "be_kind", "## Be kind {#be_kind}\n\nKind.\n",
                                                   after="respect_privacy")]),
        "file": world.propose("root", [ChangeInput("file", "policy.toml", "[defaults]\nmin_approvals = 2\n")]),
    }
    world.session.commit()
    return out


def push(world, files: dict[str, str | None]) -> None:
    world.repo.commit("Push", files)
    world.ingest()
    world.session.commit()


def approvers(v) -> list[list[str]]:
    return [sorted(a.email for a in c.approvers) for c in v.clauses]


def edit_elsewhere(w) -> None:
    push(w, {"spec/rules.md": RULES.replace("Never state what", "Do not state what")})


PUSHES: dict[str, tuple[Callable, str | None]] = {  # what the push does, and the proposal whose verdict it moves
    "the touched clause moves to another document": (lambda w: push(w, {
        "spec/style.md": STYLE.replace(TONE, ""), "spec/rules.md": RULES + "\n" + TONE}), "tone"),
    "the touched clause moves under another parent": (lambda w: push(w, {"spec/rules.md": RULES.replace(
        LISTS, "").replace("Do not reveal personal data.\n", "Do not reveal personal data.\n\n" + LISTS)}), "lists"),
    "its parent's id is renamed": (lambda w: push(w, {"spec/rules.md": RULES.replace("{#be_brief}", "{#be_short}")}),
                                   "lists"),
    "OWNERS.toml alone changes": (lambda w: push(w, {"OWNERS.toml": OWNERS.replace(
        '"respect_privacy" = ["grace@example.org"]', '"respect_privacy" = ["barbara@example.org"]')}), "privacy"),
    "an admin is disabled, then a push elsewhere": (lambda w: (
        disable_user(w.session, w.users["boss"], "root@example.org"), w.session.commit(), edit_elsewhere(w)), "tone"),
    "an owner is assigned, then a push elsewhere": (lambda w: (
        assign(w.session, w.users["boss"], "tone", "alan@example.org", "style"), w.session.commit(),
        edit_elsewhere(w)), "tone"),
    "the touched clause is removed": (lambda w: push(w, {"spec/rules.md": RULES.replace(
        "## Respect privacy {#respect_privacy authority=system}\n\nDo not reveal personal data.\n\n", "")}), None),
    "the added clause's parent is renamed": (lambda w: push(w, {"spec/rules.md": RULES.replace("{#rules}",
                                                                                                 "{#rulebook}")}), None),
    "a clause's authority changes": (lambda w: push(w, {"spec/rules.md": RULES.replace(
        "{#be_brief}", "{#be_brief authority=root}")}), None),
}


@pytest.mark.parametrize("change", list(PUSHES))
def test_the_kept_verdict_equals_the_fresh_one_after_a_push_where(world, change):
    made = proposals(world)
    before = kept(world)
    make, moved = PUSHES[change]
    make(world)
    after = kept(world)
    assert after == fresh(world)
    if moved is not None:  # a verdict carried over this push would be wrong
        assert approvers(after[made[moved]]) != approvers(before[made[moved]])


def test_a_push_that_touches_none_of_a_verdicts_clauses_keeps_it(world):
    made = proposals(world)
    before = kept(world)
    edit_elsewhere(world)
    after = kept(world)
    assert after == fresh(world)
    kept_over = {name for name, n in made.items() if after[n] is before[n]}
    assert kept_over == {"tone", "privacy", "lists", "added"}  # a governance file reads every clause: judged again
    assert all(kept(world)[n] is after[n] for n in made.values())  # and kept at the new head


def test_a_push_that_edits_a_touched_clause_judges_its_verdict_again(world):
    made = proposals(world)
    before = kept(world)
    push(world, {"spec/rules.md": RULES.replace("Use lists sparingly.", "Use lists rarely.")})
    after = kept(world)
    assert after == fresh(world)
    assert after[made["lists"]] is not before[made["lists"]] and after[made["tone"]] is before[made["tone"]]


def test_a_verdict_kept_before_a_rewrite_is_judged_again(world):
    made = proposals(world)
    first = world.repo.head()
    push(world, {"spec/style.md": STYLE.replace(TONE, ""), "spec/rules.md": RULES + "\n" + TONE})
    moved = kept(world)[made["tone"]]  # in rules.md: its owners approve
    world.repo.reset(first)  # a force-push: tone is back in style.md, and a commit that touches nothing of it follows
    edit_elsewhere(world)
    after = kept(world)
    assert after == fresh(world) and approvers(after[made["tone"]]) != approvers(moved)


def test_nothing_is_carried_from_an_audit_event_this_database_lacks(world):
    proposals(world)
    point = head_point(world.session)
    seq, digest = newest_standing(world.session)
    assert pushed_since(world.session, (point.seq, point.sha), (seq, digest), point.seq) is not None
    assert pushed_since(world.session, (point.seq, point.sha), (seq, "0" * 64), point.seq) is None  # another life's
    assert pushed_since(world.session, (point.seq, "0" * 40), (seq, digest), point.seq) is None  # a commit set aside


@pytest.mark.parametrize("dropped", [OwnersVersion, PolicyVersion])
def test_a_verdict_judged_before_a_backfill_records_a_governance_file_is_judged_again(world, dropped):
    """As after an upgrade adds a watcher: its table has no rows, and the next ingest records the file's
    versions at the earlier commits that wrote them (ingest._backfill), not after the kept head."""
    made = proposals(world)
    s = world.session
    if dropped is OwnersVersion:
        s.execute(delete(OwnerEntry))
        s.execute(delete(TeamMembership))
    s.execute(delete(dropped))
    s.commit()
    verdict_memo.forget()
    before = kept(world)  # judged with no such file
    edit_elsewhere(world)  # the ingest backfills it, then pushes a commit no verdict read
    after = kept(world)
    assert after == fresh(world)
    if dropped is OwnersVersion:  # root owners (the admins) before, Grace after
        assert approvers(before[made["privacy"]]) != approvers(after[made["privacy"]]) == [["grace@example.org"]]


def test_a_backfill_with_no_new_commit_moves_the_kept_verdicts_too(world):
    made = proposals(world)
    world.session.execute(delete(OwnerEntry))
    world.session.execute(delete(TeamMembership))
    world.session.execute(delete(OwnersVersion))
    world.session.commit()
    verdict_memo.forget()
    before = kept(world)
    world.ingest()  # nothing new on the branch: only the backfill
    world.session.commit()
    event = world.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert (event.action, event.new["files"]) == ("ingest.backfill", ["OWNERS.toml"])
    after = kept(world)
    assert after == fresh(world) and approvers(after[made["privacy"]]) != approvers(before[made["privacy"]])
