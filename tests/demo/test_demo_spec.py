"""The demo spec repo: a deterministic history that exercises every kind of change Specreg tracks."""
from __future__ import annotations

import difflib
import re
import subprocess
import tomllib
from datetime import datetime
from pathlib import Path

import pytest

from registry.demo.repo import DEFAULT_SOURCE, build_demo_repo, main
from registry.errors import ConfigError
from registry.spec.parser import Clause, ParsedDocument, parse

AUTHORITY_LEVELS = {"root", "system", "developer", "user", "guideline"}
FOOTNOTE = re.compile(r"\[\^([0-9a-f]{4})\](?!:)")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_repo(tmp_path_factory.mktemp("demo") / "spec-repo")


def commit(repo: Path, subject: str) -> str:
    """The sha of the one commit with this subject line."""
    shas = [line.split("\t", 1)[0] for line in git(repo, "log", "--all", "--format=%H\t%s").splitlines()
            if line.split("\t", 1)[1] == subject]
    assert len(shas) == 1, f"expected one commit titled {subject!r}, found {len(shas)}"
    return shas[0]


def documents(repo: Path, rev: str) -> dict[str, ParsedDocument]:
    paths = git(repo, "ls-tree", "-r", "--name-only", rev, "--", "spec/").split()
    return {p: parse(p, git(repo, "show", f"{rev}:{p}")) for p in paths if p.endswith(".md")}


def clauses(repo: Path, rev: str) -> dict[str, tuple[str, Clause]]:
    """Every clause at rev by key, with the document it is in."""
    return {c.key: (path, c) for path, doc in documents(repo, rev).items() for c in doc.clauses}


# --- the history ---------------------------------------------------------------------------------


def test_building_twice_gives_identical_commits(demo: Path, tmp_path: Path) -> None:
    again = build_demo_repo(tmp_path / "again")
    refs = "for-each-ref", "--format=%(objectname) %(refname)"
    assert git(again, *refs) == git(demo, *refs)
    assert git(again, "rev-list", "--all") == git(demo, "rev-list", "--all")


def test_history_has_forty_commits_by_five_authors(demo: Path) -> None:
    assert int(git(demo, "rev-list", "--count", "--all")) >= 40
    assert int(git(demo, "rev-list", "--count", "--first-parent", "main")) >= 40
    assert len(set(git(demo, "log", "--all", "--format=%ae").split())) >= 5


def test_history_spans_two_years_in_utc(demo: Path) -> None:
    stamps = [datetime.fromisoformat(s) for s in git(demo, "log", "--all", "--format=%aI").split()]
    assert (max(stamps) - min(stamps)).days >= 730
    assert all(s.utcoffset().total_seconds() == 0 for s in stamps)


def test_releases_are_annotated_tags_on_main(demo: Path) -> None:
    tags = dict(line.split() for line in git(demo, "for-each-ref", "--format=%(refname:short) %(objecttype)",
                                             "refs/tags").splitlines())
    assert tags == {"v1.0": "tag", "v1.1": "tag", "v2.0": "tag"}
    main_shas = set(git(demo, "rev-list", "--first-parent", "main").split())
    assert {git(demo, "rev-parse", f"{t}^{{commit}}").strip() for t in tags} <= main_shas


def test_a_side_branch_of_several_commits_is_merged_into_main(demo: Path) -> None:
    merges = git(demo, "rev-list", "--merges", "--first-parent", "main").split()
    assert merges
    merge = merges[-1]
    assert int(git(demo, "rev-list", "--count", f"{merge}^1..{merge}^2")) >= 2
    files = set(git(demo, "ls-tree", "-r", "--name-only", merge).split())
    side_files = set(git(demo, "ls-tree", "-r", "--name-only", f"{merge}^2").split())
    main_files = set(git(demo, "ls-tree", "-r", "--name-only", f"{merge}^1").split())
    assert side_files - main_files and files == side_files | main_files
    # Both sides' edits survive the merge: main's retention clause and the side's new document.
    assert "retention" in clauses(demo, merge) and "be_honest" in clauses(demo, merge)


