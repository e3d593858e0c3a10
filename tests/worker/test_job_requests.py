"""Requests for background work: durable, coalesced, and never lost to a job that ran meanwhile."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from registry.errors import BadRequest
from registry.models import JobRequest
from registry.worker.requests import SYNC, mark_done, pending, request_job


def test_many_requests_for_a_sync_before_it_runs_become_one_pending_request(session):
    for source in ("hooks/push (github push)", "hooks/push (gitlab Push Hook)", "cli"):
        request_job(session, SYNC, source)
    assert session.scalar(select(func.count()).select_from(JobRequest)) == 1
    [only] = pending(session)
    assert (only.kind, only.generation, only.source) == (SYNC, 3, "cli")


def test_marking_a_request_done_forgets_it(session):
    request_job(session, SYNC, "cli")
    [asked] = pending(session)
    assert mark_done(session, asked) is True
    assert pending(session) == []


def test_a_request_made_while_the_job_ran_is_kept_for_the_next_run(session):
    request_job(session, SYNC, "hooks/push (github push)")
    [read_before_the_job] = pending(session)
    request_job(session, SYNC, "hooks/push (github push)")  # the next push, while the sync runs
    assert mark_done(session, read_before_the_job) is False
    [still] = pending(session)
    assert still.generation == read_before_the_job.generation + 1


def test_an_unknown_kind_of_job_is_refused(session):
    with pytest.raises(BadRequest, match="unknown job"):
        request_job(session, "rm -rf", "cli")
    assert pending(session) == []
