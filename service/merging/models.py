"""Tables of duplicate merging. A source ticket merges once: the unique key on ``merges`` says so."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service import clock
from service.domain.merging.suggestions import SuggestionState
from service.domain.states import MergeState
from service.models import Base


class Merge(Base):
    """One source merged (or being merged) into a target. Inserted as 'applying' before the call."""

    __tablename__ = "merges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_ticket_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    target_ticket_id: Mapped[int] = mapped_column(BigInteger, index=True)
    incident_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    requester_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reason: Mapped[str] = mapped_column(String(40))
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    locale: Mapped[str] = mapped_column(String(10), default="en")
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    job_id: Mapped[str | None] = mapped_column(String(120), nullable=True)
    state: Mapped[str] = mapped_column(String(20), default=MergeState.APPLYING)
    owner: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    merged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class MergeRefusal(Base):
    """A pair that looked like duplicates but was not merged (refused, grouped or failed), and why."""

    __tablename__ = "merge_refusals"
    __table_args__ = (UniqueConstraint("ticket_id", "other_ticket_id", "kind", name="uq_merge_refusal_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(BigInteger, index=True)
    other_ticket_id: Mapped[int] = mapped_column(BigInteger)
    incident_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(20))  # refused | grouped | failed
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class MergeIndexEntry(Base):
    """A ticket the merge stage has seen: who asked, about which incident, when (its text's LSH
    band keys are in ``merge_bands``)."""

    __tablename__ = "merge_index"

    ticket_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    requester_id: Mapped[int] = mapped_column(BigInteger, index=True)
    organization_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    incident_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    ticket_created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    indexed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class MergeBand(Base):
    """LSH band keys of an indexed ticket: texts sharing a key are candidate duplicates."""

    __tablename__ = "merge_bands"

    band_key: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)


class MergeLock(Base):
    """One row per requester, updated at the start of a review: reviews of one requester's
    tickets run one at a time on every database, so two workers see each other's tickets."""

    __tablename__ = "merge_locks"

    requester_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    touched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class MergeSettings(Base):
    """Merge rules for the account (incident_id NULL -> scope 0) or one incident."""

    __tablename__ = "merge_settings"

    scope: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0 = account, else an incident id
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    window_minutes: Mapped[int] = mapped_column(Integer, default=24 * 60)
    similarity_threshold: Mapped[float] = mapped_column(Float, default=0.7)
    suggestion_floor: Mapped[float] = mapped_column(Float, default=0.5)
    suggest_same_organization: Mapped[bool] = mapped_column(Boolean, default=True)
    public_comments: Mapped[bool] = mapped_column(Boolean, default=True)
    skip_tag: Mapped[str] = mapped_column(String(80), default="incidentdesk_no_merge")
    merge_after_agent_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    cross_requester_org_ids: Mapped[list] = mapped_column(JSON, default=list)
    intermediary_tags: Mapped[list] = mapped_column(JSON, default=list)
    intermediary_org_ids: Mapped[list] = mapped_column(JSON, default=list)
    order_field_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    comments: Mapped[dict] = mapped_column(JSON, default=dict)  # {"source"|"target": {locale: text}}
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=clock.now, onupdate=clock.now
    )


class MergeSuggestion(Base):
    """A merge the stage asks an agent to confirm; one row per pair of tickets, whatever its state,
    so a dismissed pair is never suggested again."""

    __tablename__ = "merge_suggestions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pair: Mapped[str] = mapped_column(String(48), unique=True)  # "<lower id>:<higher id>"
    source_ticket_id: Mapped[int] = mapped_column(BigInteger, index=True)
    target_ticket_id: Mapped[int] = mapped_column(BigInteger, index=True)
    incident_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    score: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)  # the automatic threshold when it was suggested
    reason: Mapped[str] = mapped_column(String(40))  # a SuggestionReason
    state: Mapped[str] = mapped_column(String(20), default=SuggestionState.PENDING)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    decided_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)  # why it is outdated, in English
