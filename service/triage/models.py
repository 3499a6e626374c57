"""Triage settings for the account (scope 0) or one incident (scope = its id)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from service import clock
from service.models import Base


class TriageSettings(Base):
    __tablename__ = "triage_settings"

    scope: Mapped[int] = mapped_column(Integer, primary_key=True)  # 0 = account, else an incident id
    vip_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    vip_priority: Mapped[str | None] = mapped_column(String(10), nullable=True)
    threat_phrases: Mapped[list[str]] = mapped_column(JSON, default=list)
    threat_priority: Mapped[str | None] = mapped_column(String(10), nullable=True)
    repeat_contacts: Mapped[int] = mapped_column(Integer, default=3)
    repeat_priority: Mapped[str | None] = mapped_column(String(10), nullable=True)
    group_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    value_field: Mapped[str] = mapped_column(String(80), default="")
    value_at_least: Mapped[float] = mapped_column(Float, default=0.0)
    value_priority: Mapped[str | None] = mapped_column(String(10), nullable=True)
    waiting_hours: Mapped[float] = mapped_column(Float, default=0.0)
    waiting_priority: Mapped[str | None] = mapped_column(String(10), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=clock.now, onupdate=clock.now
    )
