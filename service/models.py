"""Tables. Idempotency lives in unique keys: a delivery key, one link per (incident, ticket)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql import false

from service import clock
from service.domain.states import LinkState
from service.logs import MAX_ID_CHARS


class Base(DeclarativeBase):
    pass


class AdminUser(Base):
    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class AdminSession(Base):
    """A signed-in admin: the cookie carries only a random id, stored here as its SHA-256, so
    logout (deleting the row) or expiry ends the session whatever the browser kept."""

    __tablename__ = "admin_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class LoginFailure(Base):
    """A wrong password, counted per username and per client address to throttle guessing."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))  # "user:<name>" or "address:<ip>"
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("public_slug", name="uq_incidents_public_slug"),
        # One incident per problem ticket (migration 0029): an adopted one cannot be taken twice.
        Index("uq_incidents_problem_ticket_id", "problem_ticket_id", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    tag: Mapped[str] = mapped_column(String(80), unique=True)
    state: Mapped[str] = mapped_column(String(20), default="active")  # active | resolved
    severity: Mapped[str] = mapped_column(String(20), default="major")
    default_locale: Mapped[str] = mapped_column(String(10), default="en")
    problem_ticket_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    macro_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    dynamic_content_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    affected_products: Mapped[list] = mapped_column(JSON, default=list)
    affected_regions: Mapped[list] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    shadow_mode: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whether the resolution asks linked customers for a satisfaction rating (off by default).
    resolution_survey: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Where an unassigned ticket (and the problem ticket) is assigned so the helpdesk lets it be solved.
    solve_group_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    solve_assignee_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The post-incident report's texts per language, written at resolution.
    what_happened: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    prevention: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # Shown without login at /status/<public_slug> while ``public``; the slug stays when hidden.
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    public_slug: Mapped[str | None] = mapped_column(String(80), nullable=True)
    # The page's absolute address, fixed when it is published (the service's public address, or
    # the one the admin used), so texts rendered far from any request can link to it.
    public_page_url: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=clock.now, onupdate=clock.now
    )
    # Its tickets linked now: kept by the database's triggers on ticket_links (migration 0033)
    # for every writer, never written here, so a list reads it instead of counting history.
    linked_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    rules: Mapped[list[IncidentRule]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="IncidentRule.id"
    )
    status_updates: Mapped[list[StatusUpdate]] = relationship(
        back_populates="incident", cascade="all, delete-orphan", order_by="StatusUpdate.version"
    )

    @property
    def current_status(self) -> StatusUpdate | None:
        return self.status_updates[-1] if self.status_updates else None

    @property
    def status_page_url(self) -> str:
        """What ``{{status_page_url}}`` becomes: the public page's address, or '' while it is not public."""
        return (self.public_page_url or "") if self.public else ""

    @property
    def phrases(self) -> list[str]:
        return [r.value for r in self.rules if r.kind == "phrase"]


class IncidentRule(Base):
    """One condition of an incident: kind says how ``value`` is read (phrase, exclude_phrase, ...)."""

    __tablename__ = "incident_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    value: Mapped[str] = mapped_column(Text)

    incident: Mapped[Incident] = relationship(back_populates="rules")


