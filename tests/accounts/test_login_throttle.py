"""The login throttle: a pure rule over recent failure times, and the use case that counts failures in the database."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from registry.accounts.logins import log_in
from registry.accounts.throttle import PER_CLIENT, PER_EMAIL, Rule, retry_after
from registry.accounts.users import add_user
from registry.errors import TooManyAttempts
from registry.models import AuditEvent, LoginFailure

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
RULE = Rule(5, timedelta(minutes=15))


def ago(*minutes: float) -> list[datetime]:
    return [NOW - timedelta(minutes=m) for m in minutes]


@pytest.mark.parametrize(("failures", "wait"), [
    ([], None),
    (ago(1, 2, 3, 4), None),                                   # four: still allowed
    (ago(0, 1, 2, 3, 4), timedelta(minutes=11)),               # the fifth: wait until the oldest of them ages out
    (ago(1, 2, 3, 4, 14), timedelta(minutes=1)),
    (ago(1, 2, 3, 4, 15), None),                               # exactly a window old no longer counts
    (ago(1, 2, 3, 4, 16, 20, 30), None),                       # old failures do not count
    (ago(1, 2, 3, 4, 5, 6, 7), timedelta(minutes=10)),         # more than five: wait for the fifth most recent
    (ago(14.5, 14, 13, 12, 11), timedelta(seconds=30)),
    (ago(4, 3, 2, 1, -0.5), timedelta(minutes=11)),            # a failure stamped just after now still counts
])
def test_the_rule_refuses_from_the_fifth_failure_in_the_window_until_it_ages_out(failures, wait):
    assert retry_after(failures, NOW, RULE) == wait


def test_the_rule_is_five_per_email_and_twenty_per_client_in_fifteen_minutes():
    assert (PER_EMAIL.limit, PER_EMAIL.window, PER_CLIENT.limit, PER_CLIENT.window) == (
        5, timedelta(minutes=15), 20, timedelta(minutes=15))


@pytest.mark.parametrize(("wait", "message"), [
    (timedelta(seconds=1), "try again in 1 minute"), (timedelta(minutes=1), "try again in 1 minute"),
    (timedelta(minutes=1, seconds=1), "try again in 2 minutes"), (timedelta(minutes=15), "try again in 15 minutes"),
])
def test_the_refusal_says_how_many_minutes_to_wait_rounded_up(wait, message):
    assert str(TooManyAttempts(wait)) == f"too many failed attempts; {message}"


@pytest.fixture
def ada(session):
    root = add_user(session, None, "root@example.org", "Root", "admin", "root passphrase", bootstrap=True)
    return add_user(session, root, "ada@example.org", "Ada", "editor", "a long passphrase")


def fail(session, email: str, times: int, client: str = "10.0.0.1", at: datetime = NOW) -> None:
    for _ in range(times):
        assert log_in(session, email, "wrong guess", client, at) is None


def test_the_sixth_attempt_is_refused_even_with_the_right_password_until_the_window_passes(session, ada):
    fail(session, "ada@example.org", 5)
    with pytest.raises(TooManyAttempts, match="try again in 15 minutes"):
        log_in(session, "ADA@example.org", "a long passphrase", "10.0.0.2", NOW)
    with pytest.raises(TooManyAttempts, match="try again in 1 minute"):
        log_in(session, "ada@example.org", "a long passphrase", "10.0.0.2", NOW + timedelta(minutes=14, seconds=59))
    assert log_in(session, "ada@example.org", "a long passphrase", "10.0.0.2", NOW + timedelta(minutes=15)) == ada


def test_an_unknown_email_is_throttled_exactly_like_an_account(session, ada):
    fail(session, "nobody@example.org", 5)
    fail(session, "ada@example.org", 5, client="10.0.0.9")
    refusals = []
    for email in ("nobody@example.org", "ada@example.org"):
        with pytest.raises(TooManyAttempts) as caught:
            log_in(session, email, "a long passphrase", "10.0.0.3", NOW)
        refusals.append(str(caught.value))
    assert refusals[0] == refusals[1]


def test_refused_attempts_neither_check_the_password_nor_extend_the_wait(session, ada):
    fail(session, "ada@example.org", 5)
    audited = session.scalar(select(func.count()).select_from(AuditEvent))
    for minute in range(1, 15):
        with pytest.raises(TooManyAttempts):
            log_in(session, "ada@example.org", "wrong guess", "10.0.0.1", NOW + timedelta(minutes=minute))
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == audited
    assert log_in(session, "ada@example.org", "a long passphrase", "10.0.0.1", NOW + timedelta(minutes=15)) == ada


def test_one_client_guessing_across_many_emails_is_refused_after_twenty_failures(session, ada):
    for n in range(20):
        fail(session, f"guess{n}@example.org", 1, client="10.6.6.6")
    with pytest.raises(TooManyAttempts):
        log_in(session, "ada@example.org", "a long passphrase", "10.6.6.6", NOW)
    assert log_in(session, "ada@example.org", "a long passphrase", "10.0.0.1", NOW) == ada  # another address


def test_a_few_failures_leave_the_right_password_working(session, ada):
    fail(session, "ada@example.org", 4)
    assert log_in(session, "ada@example.org", "a long passphrase", "10.0.0.1", NOW) == ada


def test_failures_are_pruned_once_they_can_no_longer_count(session, ada):
    fail(session, "ada@example.org", 3, at=NOW - timedelta(hours=1))
    fail(session, "nobody@example.org", 1)
    assert session.scalars(select(LoginFailure.email)).all() == ["nobody@example.org"]


def test_an_email_too_long_for_any_account_is_a_plain_failure(session, ada):
    assert log_in(session, "a" * 400 + "@example.org", "a long passphrase", "10.0.0.1", NOW) is None
