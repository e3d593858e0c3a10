"""A spec repo as a bundle and back: each object's size read before git inflates it, the work tree's files
listed before they are written, and a checkout that writes every file as its blob is stored."""
from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

import pytest
from pack_builder import delta_bomb

from registry.errors import SourceError
from registry.gitsource.bundle import RepoShape, TreeEntry, check_out, create_bundle, fetch_bundle, work_tree
from registry.gitsource.packs import PackedObject, bundle_objects


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout


@pytest.fixture
def bundle(repo, tmp_path) -> Path:
    repo.commit("Spec", {"spec/style.md": "# Style\n\n## Be brief\n\nShort.\n" * 50, "big.bin": bytes(3 << 20)})
    repo.commit("Edit", {"spec/style.md": "# Style\n\n## Be brief\n\nShorter.\n" * 50})
    create_bundle(repo.path, tmp_path / "spec.bundle")
    return tmp_path / "spec.bundle"


def test_every_object_of_a_bundle_git_wrote_is_told_with_its_kind_and_size(repo, bundle):
    told = list(bundle_objects(bundle))
    stored = [line.split() for line in git(repo.path, "cat-file", "--batch-all-objects",
                                           "--batch-check=%(objecttype) %(objectsize)").splitlines()]
    assert len(told) == len(stored)
    assert PackedObject("blob", 3 << 20) in told
    whole = Counter((o.kind, o.size) for o in told if o.kind != "delta")
    assert not whole - Counter((kind, int(size)) for kind, size in stored)


def test_a_delta_is_told_by_the_size_of_the_object_it_makes_which_git_agrees_with(tmp_path):
    bomb = tmp_path / "bomb.bundle"
    delta_bomb(bomb, 8 << 20)
    assert bomb.stat().st_size < 400  # 8 MiB in git's memory, and on disk when checked out
    assert [o.kind for o in bundle_objects(bomb)] == ["commit", "tree", "blob", "delta"]
    assert list(bundle_objects(bomb))[-1] == PackedObject("delta", 8 << 20)
    fetch_bundle(bomb, tmp_path / "repo", RepoShape(False, "main"))
    assert list(work_tree(tmp_path / "repo")) == [TreeEntry("big", 8 << 20)]


@pytest.mark.parametrize(("damage", "says"), [
    ({"cut": 30}, "is cut short or not a git bundle"),
    ({"count": 5000}, "holds a damaged object"),  # the count the entries do not bear out: the checksum read as one
    ({"count": 3}, "has bytes after its pack"),
])
def test_a_bundle_cut_short_or_whose_count_is_not_its_entries_is_refused(damage, says, tmp_path):
    bomb = tmp_path / "bomb.bundle"
    delta_bomb(bomb, 1 << 16, **damage)
    with pytest.raises(SourceError, match=says):
        list(bundle_objects(bomb))


def test_a_file_that_is_no_bundle_or_holds_no_pack_is_refused(tmp_path):
    (tmp_path / "text").write_text("hello\n")
    with pytest.raises(SourceError, match="is not a git bundle"):
        list(bundle_objects(tmp_path / "text"))
    (tmp_path / "nopack").write_bytes(b"# v2 git bundle\n" + b"0" * 40 + b" refs/heads/main\n\nNOTAPACK0000")
    with pytest.raises(SourceError, match="holds no git pack"):
        list(bundle_objects(tmp_path / "nopack"))


def test_the_work_tree_lists_every_file_and_folder_of_head_with_the_stored_size(bundle, tmp_path):
    fetch_bundle(bundle, tmp_path / "repo", RepoShape(False, "main"))
    assert not (tmp_path / "repo" / "big.bin").exists()  # fetched, not yet checked out
    assert sorted(work_tree(tmp_path / "repo"), key=lambda e: e.path) == [
        TreeEntry("big.bin", 3 << 20), TreeEntry("spec", None),
        TreeEntry("spec/style.md", len("# Style\n\n## Be brief\n\nShorter.\n") * 50)]
    fetch_bundle(bundle, tmp_path / "bare", RepoShape(True, "main"))
    assert list(work_tree(tmp_path / "bare")) == []


def test_a_checkout_writes_each_file_as_stored_whatever_the_gitattributes_say(repo, tmp_path):
    stored = b"line one\n$Id$\nline two\n"
    repo.commit("Attributes", {".gitattributes": "* text eol=crlf\nnotes.txt ident\n", "notes.txt": stored})
    create_bundle(repo.path, tmp_path / "spec.bundle")
    target = tmp_path / "repo"
    fetch_bundle(tmp_path / "spec.bundle", target, RepoShape(False, "main"))
    sizes = {e.path: e.size for e in work_tree(target)}
    check_out(target)
    assert (target / "notes.txt").read_bytes() == stored  # not CRLF, no $Id: ...$: the size work_tree told
    assert (target / "notes.txt").stat().st_size == sizes["notes.txt"]
    assert not (target / ".git" / "info" / "attributes").exists()
    assert git(target, "status", "--porcelain") == ""
