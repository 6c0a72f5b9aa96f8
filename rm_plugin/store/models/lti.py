"""The LTI 1.3 tool's state: platforms and deployments, the tool's own keys, OIDC logins in flight,
one-time registration tokens, and where a person's progress score goes.

Everything several web workers must agree on lives here rather than in process memory: a state
consumed by one worker is gone for all of them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rm_plugin.store.models.base import Base
from rm_plugin.store.models.keys import SigningKeyColumns
from rm_plugin.store.types import JSONType, UTCDateTime, utcnow


class LtiPlatform(Base):
    """An LTI 1.3 platform (a Moodle site) the tool trusts, as registered by IT.

    ``issuer`` and ``client_id`` identify the registration; the URLs are the platform's OIDC
    authorisation endpoint, OAuth token endpoint and public key set. ``jwks`` caches that key
    set (fetched again when a launch names a key it does not hold).
    """

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200), default="")
    auth_url: Mapped[str] = mapped_column(String(500))
    token_url: Mapped[str] = mapped_column(String(500), default="")
    jwks_url: Mapped[str] = mapped_column(String(500))
    jwks: Mapped[dict] = mapped_column(JSONType, default=dict)
    jwks_fetched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    registered_via: Mapped[str] = mapped_column(String(16), default="manual")  # manual | dynamic
    product: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class LtiDeployment(Base):
    """A deployment id of a platform registration (Moodle: the tool type id); launches name one."""

    __tablename__ = "lti_deployments"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class LtiToolKey(SigningKeyColumns, Base):
    """One of the tool's RSA signing keys (client assertions, deep linking responses)."""

    __tablename__ = "lti_tool_keys"


class LtiLoginState(Base):
    """An OIDC login in flight: made at login initiation, consumed (deleted) by the one launch
    that presents it. ``state_hash`` is the SHA-256 of the state sent to the platform; ``nonce``
    must come back inside the signed id_token."""

    __tablename__ = "lti_login_states"
    __table_args__ = (Index("ix_lti_login_states_expires_at", "expires_at"),)

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64))
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    target_link_uri: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class LtiRegistrationToken(Base):
    """A one-time code in the dynamic registration URL IT pastes into the platform, so that
    nobody else can make the tool trust a platform of their own."""

    __tablename__ = "lti_registration_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    platform_id: Mapped[int | None] = mapped_column(ForeignKey("lti_platforms.id", ondelete="SET NULL"))


class LtiGradeTarget(Base):
    """Where a person's progress score can go on one platform: their LTI user id (``sub``), the
    course context and the grade-service endpoints the latest launch from that link announced.

    ``last_score_at`` keeps score timestamps strictly increasing, as platforms refuse older ones.
    """

    __tablename__ = "lti_grade_targets"
    __table_args__ = (UniqueConstraint("person_id", "platform_id", "context_id", "resource_link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    sub: Mapped[str] = mapped_column(String(255))
    context_id: Mapped[str] = mapped_column(String(255))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    lineitems_url: Mapped[str] = mapped_column(String(500), default="")
    lineitem_url: Mapped[str] = mapped_column(String(500), default="")
    scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    last_score_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
