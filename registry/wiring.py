"""The composition root: what runs after an ingest batch, and who reacts to other areas' signals.

The ledger and the lower areas know nothing of the features built on them; this module names
them, in order, and every entry point (the web app, the command line, the test suite) calls
`install()` once at start-up. The imports sit inside the factories so a command that never ingests
(or ingests one commit) does not pay for loading the proposal workflow.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from registry import signals
from registry.audit import events as audit_events
from registry.ledger import hooks
from registry.ledger.hooks import IngestWatcher, WarnFn
from registry.models import AuditEvent
from registry.transaction.tracking import track_writes


def _owners(session: Session, warn: WarnFn) -> IngestWatcher:
    from registry.owners.recorder import OwnersWatcher

    return OwnersWatcher(session, warn)


def _prompts(session: Session, warn: WarnFn) -> IngestWatcher:
    from registry.history.prompts import ExampleFilesWatcher

    return ExampleFilesWatcher(session, warn)


def _search_index(session: Session, warn: WarnFn) -> IngestWatcher:
    from registry.history.search_index import SearchIndexWatcher

    return SearchIndexWatcher(session, warn)


def _policy(session: Session, warn: WarnFn) -> IngestWatcher:
    from registry.proposals.policy_store import PolicyWatcher

    return PolicyWatcher(session, warn)


def _frameworks(session: Session, warn: WarnFn) -> IngestWatcher:
    from registry.frameworks.recorder import FrameworksWatcher

    return FrameworksWatcher(session, warn)


def _governance_files(session: Session, warn: WarnFn) -> IngestWatcher:
    from registry.proposals.governance import GovernanceWatcher

    return GovernanceWatcher(session, warn)


def _merge_completion(session: Session, warn: WarnFn) -> IngestWatcher:
    from registry.proposals.merge_completion import MergeWatcher

    return MergeWatcher(session, warn)


def _reevaluation(session: Session, warn: WarnFn) -> IngestWatcher:
    from registry.proposals.reevaluation import OwnershipWatcher

    return OwnershipWatcher(session, warn)


def _announcements(session: Session, warn: WarnFn) -> IngestWatcher:
    from registry.accountability.announcements import AnnouncingWatcher

    return AnnouncingWatcher(session, warn)


# The order matters: the merge watcher judges a commit by everything the readers before it
# recorded at its seq (OWNERS.toml, policy.toml, frameworks.toml, the governance files' digests);
# re-evaluation acts in `advanced`, after every watcher's `finish`, on the ledger as it then stands; the
# webhook announcements act in `advanced` too, when the batch's merges are complete (a merged commit is
# not unapproved).
INGEST_WATCHERS = (_owners, _prompts, _search_index, _policy, _frameworks, _governance_files, _merge_completion,
                   _announcements, _reevaluation)


def _webhook_events(session: Session, event: AuditEvent) -> None:
    """An audit event that announces a webhook event (a proposal's move, a history rewrite) writes its deliveries."""
    from registry.webhooks.events import from_audit

    from_audit(session, event)


def _recheck_proposals(session: Session, event: signals.ApproversChanged) -> None:
    """Who may approve changed: re-check the open and approved proposals it can affect."""
    from registry.proposals import reevaluation

    affected = None if event.clause_ids is None else reevaluation.touching(session, event.clause_ids)
    reevaluation.reevaluate(session, affected, actor=event.actor)


def install() -> None:
    """Install the ingest watchers, the audit listener and the event handlers (idempotent; call once per process)."""
    hooks.install(INGEST_WATCHERS)
    audit_events.install_listeners([_webhook_events])
    signals.install({signals.ApproversChanged: [_recheck_proposals]})
    track_writes()  # kept verdicts serve only sessions that have not written (proposals.verdict_memo)
