"""bench/load.py at a tiny size: it runs two hosts, reports every request type, and its checks catch problems."""
from __future__ import annotations

import pytest
from pg_scratch import PG_ADMIN_URL

from bench.load import Sample, check_answers, check_merges, percentile, report, run_load
from bench.load_world import Shape


def test_a_tiny_load_run_reports_each_request_type_and_finds_nothing_wrong(databases, database_url, tmp_path):
    if databases.backend != "postgresql":
        pytest.skip("the load runs two hosts on one PostgreSQL database")
    text, problems, run = run_load(tmp_path, clients=3, requests=90, limit=120, workers=1,
                                   shape=Shape(docs=2, clauses=6, commits=3, people=2), admin_url=PG_ADMIN_URL,
                                   database_url=database_url)
    assert problems == []
    kinds = {s.kind for s in run.samples}
    assert {"clause page", "search", "propose"} <= kinds
    assert run.merged and all(f"\n{kind:<12}" in "\n" + text for kind in kinds)


@pytest.mark.parametrize(("merged", "on_remote", "found"), [
    ({1: "a" * 40}, {1: ["a" * 40]}, []),
    ({1: "a" * 40}, {}, ["proposal 1: the merge answered aaaaaaaaaaaa, the remote has []"]),
    ({1: "a" * 40}, {1: ["b" * 40, "a" * 40]}, [f"proposal 1: the merge answered aaaaaaaaaaaa, the remote has "
                                                f"{['b' * 40, 'a' * 40]}"]),
    ({1: "a" * 40}, {1: ["b" * 40]}, [f"proposal 1: the merge answered aaaaaaaaaaaa, the remote has {['b' * 40]}"]),
])
def test_a_merge_that_answered_success_needs_exactly_its_one_commit_on_the_remote(merged, on_remote, found):
    assert check_merges(merged, on_remote) == found


def test_a_5xx_or_no_answer_is_a_problem_and_a_4xx_is_not():
    samples = [Sample("merge", 503, 1.0, "/api/v1/proposals/3/merge"), Sample("login", 401, 1.0, "/login"),
               Sample("search", 0, 1.0, "/search?q=x"), Sample("home", 200, 1.0, "/")]
    assert check_answers(samples) == ["merge /api/v1/proposals/3/merge: 503", "search /search?q=x: no answer"]


def test_percentiles_are_nearest_rank_and_the_report_has_a_line_per_kind():
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 95), percentile(values, 99)) == (50.0, 95.0, 99.0)
    assert percentile([7.0], 99) == 7.0
    lines = report([Sample("home", 200, 10.0, "/"), Sample("merge", 200, 30.0, "/m")], 2.0).splitlines()
    assert [line.split()[0] for line in lines] == ["request", "home", "merge", "reads", "all"]
    assert lines[-1].split()[1:4] == ["2", "0", "1.0"]


def test_the_reads_line_takes_every_read_and_nothing_else():
    samples = [Sample("home", 200, 10.0, "/"), Sample("search", 200, 20.0, "/search"),
               Sample("merge", 200, 900.0, "/m"), Sample("login", 200, 500.0, "/login")]
    reads = next(line for line in report(samples, 1.0).splitlines() if line.startswith("reads"))
    assert reads.split()[1] == "2" and reads.split()[-1] == "20.0"  # p99 of 10 and 20 ms: no write in it
