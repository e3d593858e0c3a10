"""Typed SQLAlchemy models; the schema itself comes from the Alembic migrations."""
from registry.models.accounts import ROLES, TOKEN_SCOPES, Account, ApiToken, LoginFailure, LoginSession
from registry.models.acknowledgements import Acknowledgement
from registry.models.audit import AuditEvent
from registry.models.base import Base, utcnow
from registry.models.frameworks import FrameworksVersion
from registry.models.jobs import JobRequest, PushNotification, VerifyState
from registry.models.ledger import (
    Clause,
    ClauseKey,
    ClauseVersion,
    Commit,
    DocumentVersion,
    HistoryRewrite,
    IngestRun,
    IngestWarning,
    Ledger,
    Tag,
    change_list,
)
from registry.models.owners import OwnerAssignment, OwnerEntry, OwnersVersion, Person, Team, TeamMembership
from registry.models.prompts import ExampleFile
from registry.models.proposals import (
    CHECK_STATUSES,
    STATES,
    CheckReport,
    Comment,
    GovernanceFileVersion,
    PolicyVersion,
    Proposal,
    ProposalState,
    ProposedChange,
    Review,
    Revision,
)
from registry.models.webhooks import DELIVERY_STATES, Webhook, WebhookAttempt, WebhookDelivery

__all__ = [
    "CHECK_STATUSES",
    "DELIVERY_STATES",
    "ROLES",
    "STATES",
    "TOKEN_SCOPES",
    "Account",
    "Acknowledgement",
    "ApiToken",
    "AuditEvent",
    "Base",
    "CheckReport",
    "Clause",
    "ClauseKey",
    "ClauseVersion",
    "Comment",
    "Commit",
    "DocumentVersion",
    "ExampleFile",
    "FrameworksVersion",
    "GovernanceFileVersion",
    "HistoryRewrite",
    "IngestRun",
    "IngestWarning",
    "JobRequest",
    "Ledger",
    "LoginFailure",
    "LoginSession",
    "OwnerAssignment",
    "OwnerEntry",
    "OwnersVersion",
    "Person",
    "PolicyVersion",
    "Proposal",
    "ProposalState",
    "ProposedChange",
    "PushNotification",
    "Review",
    "Revision",
    "Tag",
    "Team",
    "TeamMembership",
    "VerifyState",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
    "change_list",
    "utcnow",
]
