"""The reconciler's one row per change feed: where it is in the feed, how far that is complete,
and the lease that lets one worker at a time follow it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.models import Base


class ReconcilerCursor(Base):
    __tablename__ = "reconciler_cursors"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    # The helpdesk's opaque cursor; empty until the first page was read.
    cursor: Mapped[str] = mapped_column(Text, default="")
    # Every change made before this instant is in the inbox (None: not yet read to the end).
    synced_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The next run is not due before this (the schedule, or the feed's rate limit).
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    lease_owner: Mapped[str | None] = mapped_column(String(120), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
