"""One error hierarchy; every edge turns these into an HTML page, a JSON body or a CLI message."""
from __future__ import annotations

from datetime import timedelta
from math import ceil


class SpecregError(Exception):
    """Base of every error a user can cause; `code` names it in JSON bodies."""

    code = "error"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(SpecregError):
    """Something named by the user does not exist."""

    code = "not_found"
    status = 404


class UnknownClause(NotFound):
    """No clause has (or had) this id."""

    code = "unknown_clause"


class UnknownRef(NotFound):
    """A tag, branch, commit or date that does not resolve to ingested history."""

    code = "unknown_ref"


class UnknownVersion(NotFound):
    """The clause did not exist at the requested ref."""

    code = "unknown_version"


class UnknownOwner(NotFound):
    """No person (by email) or team has this name."""

    code = "unknown_owner"


class Conflict(SpecregError):
    """The request contradicts the current state (assigning an owner twice, say)."""

    code = "conflict"
    status = 409


class UnknownPrompt(NotFound):
    """No evaluation prompt file by this name at the requested ref."""

    code = "unknown_prompt"


class UnknownFramework(NotFound):
    """No framework by this name in frameworks.toml at the requested ref."""

    code = "unknown_framework"


class BadRequest(SpecregError):
    """Malformed input: a bad argument, query parameter or body."""

    code = "bad_request"


class BadIdentity(BadRequest):
    """A person's name or email that could break out of a git trailer, identity line or printed list."""


class BadArchive(BadRequest):
    """A backup archive that is truncated, edited, of another format or newer than this code."""

    code = "bad_archive"


class NotEmpty(Conflict):
    """A restore's target database or spec repo folder already holds something."""

    code = "not_empty"


class SourceError(SpecregError):
    """The spec repo cannot be read as asked (not a repo, unknown branch)."""

    code = "source_error"


class RemoteUnavailable(SpecregError):
    """The spec repo's remote (SPECREG_REMOTE) could not be reached or read; nothing was changed."""

    code = "remote_unavailable"
    status = 503


class NotSynced(SpecregError):
    """With SPECREG_REMOTE, nothing was ever fetched: no clone here and no history in the database."""

    code = "not_synced"
    status = 503


class RemoteRefused(SpecregError):
    """The remote refused a push for a reason other than its branch having moved (a hook, a protected branch)."""

    code = "remote_refused"
    status = 502


class HookNotConfigured(SpecregError):
    """POST /hooks/push with no SPECREG_WEBHOOK_SECRET set: no push hook can be authenticated."""

    code = "push_hook_not_configured"
    status = 503


class ReplayedNotification(Conflict):
    """A push notification the hook accepted before (its signed body or its delivery id), sent again."""

    code = "push_hook_replayed"


class ConfigError(SpecregError):
    """Configuration that cannot work (bad specreg.toml, wrong database for this repo)."""

    code = "config_error"


class SchemaError(SpecregError):
    """The database schema is missing or older than this code; `specreg init` fixes it."""

    code = "schema_error"
    status = 503


class Unauthorized(SpecregError):
    """No acting user: not logged in, or an unknown, revoked or malformed token."""

    code = "unauthorized"
    status = 401


class Forbidden(SpecregError):
    """The acting user may not do this (role, ownership, or their own proposal)."""

    code = "forbidden"
    status = 403


class InsufficientScope(Forbidden):
    """An API token used for something its scope does not cover (a `checks` token asked to do more)."""

    code = "insufficient_scope"


class WrongPassword(Forbidden):
    """The current password given to change it is not right.

    The failed check was recorded for the login throttle: the edge commits before it answers, so
    guessing the current password through a borrowed session or token is throttled like logging in.
    """


class CsrfFailure(Forbidden):
    """A form arrived without the session's CSRF token."""

    code = "csrf_failed"


class UnknownUser(NotFound):
    """No account has this email."""

    code = "unknown_user"


class UnknownProposal(NotFound):
    """No proposal has this number."""

    code = "unknown_proposal"


class IllegalTransition(Conflict):
    """The proposal's state does not allow this action (merging a withdrawn proposal, say)."""

    code = "illegal_transition"

    def __init__(self, state: str, action: str, message: str | None = None) -> None:
        super().__init__(message or f"a proposal that is {state} cannot be {_PAST.get(action, action)}")
        self.state, self.action = state, action


_PAST = {"submit": "submitted", "revise": "revised", "review": "reviewed", "merge": "merged",
         "withdraw": "withdrawn", "reject": "rejected", "conflict": "marked conflicted",
         "approve": "approved", "unapprove": "returned to open",
         "settle_veto": "cleared of a veto"}


class PolicyNotSatisfied(Conflict):
    """Merge refused: the policy in force at the proposal's base is not met; `missing` names each rule."""

    code = "policy_not_satisfied"

    def __init__(self, missing: list[str]) -> None:
        super().__init__("policy not satisfied: " + "; ".join(missing))
        self.missing = missing


class ChecksNotPassed(Conflict):
    """Merge refused: the approvals are in order, but required checks have not passed on the current revision."""

    code = "checks_not_passed"

    def __init__(self, names: list[str], missing: list[str]) -> None:
        super().__init__(f"required checks have not passed: {', '.join(names)} ({'; '.join(missing)})")
        self.names, self.missing = names, missing


class StaleRevision(Conflict):
    """A review or a revision was based on a revision that is no longer the proposal's current one."""

    code = "stale_revision"


class MergeConflict(Conflict):
    """A touched clause changed on the branch since the proposal's base; the proposal must be revised."""

    code = "merge_conflict"


class UnacknowledgedRewrite(Conflict):
    """A merge refused while the branch's history was rewritten (commits taken off it) and no admin acknowledged it."""

    code = "unacknowledged_rewrite"


class RemoteChanged(Conflict):
    """SPECREG_REMOTE names another repository than the one this clone and the ledger came from."""

    code = "remote_changed"


class DocumentUnreadable(Conflict):
    """A touched document's text in git could not be read (not UTF-8, too large, unparsable); fix the file first."""

    code = "document_unreadable"


class TooManyAttempts(SpecregError):
    """A password login refused for a while after repeated failures (for the email or the client)."""

    code = "too_many_attempts"
    status = 429

    def __init__(self, retry_after: timedelta) -> None:
        self.retry_after = retry_after
        self.minutes = max(1, ceil(retry_after.total_seconds() / 60))
        super().__init__(f"too many failed attempts; try again in {self.minutes} minute{'s' * (self.minutes != 1)}")
