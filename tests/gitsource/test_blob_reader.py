"""The source's long-lived cat-file process: requests asked ahead, answered in order, never mixed up."""
from __future__ import annotations

import subprocess

import pytest

from registry.errors import SourceError
from registry.gitsource import SpecSource
from registry.gitsource.blobs import Answers


def _blob_shas(repo, paths: list[str]) -> list[str]:
    return [subprocess.run(["git", "-C", str(repo.path), "rev-parse", f"main:{p}"], capture_output=True,
                           text=True, check=True).stdout.strip() for p in paths]


@pytest.fixture
def files(repo):
    contents = {f"spec/f{n}.md": f"# File {n}\n\n" + f"line {n}\n" * (n + 1) for n in range(6)}
    contents["spec/big.md"] = "# Big\n\n" + "x" * 3_000_000 + "\n"  # more than git's pipe holds
    repo.commit("files", contents)
    return dict(zip(_blob_shas(repo, list(contents)), (c.encode() for c in contents.values())))


def test_requests_asked_ahead_are_answered_in_order_with_the_right_contents(repo, files):
    shas = list(files)
    with SpecSource(repo.path) as source:
        first, second, third = source.blobs(shas[:2]), source.blobs(shas[2:5]), source.blobs(shas[5:])
        assert dict(first) | dict(second) | dict(third) == files


def test_a_request_made_while_others_wait_gets_its_own_process(repo, files):
    shas = list(files)
    with SpecSource(repo.path) as source:
        ahead = source.blobs(shas[:3])
        now = dict(source.blobs(shas[3:]))  # out of turn: answered at once, not mixed with `ahead`
        assert dict(ahead) | now == files


def test_answers_given_up_early_do_not_leak_into_the_next_request(repo, files):
    shas = list(files)
    with SpecSource(repo.path) as source:
        answers = source.blobs(shas)
        assert next(answers) == (shas[0], files[shas[0]])
        answers.close()
        assert dict(source.blobs(shas[1:3])) == {s: files[s] for s in shas[1:3]}


def test_answers_of_a_stopped_process_are_refused(repo, files):
    with SpecSource(repo.path) as source:
        answers = source.blobs(list(files))
        assert isinstance(answers, Answers)
        source.close()
        with pytest.raises(RuntimeError, match="order they were made"):
            next(answers)


def test_a_missing_blob_is_a_source_error_and_the_next_request_still_works(repo, files):
    shas = list(files)
    with SpecSource(repo.path) as source:
        with pytest.raises(SourceError, match="missing from the repository"):
            dict(source.blobs([shas[0], "0" * 39 + "1", shas[1]]))
        assert dict(source.blobs(shas[2:4])) == {s: files[s] for s in shas[2:4]}



def test_a_file_is_read_by_commit_and_path_and_one_that_is_absent_or_no_file_is_none(repo, files):
    shas = list(files)
    with SpecSource(repo.path) as source:
        assert source.read_file("main", "spec/f1.md") == files[shas[1]]
        started = source._blobs._proc
        assert source.read_file("main", "spec/none.md") is None
        assert source.read_file("1" * 40, "spec/f1.md") is None
        assert source.read_file("main", "spec") is None  # a folder
        assert source._blobs._proc is started  # nothing above stopped the process
        assert dict(source.blobs(shas[:2])) == {s: files[s] for s in shas[:2]}
        ahead = source.blobs(shas[2:4])
        assert source.read_file("main", "spec/big.md") == files[shas[6]]  # out of turn: a process of its own
        assert dict(ahead) == {s: files[s] for s in shas[2:4]}