class StatusUpdate(Base):
    """A version of the incident's status; ``texts`` maps a locale to the customer-facing text."""

    __tablename__ = "status_updates"
    __table_args__ = (UniqueConstraint("incident_id", "version", name="uq_status_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(20), default="investigating")
    texts: Mapped[dict] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    # Broadcast of this update to the linked unsolved tickets: none | queued | running | done | failed
    broadcast_state: Mapped[str] = mapped_column(String(20), default="none")
    broadcast_total: Mapped[int] = mapped_column(Integer, default=0)
    broadcast_done: Mapped[int] = mapped_column(Integer, default=0)
    broadcast_owner: Mapped[str | None] = mapped_column(String(120), nullable=True)
    broadcast_lease_expires_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )

    incident: Mapped[Incident] = relationship(back_populates="status_updates")


class InboxDelivery(Base):
    """A webhook delivery, committed before it is acknowledged; the worker's queue."""

    __tablename__ = "inbox_deliveries"
    __table_args__ = (
        Index("ix_inbox_claim", "state", "available_at"),
        Index("ix_inbox_completed_at", "completed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_key: Mapped[str] = mapped_column(String(200), unique=True)
    source: Mapped[str] = mapped_column(String(30), default="zendesk")
    event_type: Mapped[str] = mapped_column(String(120))
    ticket_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    payload: Mapped[str] = mapped_column(Text)
    # pending -> (leased) -> done | ignored | failed
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(120), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The request that stored it and Zendesk's invocation id, for the worker's log lines (as
    # service.logs.safe_id keeps them); none for the reconciler's rows.
    request_id: Mapped[str | None] = mapped_column(String(MAX_ID_CHARS), nullable=True)
    invocation_id: Mapped[str | None] = mapped_column(String(MAX_ID_CHARS), nullable=True)


class RejectedDelivery(Base):
    """A webhook we refused (bad signature, stale, malformed), kept for inspection."""

    __tablename__ = "rejected_deliveries"
    __table_args__ = (Index("ix_rejected_received_at", "received_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    status_code: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict] = mapped_column(JSON)
    body: Mapped[str] = mapped_column(Text)


class TicketLink(Base):
    """A ticket linked to an incident; unique per (incident, ticket) so a replay links once."""

    __tablename__ = "ticket_links"
    __table_args__ = (
        UniqueConstraint("incident_id", "ticket_id", name="uq_link_incident_ticket"),
        Index("ix_ticket_links_incident_linked_at", "incident_id", "linked_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    ticket_id: Mapped[int] = mapped_column(BigInteger, index=True)
    requester_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    requester_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    locale: Mapped[str] = mapped_column(String(10), default="en")
    # The ticket's status as last seen in the helpdesk (every update of it reaches us by webhook).
    ticket_status: Mapped[str] = mapped_column(String(20), default="new")
    state: Mapped[str] = mapped_column(String(20), default=LinkState.LINKED)
    source: Mapped[str] = mapped_column(String(20), default="auto")  # auto | helpdesk | manual
    status_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # A broadcast version sent but not yet confirmed; the ticket's version tag settles it.
    pending_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # A broadcast version the helpdesk refused for this ticket (closed, deleted): not tried again.
    refused_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    # When the customer first wrote: the ticket's creation in the helpdesk.
    ticket_created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    unlinked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    unlink_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # While 'applying': the batch writing the link, when it last showed it is alive, and the
    # helpdesk job carrying the answer once submitted (``service.linking.reservations``).
    writer: Mapped[str | None] = mapped_column(String(32), nullable=True)
    writer_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    answer_job_id: Mapped[str | None] = mapped_column(String(80), nullable=True)


class AuditEntry(Base):
    """Every action taken or (in shadow mode) considered, with its reason."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, index=True)
    action: Mapped[str] = mapped_column(String(60))
    incident_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    ticket_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True, index=True)
    delivery_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor: Mapped[str] = mapped_column(String(120), default="incidentdesk")
    shadow: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class RateBudget(Base):
    """A named budget shared by every worker process on every machine: its Retry-After block
    (its grants are ``RateBudgetGrant`` rows), or an hourly counter (``window_start``, ``used``)."""

    __tablename__ = "rate_budgets"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger, default=0)  # epoch second the window began
    used: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[float] = mapped_column(Float, default=0.0)  # epoch seconds, from Retry-After


class RateBudgetGrant(Base):
    """A helpdesk request granted by a budget: the last minute's grants are its sliding window."""

    __tablename__ = "rate_budget_grants"
    __table_args__ = (Index("ix_rate_budget_grants_budget_at", "budget", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    budget: Mapped[str] = mapped_column(String(60))
    at: Mapped[float] = mapped_column(Float)  # epoch seconds


class DigestState(Base):
    """The one row of management's backlog digest: when it was last posted (claimed by one
    worker with a conditional update) and the unanswered contacts it counted, for the trend."""

    __tablename__ = "digest_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    unsolved: Mapped[int | None] = mapped_column(Integer, nullable=True)
