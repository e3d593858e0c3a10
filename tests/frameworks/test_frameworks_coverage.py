"""frameworks.toml recorded per commit and governed like OWNERS.toml; coverage of a framework at a ref."""
from __future__ import annotations

import pytest
from proposal_helpers import RULES, STYLE, build_world, without_governance
from repo_builder import GRACE
from sqlalchemy import select

from registry.accountability.unapproved import unapproved_changes
from registry.accountability.verify import verify
from registry.accounts.users import add_user
from registry.errors import BadRequest, UnknownFramework
from registry.frameworks import recorder
from registry.frameworks.coverage import clause_items, framework_coverage, framework_index
from registry.gitsource import SpecSource
from registry.ledger.refs import resolve
from registry.models import IngestWarning
from registry.proposals import reviews
from registry.proposals.authoring import ChangeInput, propose
from registry.proposals.merge import merge

ACT = """[frameworks.demo-act]
title = "Demo AI Act"
items = { "art-9" = "Risk management", "art-14" = "Human oversight", "art-52" = "Transparency" }

[map]
"be_honest" = ["demo-act:art-52"]
"be_*" = ["demo-act:art-9"]
"respect_*" = ["demo-act:art-9"]
"""
ACT_V2 = ACT + '"tone" = ["demo-act:art-14"]\n'


@pytest.fixture
def world(repo, session):
    w = build_world(repo, session)
    w.users["ops"] = add_user(session, w.users["root"], "ops@example.org", "Ops Admin", "admin")
    return w


def push(world, files: dict, tag: str | None = None) -> str:
    """A commit straight to the branch, ingested."""
    sha = world.repo.commit("Direct push", files, author=GRACE, tag=tag)
    world.ingest()
    return sha


def coverage(world, ref: str | None = None) -> dict:
    return framework_coverage(world.session, "demo-act", resolve(world.session, ref)).as_dict()


def warnings(world) -> list[str]:
    rows = world.session.scalars(select(IngestWarning).where(IngestWarning.path == "frameworks.toml")
                                 .order_by(IngestWarning.id))
    return [w.message for w in rows]


def test_coverage_lists_each_item_with_its_clauses_the_uncovered_items_and_the_unmapped_clauses(world):
    push(world, {"frameworks.toml": ACT})
    assert coverage(world) == {
        "framework": "demo-act",
        "items": [{"id": "art-9", "title": "Risk management", "clauses": ["be_honest", "respect_privacy", "be_brief"]},
                  {"id": "art-14", "title": "Human oversight", "clauses": []},
                  {"id": "art-52", "title": "Transparency", "clauses": ["be_honest"]}],
        "uncovered": ["art-14"],
        "unmapped_clauses": ["rules", "lists", "style", "tone"],
    }


def test_coverage_at_a_ref_reads_the_file_and_the_clauses_in_force_there(world):
    push(world, {"frameworks.toml": ACT}, tag="v1")
    push(world, {"frameworks.toml": ACT_V2, "spec/style.md": STYLE.replace("## Tone {#tone}", "## Voice {#tone}")},
         tag="v2")
    assert coverage(world, "v1")["uncovered"] == ["art-14"]
    assert coverage(world, "v2")["uncovered"] == [] == coverage(world)["uncovered"]
    assert coverage(world, "v2")["items"][1]["clauses"] == ["tone"]


def test_an_unknown_framework_is_an_error_naming_the_known_ones(world):
    first = world.repo.head()
    push(world, {"frameworks.toml": ACT})
    with pytest.raises(UnknownFramework, match=r"no framework 'nist' in frameworks.toml at main; known: demo-act"):
        framework_coverage(world.session, "nist", resolve(world.session, None))
    with pytest.raises(UnknownFramework, match="known: none"):
        framework_coverage(world.session, "demo-act", resolve(world.session, first))


def test_a_version_that_does_not_parse_leaves_the_previous_one_in_force_and_is_a_warning(world):
    push(world, {"frameworks.toml": ACT})
    push(world, {"frameworks.toml": "[map\n"})
    assert coverage(world)["uncovered"] == ["art-14"]
    assert warnings(world) == [w for w in warnings(world) if "does not parse" in w] != []
    assert warnings(world)[0].endswith("; the previous frameworks.toml stays in force")


def test_a_deleted_file_leaves_no_framework(world):
    push(world, {"frameworks.toml": ACT})
    push(world, {"frameworks.toml": None})
    assert framework_index(world.session, resolve(world.session, None)) == []


def test_a_bad_reference_and_a_key_naming_no_clause_are_warnings_at_their_commit(world):
    push(world, {"frameworks.toml": ACT + '"gone" = ["demo-act:art-14"]\n"tone" = ["demo-act:art-99"]\n'})
    assert warnings(world) == [
        "[map] 'tone' (line 10): framework 'demo-act' has no item 'art-99' (its items: art-9, art-14, art-52); ignored",
        "[map] key 'gone' names no clause at this commit"]
    assert coverage(world)["uncovered"] == ["art-14"]


def test_a_clause_lists_the_items_it_answers_with_their_frameworks(world):
    push(world, {"frameworks.toml": ACT})
    items = clause_items(world.session, "be_honest", resolve(world.session, None))
    assert [(i.framework, i.framework_title, i.id, i.title) for i in items] == [
        ("demo-act", "Demo AI Act", "art-52", "Transparency"), ("demo-act", "Demo AI Act", "art-9", "Risk management")]
    assert clause_items(world.session, "tone", resolve(world.session, None)) == []


