"""A backfill's one row: its window, the dry run's figures and sample, the tickets it hands to
the inbox, and the lease that lets one worker at a time carry it on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service import clock
from service.domain.backfill import BackfillState
from service.models import Base


class Backfill(Base):
    __tablename__ = "backfills"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=BackfillState.COUNTING)
    requested_by: Mapped[str] = mapped_column(String(200))
    confirmed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Tickets created in [window_start, window_end] are candidates.
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    window_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Where the dry run is in the helpdesk's change feed (resumable after a crash).
    cursor: Mapped[str] = mapped_column(Text, default="")
    feed_calls: Mapped[int] = mapped_column(Integer, default=0)
    # The feed leaves out its latest minute: the count waits until it covers the window's end.
    next_read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    seen_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # every ticket judged (once each)
    candidates: Mapped[int] = mapped_column(Integer, default=0)  # created inside the window
    matched: Mapped[int] = mapped_column(Integer, default=0)  # of those, the rules match
    skipped: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # matched but not answered, by reason
    to_answer: Mapped[list[int]] = mapped_column(JSON, default=list)  # ticket ids handed to the inbox
    sample: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)  # [{ticket_id, subject, why}]
    stored: Mapped[int] = mapped_column(Integer, default=0)  # inbox rows newly stored on apply
    processed: Mapped[int] = mapped_column(Integer, default=0)  # as of the last check
    answered: Mapped[int] = mapped_column(Integer, default=0)  # linked to this incident, at the end
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(120), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
