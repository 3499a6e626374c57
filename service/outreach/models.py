"""Outreach tables. Idempotency lives in unique keys: one recipient per (incident, customer),
ever; one external id per recipient; one coupon per code and per recipient."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from service import clock
from service.models import Base


class Campaign(Base):
    __tablename__ = "outreach_campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(20), default="notice")  # notice | follow_up | goodwill
    state: Mapped[str] = mapped_column(String(20), default="draft")  # draft|running|paused|done|cancelled
    messages: Mapped[dict] = mapped_column(JSON, default=dict)  # locale -> {subject, body}
    default_locale: Mapped[str] = mapped_column(String(10), default="en")
    tags: Mapped[list] = mapped_column(JSON, default=list)
    vip_tag: Mapped[str] = mapped_column(String(80), default="vip")
    vip_priority: Mapped[str | None] = mapped_column(String(20), nullable=True)
    group_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # helpdesk group for the tickets
    sender_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # agent the message comes from
    search_query: Mapped[str] = mapped_column(Text, default="")
    opt_out_tag: Mapped[str] = mapped_column(String(80), default="no_outreach")
    opt_out_emails: Mapped[list] = mapped_column(JSON, default=list)
    coupon_mode: Mapped[str] = mapped_column(String(20), default="none")  # none | pool | generated
    coupon_format: Mapped[str] = mapped_column(String(64), default="SORRY-XXXX-XXXX")
    plan_requests_per_minute: Mapped[int] = mapped_column(Integer, default=200)
    api_share: Mapped[float] = mapped_column(Float, default=0.5)
    audience_report: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    launched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Recipient(Base):
    """One customer of one campaign. The unique (incident, purpose, customer) key is taken when
    the audience is saved, before anything is sent, and travels to the helpdesk as external_id."""

    __tablename__ = "outreach_recipients"
    __table_args__ = (
        UniqueConstraint(
            "incident_id", "purpose", "customer_key", name="uq_outreach_incident_purpose_customer"
        ),
        Index("ix_outreach_due", "state", "available_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("outreach_campaigns.id", ondelete="CASCADE"), index=True
    )
    incident_id: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(20), default="notice")
    customer_key: Mapped[str] = mapped_column(String(254))
    external_id: Mapped[str] = mapped_column(String(120), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(500), default="")
    locale: Mapped[str] = mapped_column(String(20), default="")
    external_ref: Mapped[str] = mapped_column(String(200), default="")
    helpdesk_user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    fields: Mapped[dict] = mapped_column(JSON, default=dict)
    vip: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(20), default="csv")
    route: Mapped[str] = mapped_column(String(20), default="new_ticket")  # new_ticket | existing_ticket
    # pending -> sending -> queued -> sent | failed; uncertain (a call may have landed) -> reconciled
    state: Mapped[str] = mapped_column(String(20), default="pending")
    ticket_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    job_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    coupon_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(120), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    available_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Exclusion(Base):
    """A customer of the audience who gets nothing from this campaign, and why."""

    __tablename__ = "outreach_exclusions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("outreach_campaigns.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    reason: Mapped[str] = mapped_column(String(40))  # opted_out | already_contacted
    detail: Mapped[str] = mapped_column(Text, default="")


class Coupon(Base):
    __tablename__ = "outreach_coupons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("outreach_campaigns.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(64), unique=True)
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("outreach_recipients.id", ondelete="SET NULL"), unique=True, nullable=True
    )
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SendJob(Base):
    """A bulk job in the helpdesk carrying some recipients; polled until it settles."""

    __tablename__ = "outreach_jobs"

    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("outreach_campaigns.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # create | update
    state: Mapped[str] = mapped_column(String(20), default="in_flight")  # in_flight | settled
    recipient_ids: Mapped[list] = mapped_column(JSON, default=list)  # in the order sent
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    next_poll_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
