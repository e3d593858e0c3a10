"""Pure: whether a password login is refused for too many recent failures, and for how long.

A key (an email, or a client address) with `limit` failures within the last `window` is refused until
the oldest of those ages out of the window. Refused attempts are not failures: they never extend the
wait, so the person behind the key is back in at most one window after the last real failure.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Rule:
    """At most `limit` failures within `window`."""

    limit: int
    window: timedelta


PER_EMAIL = Rule(5, timedelta(minutes=15))
# Higher: many people can share one address (an office, a VPN), and guessing across many emails
# from one place is what this one catches.
PER_CLIENT = Rule(20, timedelta(minutes=15))


def retry_after(failures: Iterable[datetime], now: datetime, rule: Rule) -> timedelta | None:
    """How long until the next attempt is allowed, or None when it is allowed now."""
    # A failure stamped slightly after `now` (another server's clock) still counts.
    recent = sorted(t for t in failures if t > now - rule.window)
    if len(recent) < rule.limit:
        return None
    return recent[-rule.limit] + rule.window - now
