"""Tables of incident sources. A vendor incident is seen once per source: the unique key on
``source_incidents`` (source, the vendor's incident id) says so, so it never declares twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from service import clock
from service.domain.sources.decisions import ProposalState
from service.models import Base


class IncidentSource(Base):
    """A connected incident tool. ``signing_secret`` verifies its deliveries (never logged or
    shown after creation); the delivery URL's token is kept only as its SHA-256 (``path_hash``),
    since for an unsigned source (Statuspage) the URL itself is the credential."""

    __tablename__ = "incident_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # SourceKind
    name: Mapped[str] = mapped_column(String(120))
    # The PagerDuty service id, Statuspage page or component id, incident.io severity; empty: all.
    covers: Mapped[str] = mapped_column(String(200), default="")
    locale: Mapped[str] = mapped_column(String(10), default="en")  # the language the vendor writes in
    auto_declare: Mapped[bool] = mapped_column(Boolean, default=False)
    auto_resolve: Mapped[bool] = mapped_column(Boolean, default=True)
    broadcast_updates: Mapped[bool] = mapped_column(Boolean, default=True)
    template_incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), nullable=True
    )
    signing_secret: Mapped[str] = mapped_column(String(200), default="")
    # Where customer impact goes back to (PagerDuty incident notes); no token: nowhere.
    notes_api_url: Mapped[str] = mapped_column(String(200), default="")
    notes_api_token: Mapped[str] = mapped_column(String(200), default="")
    notes_from: Mapped[str] = mapped_column(String(254), default="")
    path_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class SourceIncident(Base):
    """A vendor incident as IncidentDesk knows it: a pending proposal (with the vendor's latest
    stage and words, for the admin's one click), or the incident it declared."""

    __tablename__ = "source_incidents"
    __table_args__ = (UniqueConstraint("source_id", "external_id", name="uq_source_incident_external"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("incident_sources.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(200))
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), nullable=True, index=True
    )
    state: Mapped[str] = mapped_column(String(20), default=ProposalState.PENDING)
    title: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(20), default="investigating")
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    locale: Mapped[str] = mapped_column(String(10), default="en")  # the language of ``text``
    # The vendor resolved it and the source waits for an admin to confirm the resolution here.
    resolution_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    resolution_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The lead's choice for this incident: broadcast the vendor's updates at once (in the vendor's
    # language, the others answered by the fallback) or wait for the translations; None: the
    # source's default.
    broadcast_updates: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # The vendor's time of the last update applied; an older one arriving late changes nothing.
    happened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The last impact note sent back to the tool: when (also the pacing lease) and its counts.
    impact_note_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    impact_note_key: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=clock.now, onupdate=clock.now
    )
