"""Reads and writes of the source tables: add, list, find by delivery URL, delete."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.audit import record
from service.domain.errors import NotFound
from service.domain.sources.decisions import ProposalState
from service.domain.sources.drafts import InvalidSource, SourceDraft
from service.domain.sources.events import SourceKind
from service.models import Incident
from service.sources.models import IncidentSource, SourceIncident

SOURCE_PREFIX = "source:"  # an inbox row's ``source`` for an incident source's delivery


@dataclass(frozen=True)
class NewSource:
    """What the admin is shown once: the delivery URL's token and, for a generic source, the
    secret made here. Neither is shown again."""

    source: IncidentSource
    path_token: str
    generated_secret: str | None


def path_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def inbox_source(source_id: int) -> str:
    return f"{SOURCE_PREFIX}{source_id}"


def source_id_of(inbox_value: str) -> int | None:
    if not inbox_value.startswith(SOURCE_PREFIX):
        return None
    return int(inbox_value.removeprefix(SOURCE_PREFIX))


def add_source(session: Session, draft: SourceDraft, *, actor: str) -> NewSource:
    if session.get(Incident, draft.template_incident_id) is None:
        raise InvalidSource({"template_incident_id": [f"There is no incident {draft.template_incident_id}."]})
    generated = (
        secrets.token_urlsafe(32) if draft.kind == SourceKind.GENERIC and not draft.signing_secret else None
    )
    token = secrets.token_urlsafe(32)
    source = IncidentSource(
        kind=draft.kind.value,
        name=draft.name,
        covers=draft.covers,
        locale=draft.locale,
        auto_declare=draft.auto_declare,
        auto_resolve=draft.auto_resolve,
        broadcast_updates=draft.broadcast_updates,
        template_incident_id=draft.template_incident_id,
        signing_secret=generated or draft.signing_secret,
        notes_api_url=draft.notes_api_url,
        notes_api_token=draft.notes_api_token,
        notes_from=draft.notes_from,
        path_hash=path_hash(token),
        created_by=actor,
    )
    session.add(source)
    session.flush()
    record(
        session,
        "source.added",
        actor=actor,
        detail={"source_id": source.id, "kind": source.kind, "name": source.name},
    )
    return NewSource(source=source, path_token=token, generated_secret=generated)


def list_sources(session: Session) -> list[IncidentSource]:
    return list(session.scalars(select(IncidentSource).order_by(IncidentSource.id)))


def get_source(session: Session, source_id: int) -> IncidentSource:
    source = session.get(IncidentSource, source_id)
    if source is None:
        raise NotFound(f"There is no source {source_id}.")
    return source


def source_for_token(session: Session, token: str) -> IncidentSource | None:
    # Looked up by the token's hash: the comparison never runs over the secret itself.
    return session.scalar(select(IncidentSource).where(IncidentSource.path_hash == path_hash(token)))


def delete_source(session: Session, source_id: int, *, actor: str) -> None:
    """The source and its proposals go; incidents it declared stay, as any incident does."""
    source = get_source(session, source_id)
    record(session, "source.deleted", actor=actor, detail={"source_id": source.id, "name": source.name})
    for seen in session.scalars(select(SourceIncident).where(SourceIncident.source_id == source_id)):
        session.delete(seen)
    session.delete(source)


def waiting_for_a_click(session: Session) -> list[SourceIncident]:
    """Proposed incidents and proposed resolutions, oldest first."""
    return list(
        session.scalars(
            select(SourceIncident)
            .where(
                (SourceIncident.state == ProposalState.PENDING)
                | (SourceIncident.resolution_pending.is_(True))
            )
            .order_by(SourceIncident.id)
        )
    )


def get_seen(session: Session, seen_id: int) -> SourceIncident:
    seen = session.get(SourceIncident, seen_id)
    if seen is None:
        raise NotFound(f"There is no proposal {seen_id}.")
    return seen


@dataclass(frozen=True)
class DeclaredHere:
    """An active incident a source declared, and the languages its current status still lacks
    (the vendor wrote in one; the lead translates, or lets the fallback answer)."""

    seen: SourceIncident
    incident: Incident
    waiting_for: tuple[str, ...]


def declared_active(session: Session) -> list[DeclaredHere]:
    rows = session.execute(
        select(SourceIncident, Incident)
        .join(Incident, Incident.id == SourceIncident.incident_id)
        .where(SourceIncident.state == ProposalState.DECLARED, Incident.state == "active")
        .order_by(SourceIncident.id)
    ).all()
    return [DeclaredHere(seen, incident, waiting_translations(incident)) for seen, incident in rows]


def waiting_translations(incident: Incident) -> tuple[str, ...]:
    """The incident's languages (those any of its statuses was written in) that its current
    status lacks: a vendor's update came in one language."""
    written = set(incident.current_status.texts) if incident.current_status else set()
    used = {code for status in incident.status_updates for code in status.texts}
    return tuple(sorted(used - written))


def declared_by_a_source(session: Session, incident_id: int) -> bool:
    return (
        session.scalar(
            select(SourceIncident.id).where(
                SourceIncident.incident_id == incident_id, SourceIncident.state == ProposalState.DECLARED
            )
        )
        is not None
    )
