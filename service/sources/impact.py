"""Customer impact back to the incident tool, at a sensible pace: for each active incident a
PagerDuty source declared (with an API key), at most one note per interval, and only when the
counts changed (tickets linked, unsolved, customers reached by outreach), with the oldest
unsolved contact's wait. The slot is claimed with a conditional update, so several workers
post one note, not several."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, or_, select, update

from integrations.pagerduty.notes import NoteRefused, PagerDutyNotes
from service import clock
from service.audit import record
from service.db import Database
from service.domain.sources.decisions import ProposalState
from service.domain.sources.events import SourceKind
from service.domain.sources.impact import Impact, impact_key, impact_note
from service.incidents.lifecycle_reads import incident_health
from service.models import Incident
from service.outreach.models import Recipient
from service.sources.models import IncidentSource, SourceIncident

log = logging.getLogger("incidentdesk.sources.impact")
NOTE_INTERVAL_SECONDS = 900  # a quarter of an hour: often enough to follow, rare enough to read
CHECK_EVERY_SECONDS = 30.0


class ImpactNotes:
    def __init__(
        self,
        db: Database,
        *,
        interval_seconds: float = NOTE_INTERVAL_SECONDS,
        check_every_seconds: float = CHECK_EVERY_SECONDS,
    ):
        self.db = db
        self.interval = timedelta(seconds=interval_seconds)
        self.check_every = check_every_seconds
        self._next_check = 0.0  # monotonic; the worker's loop asks far more often than needed

    def _due(self) -> list[int]:
        before = clock.now() - self.interval
        with self.db.transaction() as session:
            return list(
                session.scalars(
                    select(SourceIncident.id)
                    .join(IncidentSource, IncidentSource.id == SourceIncident.source_id)
                    .join(Incident, Incident.id == SourceIncident.incident_id)
                    .where(
                        IncidentSource.kind == SourceKind.PAGERDUTY,
                        IncidentSource.notes_api_token != "",
                        SourceIncident.state == ProposalState.DECLARED,
                        Incident.state == "active",
                        or_(SourceIncident.impact_note_at.is_(None), SourceIncident.impact_note_at < before),
                    )
                    .order_by(SourceIncident.id)
                    .limit(20)
                )
            )

    def run_once(self) -> int:
        """Post the notes that are due; returns how many were posted."""
        if time.monotonic() < self._next_check:
            return 0
        self._next_check = time.monotonic() + self.check_every
        posted = 0
        for seen_id in self._due():
            posted += self._note(seen_id)
        return posted

    def _note(self, seen_id: int) -> int:
        now = clock.now()
        with self.db.transaction() as session:
            taken = session.execute(  # an UPDATE: its result is a cursor with a row count
                update(SourceIncident)
                .where(
                    SourceIncident.id == seen_id,
                    or_(
                        SourceIncident.impact_note_at.is_(None),
                        SourceIncident.impact_note_at < now - self.interval,
                    ),
                )
                .values(impact_note_at=now)
            )
            if cast(CursorResult[Any], taken).rowcount != 1:  # another worker has this slot
                return 0
            seen = session.get(SourceIncident, seen_id)
            source = session.get(IncidentSource, seen.source_id) if seen else None
            incident = session.get(Incident, seen.incident_id) if seen and seen.incident_id else None
            if seen is None or source is None or incident is None:
                return 0
            health = incident_health(session, [incident])[0]
            reached = session.scalar(
                select(func.count(Recipient.id)).where(
                    Recipient.incident_id == incident.id, Recipient.state == "sent"
                )
            )
            impact = Impact(health.linked, health.unsolved, health.oldest_unsolved_at, reached or 0)
            text = impact_note(impact, now)
            if text is None or impact_key(impact) == seen.impact_note_key:
                return 0
            notes = PagerDutyNotes(source.notes_api_token, source.notes_from, source.notes_api_url)
            external_id, incident_id, source_id = seen.external_id, incident.id, source.id
        try:
            notes.add_note(external_id, text)
        except NoteRefused as refused:  # the slot stays taken: the next interval tries again
            log.warning("impact note for incident %s not posted: %s", incident_id, refused)
            with self.db.transaction() as session:
                record(
                    session,
                    "source.impact_note_failed",
                    incident_id=incident_id,
                    detail={"source_id": source_id, "error": str(refused)},
                )
            return 0
        with self.db.transaction() as session:
            session.execute(
                update(SourceIncident)
                .where(SourceIncident.id == seen_id)
                .values(impact_note_key=impact_key(impact))
            )
            record(
                session,
                "source.impact_note",
                incident_id=incident_id,
                detail={"source_id": source_id, "note": text},
            )
        return 1