def test_the_index_counts_the_items_some_clause_answers(world):
    push(world, {"frameworks.toml": ACT})
    [summary] = framework_index(world.session, resolve(world.session, None))
    assert (summary.name, summary.title, summary.items, summary.covered) == ("demo-act", "Demo AI Act", 3, 2)


# --- governed like OWNERS.toml ----------------------------------------------------------------

def test_a_direct_commit_changing_frameworks_toml_is_an_unapproved_change(world):
    sha = push(world, {"frameworks.toml": ACT})
    [change] = [c for c in unapproved_changes(world.session) if c.commit == sha]
    assert (change.clauses, change.governance_files) == ([], ["frameworks.toml"])


def test_frameworks_toml_changes_through_a_governance_proposal_approved_by_another_admin(world):
    with SpecSource(world.path) as source:
        n = propose(world.session, source, world.users["root"], "Map the act", "Auditors asked.",
                    [ChangeInput("file", "frameworks.toml", ACT)]).id
    review = reviews.approve(world.session, world.users["ops"], n)
    assert review.meaning == "approved as admin for governance file frameworks.toml"
    sha = merge(world.session, world.path, "main", world.users["root"], n).commit
    world.ingest()
    assert coverage(world)["uncovered"] == ["art-14"]
    assert sha not in {c.commit for c in unapproved_changes(world.session)}
    assert without_governance(verify(world.session, str(world.path))) == []


@pytest.mark.parametrize("text, problem", [
    (ACT + '"tone" = ["demo-act:art-99"]\n', "framework 'demo-act' has no item 'art-99'"),
    (ACT + '"tone" = ["eu-act:art-1"]\n', "unknown framework 'eu-act' (known: demo-act)"),
    ("[map\n", "frameworks.toml does not parse"),
    ('[frameworks.x]\ntitle = ""\nitems = {}\n', "title must be a non-empty string"),
])
def test_a_proposed_frameworks_toml_with_any_problem_is_refused(world, text, problem):
    with SpecSource(world.path) as source, pytest.raises(BadRequest) as raised:
        propose(world.session, source, world.users["root"], "Map", "Why.", [ChangeInput("file", "frameworks.toml", text)])
    assert raised.value.message.startswith("the new frameworks.toml is refused: ") and problem in raised.value.message


# --- the command line -------------------------------------------------------------------------

def test_specreg_coverage_framework_prints_the_json_and_refuses_an_unknown_framework(repo, json_cli):
    repo.commit("Spec", {"spec/rules.md": RULES, "spec/style.md": STYLE, "frameworks.toml": ACT}, tag="v1")
    repo.commit("More", {"frameworks.toml": ACT_V2})
    assert json_cli("ingest")[0] == 0
    code, out = json_cli("coverage", "--framework", "demo-act", "--at", "v1")
    assert code == 0 and out["framework"] == "demo-act" and out["uncovered"] == ["art-14"]
    assert list(out) == ["framework", "items", "uncovered", "unmapped_clauses"]
    assert json_cli("coverage", "--framework", "demo-act")[1]["uncovered"] == []
    code, out = json_cli("coverage", "--framework", "nist")
    assert code == 1 and out["error"] == "unknown_framework" and out["message"].endswith("known: demo-act")


def test_specreg_coverage_framework_prints_each_item_in_text(repo, database_url, monkeypatch, capsys):
    from registry.cli import main

    monkeypatch.setenv("SPECREG_DATABASE_URL", database_url)
    monkeypatch.setenv("SPECREG_REPO", str(repo.path))
    repo.commit("Spec", {"spec/rules.md": RULES, "frameworks.toml": ACT})
    assert main(["ingest"]) == 0
    capsys.readouterr()
    assert main(["coverage", "--framework", "demo-act"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("demo-act (Demo AI Act): 2 of 3 items answered by clauses @ main (")
    assert lines[1:] == ["  art-9 Risk management: be_honest, respect_privacy, be_brief",
                         "  art-14 Human oversight: (no clause)", "  art-52 Transparency: be_honest",
                         "uncovered items: art-14", "2 clauses answer no item of demo-act: rules, lists"]


def test_a_version_a_history_rewrite_took_off_the_branch_no_longer_applies(world):
    base = world.repo.head()
    push(world, {"frameworks.toml": ACT})
    world.repo.reset(base)
    push(world, {"spec/style.md": STYLE + "\nMore.\n"})
    assert framework_index(world.session, resolve(world.session, None)) == []
    with pytest.raises(UnknownFramework, match="known: none"):
        framework_coverage(world.session, "demo-act", resolve(world.session, None))


def test_the_kept_frameworks_file_follows_a_new_version(world):
    """The file in force is kept until the audit chain's standing event moves; an edit is seen at once."""
    push(world, {"frameworks.toml": ACT})
    world.session.commit()  # a session that has written gets fresh answers only
    point = resolve(world.session, None)
    before = recorder.frameworks_at(world.session, point.seq)
    assert recorder.frameworks_at(world.session, point.seq) is before  # kept while nothing changed
    assert [i.id for i in clause_items(world.session, "tone", point)] == []
    push(world, {"frameworks.toml": ACT_V2})
    world.session.commit()
    point = resolve(world.session, None)
    assert [i.id for i in clause_items(world.session, "tone", point)] == ["art-14"]
    kept = recorder.frameworks_at(world.session, point.seq)
    recorder._sources.clear()
    assert kept == recorder.frameworks_at(world.session, point.seq)
