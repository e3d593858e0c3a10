"""Rows a history rewrite set aside stay out of every read; "live" is written once (registry.models.live).

One world for every read area: a commit that renames a clause, adds one, edits another, changes
OWNERS.toml, policy.toml and the prompts, and carries a tag, is force-pushed away and replaced.
Every read must then answer as if that commit had never been on the branch.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from ledger_helpers import current_ids, run_ingest
from repo_builder import GRACE, RepoBuilder
from sqlalchemy.orm import Session

from registry.accountability.in_force import in_force
from registry.accountability.unapproved import history_rewrites, unapproved_changes
from registry.accounts.users import add_user
from registry.errors import NotFound, UnknownClause, UnknownPrompt, UnknownRef
from registry.evidence.report import clause_changes
from registry.evidence.span import report_range
from registry.gitsource import SpecSource
from registry.history.activity import recent_changes, spec_activity
from registry.history.blame import blame_clause
from registry.history.clause_detail import clause_detail, clause_links, current_id, similar_ids
from registry.history.clause_history import clause_history
from registry.history.diffs import previous_point
from registry.history.documents import document_page, table_of_contents
from registry.history.governance import governance_start
from registry.history.prompts import prompt_coverage, prompt_file
from registry.history.queries import find_clause, show_clause
from registry.history.releases import changelog, list_releases
from registry.history.search import search
from registry.ledger.refs import resolve
from registry.owners.history import team_history
from registry.owners.queries import clause_ownership_history, who_owns
from registry.proposals.authoring import ChangeInput, propose
from registry.proposals.policy_store import policy_at

SPEC = """# Alpha {#alpha}

Alpha keeps its words.[^p1]

# Beta {#beta}

Beta body one.
"""
# The commit that will be force-pushed away: alpha renamed, beta edited, gamma added.
GONE_SPEC = SPEC.replace("{#alpha}", "{#alpha_renamed}").replace("Beta body one.", "Beta body zebra.") \
    + "\n# Gamma {#gamma}\n\nGamma body zebra.[^p2]\n"
PEOPLE = """[people]
"ada@example.org" = "Ada Byron"
"grace@example.org" = "Grace Hopper"

[teams]
safety = ["ada@example.org"]

