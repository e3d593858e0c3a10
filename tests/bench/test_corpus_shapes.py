"""The benchmark corpora have the shapes they promise, at a tiny scale (bench/corpus/)."""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from bench.corpus import generated, reference, single_file
from bench.corpus.base import Corpus, Shape, add_commit
from bench.measure import git_read

MARKER = re.compile(r"^r\[([^\]]+)\]$", re.M)
TINY_REFERENCE = reference.ReferenceShape(commits=60, chapters=6, rules=120, large_files=1, waves=2, splits=1,
                                          file_renames=1, templated=0.1)
TINY_SINGLE = single_file.SingleFileShape(kilobytes=24, named=6, examples=4, releases=2, commits=8)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def files_at(repo: Path, rev: str) -> dict[str, str]:
    """Every .md file's text at rev."""
    return {p: git(repo, "show", f"{rev}:{p}") for p in git(repo, "ls-tree", "-r", "--name-only", rev).split()
            if p.endswith(".md")}


def markers_at(repo: Path, rev: str) -> set[str]:
    return {m for text in files_at(repo, rev).values() for m in MARKER.findall(text)}


@pytest.fixture(scope="module")
def ref(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return reference.build(tmp_path_factory.mktemp("corpus") / "reference", TINY_REFERENCE)


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    return single_file.build(tmp_path_factory.mktemp("corpus") / "single", TINY_SINGLE)


def test_the_reference_repo_is_on_master_with_the_commits_asked_for(ref: Corpus):
    assert git(ref.path, "symbolic-ref", "HEAD").strip() == "refs/heads/master"
    assert ref.branch == "master"
    assert int(git(ref.path, "rev-list", "--first-parent", "--count", "master")) == TINY_REFERENCE.commits
    assert git(ref.path, "rev-parse", "half").strip() == git(ref.path, "rev-parse", f"master~{TINY_REFERENCE.commits // 2}").strip()


def test_the_reference_repo_is_an_mdbook_under_src_with_a_summary_naming_every_chapter(ref: Corpus):
    files = files_at(ref.path, "master")
    chapters = [p for p in files if p.startswith("src/") and p not in ("src/SUMMARY.md", "src/introduction.md")]
    assert len(chapters) >= TINY_REFERENCE.chapters
    assert all(f"]({p[len('src/'):]})" in files["src/SUMMARY.md"] for p in chapters)


def test_the_generators_account_of_the_head_matches_the_markers_in_the_repo(ref: Corpus):
    assert markers_at(ref.path, "master") == ref.ids_at_head
    assert abs(len(ref.ids_at_head) - TINY_REFERENCE.rules) <= TINY_REFERENCE.rules // 5


def test_some_markers_at_the_head_follow_an_html_comment_line(ref: Corpus):
    text = "\n".join(files_at(ref.path, "master").values())
    after_comment = set(re.findall(r"^<!-- template:[\w-]+ -->\nr\[([^\]]+)\]$", text, re.M))
    assert after_comment and after_comment == ref.templated_ids


def test_a_rename_wave_makes_many_ids_disappear_and_appear_in_one_commit(ref: Corpus):
    assert len(ref.rename_waves) == TINY_REFERENCE.waves
    n, renamed = max(ref.rename_waves, key=lambda w: w[1])
    shas = git(ref.path, "rev-list", "--first-parent", "--reverse", "master").split()
    before, after = markers_at(ref.path, shas[n - 1]), markers_at(ref.path, shas[n])
    assert renamed >= 10
    assert len(before - after) == len(after - before) == renamed
    assert ref.renames > sum(ids for _n, ids in ref.rename_waves)  # typo fixes, moves and splits besides


def test_the_reference_repo_has_the_markdown_a_real_reference_has(ref: Corpus):
    text = "\n".join(files_at(ref.path, "master").values())
    for found in (r"^> \[!NOTE\]$", r"^\{\{#include [^}]+\}\}$", r"^\[[\w-]+\]: \S+\.md$", r"^```rust",
                  r"^# fn main\(\) \{$", r"^#{2,4} \w", r"^r\[[^\]]+\]\n```grammar"):
        assert re.search(found, text, re.M), found


def test_the_reference_repo_has_a_large_file_and_the_one_commit_benchmark_edits_it(ref: Corpus):
    sizes = {p: len(t) for p, t in files_at(ref.path, "master").items() if p.startswith("src/")}
    ordinary = sorted(sizes.values())[len(sizes) // 2]
    # 80-90 KB against a median of 8 KB at full size; at this tiny size the margin is smaller.
    assert sizes[ref.edit_path] == max(sizes.values()) and sizes[ref.edit_path] > 1.5 * ordinary


def test_the_same_seed_builds_the_same_repo_and_description(ref: Corpus, tmp_path: Path):
    again = reference.build(tmp_path / "again", TINY_REFERENCE)
    assert git(again.path, "rev-parse", "master") == git(ref.path, "rev-parse", "master")
    assert again == replace(ref, path=again.path)


def test_a_saved_description_loads_back_unchanged(ref: Corpus, single: Corpus):
    for c in (ref, single):
        c.save()
        assert Corpus.load(c.path) == c


def test_a_cached_repo_loads_where_it_is_found_not_where_it_was_built(single: Corpus, tmp_path):
    single.save()
    moved = tmp_path / "elsewhere" / single.path.name
    shutil.copytree(single.path, moved)
    shutil.copy(single.path.parent / (single.path.name + ".json"), moved.parent / (moved.name + ".json"))
    assert Corpus.load(moved) == replace(single, path=moved)


def test_the_single_file_spec_is_one_document_of_the_size_asked_for_with_explicit_ids(single: Corpus):
    files = files_at(single.path, "main")
    spec = files["spec.md"]
    assert [p for p in files if not p.startswith("examples/")] == ["spec.md"]
    assert 0.8 * TINY_SINGLE.kilobytes * 1024 <= len(spec.encode()) <= 1.4 * TINY_SINGLE.kilobytes * 1024
    assert set(re.findall(r"^#+ .*\{#(\w+)[ }]", spec, re.M)) == single.ids_at_head
    assert len(single.ids_at_head) == TINY_SINGLE.named + 1  # the title's {#spec} besides the sections


def test_the_single_file_spec_cites_example_files_that_exist_and_tags_its_releases(single: Corpus):
    files = files_at(single.path, "main")
    definitions = dict(re.findall(r"^\[\^(\w+)\]: (examples/\w+\.md)$", files["spec.md"], re.M))
    assert definitions and all(path in files for path in definitions.values())
    assert set(re.findall(r"\[\^(\w+)\](?!:)", files["spec.md"])) == set(definitions)
    assert sorted(git(single.path, "tag").split()) == list(single.tags) == ["v1.0", "v2.0"]


@pytest.mark.parametrize("shape, least", [
    (generated.GeneratedShape(), {"commits": 5000, "documents": 120}),
    (reference.ReferenceShape(), {"commits": 1850, "chapters": 120, "rules": 3000, "large_files": 3, "waves": 4}),
    (single_file.SingleFileShape(), {"kilobytes": 250, "named": 80, "releases": 3}),
])
def test_full_size_is_the_measured_shape_and_scale_shrinks_every_count(shape: Shape, least: dict[str, int]):
    assert all(getattr(shape, k) >= v for k, v in least.items())
    assert shape.scaled(1.0) == shape
    small = shape.scaled(0.1)
    assert all(0 < getattr(small, k) <= max(getattr(shape, k) // 5, 8) for k in least)


def test_the_generated_shape_is_the_first_benchmarks_repo_on_main(tmp_path: Path):
    c = generated.build(tmp_path / "generated", generated.GeneratedShape(commits=30, documents=5))
    assert git(c.path, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert markers_at(c.path, "main") == set()
    assert {"part_0", "rule_1"} <= c.ids_at_head


def test_one_more_commit_edits_one_prose_line_of_the_document(ref: Corpus, tmp_path: Path):
    repo = tmp_path / "copy"
    subprocess.run(["git", "clone", "-q", "--branch", "master", str(ref.path), str(repo)], check=True)
    add_commit(repo, "master", ref.edit_path, 1)
    diff = git(repo, "diff", "--numstat", "master~1", "master").split()
    assert diff == ["1", "1", ref.edit_path]
    assert "One more sentence, number 1" in git(repo, "show", f"master:{ref.edit_path}")


def test_gits_own_read_counts_every_changed_markdown_blob(single: Corpus):
    read = git_read(single.path, "main")
    changed = git(single.path, "log", "--first-parent", "--format=", "--name-only", "main").split()
    assert read.blobs == len(changed) and read.bytes > TINY_SINGLE.kilobytes * 1024


def test_reference_ids_stay_as_short_as_a_real_references(ref: Corpus):
    # Real ids run to four or five dotted segments; a generator that nested every heading under the
    # previous one wrote 300-character ids, which PostgreSQL's 255-character key column refuses.
    assert max(len(i) for i in ref.ids_at_head) <= 100
    assert max(i.count(".") for i in ref.ids_at_head) <= 5


def test_bench_timeline_times_a_real_ingest_s_phases_from_inside_the_command(ref: Corpus, tmp_path: Path):
    # The instrumented seams (the reader's batches, applying a commit, writing a batch) still exist.
    from bench.timeline import PHASES, one_run, table

    figures = one_run(ref.path, "sqlite", tmp_path)
    assert {key for key, _label in PHASES} <= set(figures)  # a reader process read it: every phase is there
    assert 0 < figures["imported"] < figures["asked"] <= figures["got"] < figures["end"]
    assert figures["apply"] > 0 and figures["write"] > 0 and figures["waits"] >= 0
    assert figures["apply"] + figures["write"] < figures["end"]
    assert figures["cpu_writer"] > 0 and figures["cpu_children"] > 0
    assert table([("reference", "sqlite", [figures])]).splitlines()[1].startswith("reference   sqlite")