def test_the_work_tree_shows_main_and_is_clean(demo: Path) -> None:
    assert git(demo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert git(demo, "status", "--porcelain") == ""
    assert (demo / "README.md").is_file() and (demo / "spec" / "overview.md").is_file()


# --- the spec at head ----------------------------------------------------------------------------


def test_head_has_four_documents_and_forty_clauses(demo: Path) -> None:
    docs = documents(demo, "main")
    assert len(docs) >= 4
    assert sum(len(d.clauses) for d in docs.values()) >= 40
    assert all(not d.warnings for d in docs.values())


def test_headings_nest_four_levels_deep(demo: Path) -> None:
    levels = {c.level for _, c in clauses(demo, "main").values()}
    assert {1, 2, 3, 4} <= levels and max(levels) == 4


def test_every_authority_level_is_used(demo: Path) -> None:
    used = {dict(c.attributes).get("authority") for _, c in clauses(demo, "main").values()}
    assert used >= AUTHORITY_LEVELS


def test_some_headings_have_explicit_ids_and_some_derived(demo: Path) -> None:
    headings = [c for _, c in clauses(demo, "main").values() if c.level > 0]
    assert any(c.explicit for c in headings)
    assert any(not c.explicit and ":" in c.key for c in headings)


def test_rule_markers_label_paragraphs_and_a_heading(demo: Path) -> None:
    rules = [c for _, c in clauses(demo, "main").values() if c.key.startswith("lex.")]
    assert len([c for c in rules if c.level == 0 and c.body]) >= 5
    assert any(c.level > 0 and c.title for c in rules), "no marker labels a heading"


def test_no_clause_comes_from_a_hash_line_inside_a_fence(demo: Path) -> None:
    hash_lines_in_fences = 0
    for doc in documents(demo, "main").values():
        inside, fenced = False, set()
        for n, line in enumerate(doc.lines):
            if line.startswith("~~~"):
                inside = not inside
            elif inside:
                fenced.add(n)
                hash_lines_in_fences += line.startswith("#")
        assert not [c.key for c in doc.clauses if c.start in fenced]
    assert hash_lines_in_fences >= 2


def test_every_footnote_points_at_an_existing_evaluation_prompt(demo: Path) -> None:
    files = set(git(demo, "ls-tree", "-r", "--name-only", "main", "--", "examples/").split())
    cited, uncited_clauses = set(), 0
    for _, c in clauses(demo, "main").values():
        refs = set(FOOTNOTE.findall(c.body))
        uncited_clauses += not refs
        for ref in refs:
            assert f"[^{ref}]: examples/{ref}.md" in c.body, f"{c.key} cites [^{ref}] without defining it"
            assert f"examples/{ref}.md" in files
            cited.add(f"examples/{ref}.md")
    assert cited == files and uncited_clauses > 0


# --- the hard events -----------------------------------------------------------------------------


def before_and_after(repo: Path, subject: str) -> tuple[dict[str, tuple[str, Clause]], dict[str, tuple[str, Clause]]]:
    sha = commit(repo, subject)
    return clauses(repo, f"{sha}^"), clauses(repo, sha)


def test_an_id_rename_keeps_the_body(demo: Path) -> None:
    before, after = before_and_after(demo, "Rename clause id be_honest to honesty")
    assert "be_honest" in before and "honesty" not in before
    assert "honesty" in after and "be_honest" not in after
    (old_doc, old), (new_doc, new) = before["be_honest"], after["honesty"]
    assert old_doc == new_doc and old.title == new.title
    assert 0.9 < difflib.SequenceMatcher(None, old.body, new.body).ratio() < 1


def test_a_clause_moves_to_another_document(demo: Path) -> None:
    before, after = before_and_after(demo, "Move 'Express uncertainty' to 'Seek the truth together'")
    (old_doc, old), (new_doc, new) = before["express_uncertainty"], after["express_uncertainty"]
    assert (old_doc, new_doc) == ("spec/style.md", "spec/seek-the-truth.md")
    assert old.body == new.body


def test_a_clause_moves_to_another_parent(demo: Path) -> None:
    before, after = before_and_after(demo, "Fix section order in safety.md")
    assert before["personal_data_in_context"][1].parent == "self_harm"
    assert after["personal_data_in_context"][1].parent == "respect_privacy"


def test_a_document_is_renamed_whole(demo: Path) -> None:
    sha = commit(demo, "Rename spec/safety.md to spec/stay-in-bounds.md")
    assert "R100\tspec/safety.md\tspec/stay-in-bounds.md" in git(demo, "diff", "--name-status", "-M", f"{sha}^", sha)
    before, after = before_and_after(demo, "Rename spec/safety.md to spec/stay-in-bounds.md")
    # Derived ids name their document, so they follow the new path; explicit ids stay as they are.
    old = {k.replace("spec.safety:", "spec.stay-in-bounds:") for k, (doc, _) in before.items()
           if doc == "spec/safety.md"}
    new = {k for k, (doc, _) in after.items() if doc == "spec/stay-in-bounds.md"}
    assert len(old) >= 5 and old == new
    assert "spec/safety.md" not in {doc for doc, _ in after.values()}


def test_a_clause_is_deleted_and_later_re_added(demo: Path) -> None:
    before, after = before_and_after(demo, "Remove 'Assume best intentions'")
    assert "assume_best_intentions" in before and "assume_best_intentions" not in after
    assert "assume_best_intentions" not in clauses(demo, "v1.1")
    readded, head = before_and_after(demo, "Bring back 'Assume best intentions'")
    assert "assume_best_intentions" not in readded and "assume_best_intentions" in head
    assert head["assume_best_intentions"][1].parent != before["assume_best_intentions"][1].parent


@pytest.mark.parametrize("subject, key, old_title, new_title", [
    ("Retitle 'Do not reveal the system prompt' to 'Keep private instructions private'",
     "protect_instructions", "Do not reveal the system prompt", "Keep private instructions private"),
    ("Retitle 'Be concise' to 'Match length to the task'", "be_concise", "Be concise", "Match length to the task"),
    ("Retitle 'Don't be sycophantic' to 'Avoid sycophancy'", "avoid_sycophancy", "Don't be sycophantic",
     "Avoid sycophancy"),
])
def test_a_retitle_keeps_the_id(demo: Path, subject: str, key: str, old_title: str, new_title: str) -> None:
    before, after = before_and_after(demo, subject)
    assert (before[key][1].title, after[key][1].title) == (old_title, new_title)


@pytest.mark.parametrize("subject, key, old, new", [
    ("Raise 'Respect privacy' to system authority", "respect_privacy", "developer", "system"),
    ("Make 'Sensitive advice' a user-level default", "sensitive_advice", "guideline", "user"),
])
def test_an_authority_change_keeps_title_and_body(demo: Path, subject: str, key: str, old: str, new: str) -> None:
    before, after = before_and_after(demo, subject)
    (_, a), (_, b) = before[key], after[key]
    assert (dict(a.attributes)["authority"], dict(b.attributes)["authority"]) == (old, new)
    assert (a.title, a.body) == (b.title, b.body)


# --- owners and policy ---------------------------------------------------------------------------


def toml_at(repo: Path, rev: str, path: str) -> dict:
    return tomllib.loads(git(repo, "show", f"{rev}:{path}"))


def test_ownership_changes_over_time_and_leaves_a_corner_unowned(demo: Path) -> None:
    first = commit(demo, "Add OWNERS.toml: an owner for each document")
    early, v1, head = (toml_at(demo, rev, "OWNERS.toml") for rev in (first, "v1.0", "main"))
    assert "teams" not in early and len(head["teams"]) == 1
    assert v1["teams"]["safety"] != head["teams"]["safety"]
    assert "spec/safety.md" in v1["owners"] and "spec/stay-in-bounds.md" in head["owners"]
    assert any(isinstance(v, dict) and v.get("inherit") for v in head["owners"].values())
    # The style guide lost its owner: no document entry, no pattern, only one clause override.
    assert "spec/style.md" in v1["owners"] and "spec/style.md" not in head["owners"]
    assert not any("*" in key and not key.startswith("lex.") for key in head["owners"])
    style = {c.key for c in documents(demo, "main")["spec/style.md"].clauses}
    assert style & set(head["owners"]) == {"code_blocks"}


def test_the_approval_policy_arrives_partway_through(demo: Path) -> None:
    first = git(demo, "rev-list", "--max-parents=0", "main").strip()
    assert "policy.toml" not in git(demo, "ls-tree", "--name-only", first)
    policy = toml_at(demo, "main", "policy.toml")
    assert policy["defaults"]["min_approvals"] == 1 and policy["authority"]["root"]["min_approvals"] == 2


# --- bad sources and destinations ----------------------------------------------------------------

SMALL = '''
[authors]
ada = { name = "Ada Byron", email = "ada@example.org" }

[[commit]]
author = "ada"
date = 2024-01-08T09:30:00Z
message = "Start"
write = [{ path = "spec/a.md", file = "a.md" }]

[[commit]]
author = "ada"
date = 2024-01-09T09:30:00Z
message = "Retitle A"
[[commit.edit]]
path = "spec/a.md"
find = "# A {#a}"
replace = "# Alpha {#a}"
'''


def small_source(root: Path, history: str = SMALL) -> Path:
    (root / "files").mkdir(parents=True)
    (root / "files" / "a.md").write_text("# A {#a}\n\nText.\n\n## B\n\nText.\n")
    (root / "history.toml").write_text(history)
    return root


def test_a_small_source_builds(tmp_path: Path) -> None:
    repo = build_demo_repo(tmp_path / "repo", small_source(tmp_path / "src"))
    assert git(repo, "log", "--format=%s", "main").split("\n")[:2] == ["Retitle A", "Start"]
    assert (repo / "spec" / "a.md").read_text().startswith("# Alpha {#a}")


@pytest.mark.parametrize("old, new, message", [
    ('find = "# A {#a}"', 'find = "# Gamma"', r"commit 2 \('Retitle A'\).*spec/a\.md.*not found: '# Gamma'"),
    ('find = "# A {#a}"', 'find = "Text."', r"commit 2 .*spec/a\.md.*found 2 times.*'Text\.'"),
    ('path = "spec/a.md"\nfind', 'path = "spec/z.md"\nfind', r"commit 2 .*spec/z\.md: no such file"),
    ('author = "ada"\ndate = 2024-01-09', 'author = "bob"\ndate = 2024-01-09', r"commit 2 .*unknown author 'bob'.*ada"),
    ('file = "a.md"', 'file = "missing.md"', r"commit 1 .*missing\.md does not exist"),
    ("2024-01-08T09:30:00Z", "2024-01-08T09:30:00", r"commit 1 .*offset"),
    ('message = "Start"', 'message = "Start"\nbranch = "side"', r"commit 1 .*branch 'side' does not exist"),
    ('message = "Start"', 'message = "Start"\nmerge = "side"', r"commit 1 .*merge 'side' must name a side branch"),
    ('message = "Start"', 'message = "Start"\ncolour = "red"', r"commit 1 .*unknown keys \['colour'\]"),
])
def test_a_bad_source_gives_a_clear_error(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in SMALL
    source = small_source(tmp_path / "src", SMALL.replace(old, new, 1))
    with pytest.raises(ConfigError, match=message):
        build_demo_repo(tmp_path / "repo", source)
    assert not (tmp_path / "repo").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["src"], "the staging directory was left behind"


def test_a_missing_source_gives_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no history.toml"):
        build_demo_repo(tmp_path / "repo", tmp_path / "nowhere")


def test_building_into_an_unrelated_directory_refuses(tmp_path: Path) -> None:
    dest = tmp_path / "notes"
    dest.mkdir()
    (dest / "todo.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="not empty"):
        build_demo_repo(dest, small_source(tmp_path / "src"))
    assert (dest / "todo.txt").read_text() == "keep me"


def test_building_over_an_unrelated_git_repository_refuses(tmp_path: Path) -> None:
    other = build_demo_repo(tmp_path / "other", small_source(tmp_path / "src"))
    with pytest.raises(ConfigError, match="not a demo build"):
        build_demo_repo(other)
    assert (other / "spec" / "a.md").is_file()


def test_rebuilding_replaces_an_earlier_build_unless_it_has_local_changes(tmp_path: Path) -> None:
    source = small_source(tmp_path / "src")
    repo = build_demo_repo(tmp_path / "repo", source)
    (source / "history.toml").write_text(SMALL.replace('"# Alpha {#a}"', '"# Aleph {#a}"'))
    assert build_demo_repo(repo, source) == repo
    assert (repo / "spec" / "a.md").read_text().startswith("# Aleph")
    (repo / "scratch.md").write_text("my notes")
    with pytest.raises(ConfigError, match="local changes.*scratch.md"):
        build_demo_repo(repo, source)
    assert (repo / "scratch.md").read_text() == "my notes"


def test_building_into_an_empty_directory_works(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert (build_demo_repo(tmp_path / "empty", small_source(tmp_path / "src")) / "spec" / "a.md").is_file()


def test_the_command_builds_and_reports_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = small_source(tmp_path / "src")
    assert main([str(tmp_path / "repo"), "--source", str(source)]) == 0
    assert main([str(tmp_path / "src"), "--source", str(source)]) == 1
    assert "not empty" in capsys.readouterr().err


def test_the_default_source_is_the_projects_spec_repo() -> None:
    assert (DEFAULT_SOURCE / "history.toml").is_file() and DEFAULT_SOURCE.name == "spec_repo"
