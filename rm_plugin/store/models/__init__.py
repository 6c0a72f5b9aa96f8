"""All persistent entities; importing this module registers every table on ``Base.metadata``."""

from rm_plugin.store.models.agreement import Agreement, AgreementSignature, AgreementVersion
from rm_plugin.store.models.base import Base
from rm_plugin.store.models.credentials import CredentialKey, IssuedCredential
from rm_plugin.store.models.lti import (
    LtiDeployment,
    LtiGradeTarget,
    LtiLoginState,
    LtiPlatform,
    LtiRegistrationToken,
    LtiToolKey,
)
from rm_plugin.store.models.outbox import (
    AuditEntry,
    OutboxItem,
    OutboxPrerequisite,
    StoredReceipt,
    WorkerJob,
)
from rm_plugin.store.models.pairs import Pair, PairStatusChange, ReviewDecision
from rm_plugin.store.models.people import AccountLink, ConnectorState, Person, RosterProblem, SyncState
from rm_plugin.store.models.programme import Application, Invitation, Programme
from rm_plugin.store.models.stories import Story, StoryConsent
from rm_plugin.store.models.tracking import Meeting, MilestoneReached, Nudge, SurveyResponse
from rm_plugin.store.models.web import WebRateCounter, WebSession

__all__ = [
    "AccountLink",
    "Agreement",
    "AgreementSignature",
    "AgreementVersion",
    "Application",
    "AuditEntry",
    "Base",
    "ConnectorState",
    "CredentialKey",
    "Invitation",
    "IssuedCredential",
    "LtiDeployment",
    "LtiGradeTarget",
    "LtiLoginState",
    "LtiPlatform",
    "LtiRegistrationToken",
    "LtiToolKey",
    "Meeting",
    "MilestoneReached",
    "Nudge",
    "OutboxItem",
    "OutboxPrerequisite",
    "Pair",
    "PairStatusChange",
    "Person",
    "Programme",
    "ReviewDecision",
    "RosterProblem",
    "StoredReceipt",
    "Story",
    "StoryConsent",
    "SurveyResponse",
    "SyncState",
    "WebRateCounter",
    "WebSession",
    "WorkerJob",
]