"""
OWNERS = PEOPLE + '[owners]\n"*" = ["ada@example.org"]\n'
GONE_OWNERS = OWNERS.replace('safety = ["ada@example.org"]', 'safety = ["ada@example.org", "grace@example.org"]') \
    .replace('"*" = ["ada@example.org"]', '"*" = ["grace@example.org"]')
POLICY = "[defaults]\nmin_approvals = 1\n"
GONE_POLICY = '[defaults]\nmin_approvals = 3\n\n[governance]\nstart = "v2"\n'


@dataclass(frozen=True)
class Rewritten:
    """The ingested world after the rewrite, and the three commits: base, set aside, replacement."""

    session: Session
    base: str
    gone: str
    replacement: str


@pytest.fixture
def world(session: Session, repo: RepoBuilder) -> Rewritten:
    base = repo.commit("Base", {"spec/a.md": SPEC, "OWNERS.toml": OWNERS, "policy.toml": POLICY,
                                "examples/p1.md": "# Prompt one\n"}, tag="v1")
    gone = repo.commit("Will be rewritten", {"spec/a.md": GONE_SPEC, "spec/gone.md": "# Delta {#delta}\n\nD.\n",
                                             "OWNERS.toml": GONE_OWNERS,
                                             "policy.toml": GONE_POLICY, "examples/p1.md": "# Prompt one, gone\n",
                                             "examples/p2.md": "# Prompt two\n"}, author=GRACE, tag="v2")
    run_ingest(session, repo)
    assert current_ids(session) == ["alpha_renamed", "beta", "gamma", "delta"]  # the rename was seen as one
    repo.reset(base)
    replacement = repo.commit("Replacement", {"spec/a.md": SPEC.replace("Beta body one.", "Beta body two.")})
    assert run_ingest(session, repo).rewritten
    return Rewritten(session, base, gone, replacement)


def at_head(w: Rewritten):
    return resolve(w.session, None)


def test_the_rewrite_itself_is_reported_with_the_commit_it_set_aside(world):
    [rewrite] = history_rewrites(world.session)  # a deliberate reader of set-aside rows
    assert [c.commit for c in rewrite.set_aside] == [world.gone]


def test_clause_reads_show_only_the_branch(world):
    s, head = world.session, at_head(world)
    assert current_ids(s) == ["alpha", "beta"]
    assert [e.body for e in clause_history(s, "beta")] == ["Beta body one.", "Beta body two."]
    assert show_clause(s, "beta", head).text == "Beta body two."
    assert [line.version.commit for line in blame_clause(s, "beta", head).lines] == [world.replacement]
    assert previous_point(s, "beta", head).sha == world.base


@pytest.mark.parametrize("key", ["alpha_renamed", "gamma"])
def test_an_id_seen_only_in_rewritten_away_history_names_no_clause(world, key):
    with pytest.raises(UnknownClause):
        find_clause(world.session, key)
    with pytest.raises(UnknownClause):
        show_clause(world.session, key, at_head(world))
    with pytest.raises(UnknownClause):
        current_id(world.session, key)


def test_the_clause_page_lists_no_former_id_from_rewritten_away_history(world):
    assert clause_detail(world.session, "alpha", at_head(world)).former_ids == []


def test_links_in_a_clause_text_name_no_id_from_rewritten_away_history(world):
    assert clause_links(world.session, "See [a](#alpha_renamed), [g](#gamma) and [b](#beta).") == {"beta": "beta"}


def test_the_not_found_page_suggests_no_id_from_rewritten_away_history(world):
    assert similar_ids(world.session, "gamm") == []
    assert similar_ids(world.session, "betta") == ["beta"]


def test_a_proposal_may_add_a_clause_under_an_id_only_rewritten_away_history_had(world, repo):
    ada = add_user(world.session, None, "ada@example.org", "Ada Byron", "admin", bootstrap=True)
    with SpecSource(repo.path) as source:
        p = propose(world.session, source, ada, "Bring it back", "Because.",
                    [ChangeInput("add", "alpha_renamed", "# Alpha again {#alpha_renamed}\n\nAgain.\n", after="beta")])
    assert p.id


def test_documents_and_the_table_of_contents_are_the_branchs(world):
    s, head = world.session, at_head(world)
    assert [(d.path, d.size) for d in table_of_contents(s, head.seq)] == [("spec/a.md", 2)]
    assert [n.view.id for n in document_page(s, "spec/a.md", head).document.roots] == ["alpha", "beta"]
    with pytest.raises(NotFound):
        document_page(s, "spec/gone.md", head)


@pytest.mark.parametrize("past", [False, True])
def test_search_finds_no_text_of_rewritten_away_history(world, past):
    assert search(world.session, "zebra", at_head(world), past=past).hits == []


def test_activity_and_recent_changes_count_only_the_branch(world):
    s, head = world.session, at_head(world)
    assert spec_activity(s, head).total == 3  # alpha and beta added, beta's body edited
    assert [(c.id, c.subject) for c in recent_changes(s, head)] == [
        ("beta", "Replacement"), ("beta", "Base"), ("alpha", "Base")]


def test_releases_refs_and_changelogs_skip_rewritten_away_commits(world):
    s = world.session
    assert [r.name for r in list_releases(s)] == ["v1"]
    with pytest.raises(UnknownRef, match="rewritten out"):
        resolve(s, "v2")
    with pytest.raises(UnknownRef, match="rewritten out"):
        resolve(s, world.gone[:10])
    assert resolve(s, "2024-01-02").sha == world.base  # the day of the set-aside commit
    assert [(e.id, e.kinds) for e in changelog(s, "v1", "main").entries] == [("beta", ["modified"])]


def test_prompts_are_the_branchs_files(world):
    s, head = world.session, at_head(world)
    assert prompt_file(s, "p1", head).prompt.title == "Prompt one"
    with pytest.raises(UnknownPrompt):
        prompt_file(s, "p2", head)
    assert [v.id for v, _ in prompt_coverage(s, head).covered] == ["alpha"]


def test_owners_and_teams_follow_the_branch(world):
    s, head = world.session, at_head(world)
    assert [o.email for o in who_owns(s, "beta", head).owners] == ["ada@example.org"]
    assert [[o.email for o in c.owners] for c in clause_ownership_history(s, "beta", head)] == [["ada@example.org"]]
    assert [c.members for c in team_history(s, "safety", head.seq)] == [("ada@example.org",)]


def test_the_policy_in_force_is_the_branchs(world):
    assert policy_at(world.session, at_head(world).seq).text == POLICY


def test_unapproved_changes_and_in_force_ignore_rewritten_away_commits(world):
    s = world.session
    assert [u.commit for u in unapproved_changes(s)] == [world.base, world.replacement]
    assert [u.governance_files for u in unapproved_changes(s)] == [["OWNERS.toml", "policy.toml"], []]
    assert governance_start(s).seq is None  # the set-aside policy.toml's start applies nowhere
    assert in_force(s, "beta", "2024-01-02").text == "Beta body one."
    with pytest.raises(UnknownClause):
        in_force(s, "gamma", "2024-01-02")


def test_the_evidence_report_lists_only_changes_on_the_branch(world):
    span = report_range(world.session, to_ref="main")
    changes = clause_changes(world.session, span, set())
    assert span.commits == 2
    assert [(c.commit, c.id) for c in changes] == [(world.base, "alpha"), (world.base, "beta"),
                                                   (world.replacement, "beta")]


# The one definition: registry/models/live.py. Everything else says `Model.live` (or, for the few
# deliberate readers of set-aside rows, `Model.set_aside`) and never spells out the column.
HAND_WRITTEN = re.compile(r"\.abandoned\b")
REGISTRY = Path(__file__).resolve().parents[2] / "registry"


def test_no_module_writes_the_live_filter_by_hand():
    found = [f"{path.relative_to(REGISTRY.parent)}:{n}: {line.strip()}"
             for path in sorted(REGISTRY.rglob("*.py")) if path.parent.name != "models"
             for n, line in enumerate(path.read_text().splitlines(), start=1) if HAND_WRITTEN.search(line)]
    assert found == [], "use Model.live / Model.set_aside (registry/models/live.py):\n" + "\n".join(found)
