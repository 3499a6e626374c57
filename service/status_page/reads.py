"""What the public pages read: a cheap version of a public incident (or of the index) to key
the cache on, and the incident as customers may see it. Only public incidents are found; only
titles, stages, status texts and times are read, never links, notes, rules or names."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.orm import Session

from service.domain.status_page.pages import PublicIncident, StatusVersion, public_incident
from service.models import Incident, StatusUpdate


@dataclass(frozen=True)
class PageVersion:
    """Changes whenever the page could: a status update, a resolve or reopen (a new status
    version), any change to the incident's row (title, public, slug, state)."""

    incident_id: int
    updated_at: datetime
    last_status_version: int | None


# Built once: the page's version is read on every request, so the statement is compiled once
# (SQLAlchemy caches it) and run on a plain connection, without an ORM session.
_LAST_VERSION = (
    select(func.max(StatusUpdate.version))
    .where(StatusUpdate.incident_id == Incident.id)
    .correlate(Incident)
    .scalar_subquery()
)
_VERSIONS = select(Incident.id, Incident.updated_at, _LAST_VERSION).where(Incident.public.is_(True))
_PAGE_VERSION = _VERSIONS.where(Incident.public_slug == bindparam("slug"))
_INDEX_VERSIONS = _VERSIONS.where(Incident.state == "active").order_by(Incident.id)


def page_version(connection: Connection, slug: str) -> PageVersion | None:
    """The public incident at this slug's version; None when there is none or it is hidden."""
    row = connection.execute(_PAGE_VERSION, {"slug": slug}).first()
    return PageVersion(row[0], row[1], row[2]) if row else None


def index_version(connection: Connection) -> tuple[PageVersion, ...]:
    """The versions of every public active incident, oldest declared first."""
    return tuple(PageVersion(row[0], row[1], row[2]) for row in connection.execute(_INDEX_VERSIONS))


def written_locales(session: Session, incident_id: int) -> tuple[tuple[str, ...], str]:
    """The languages the incident's status was ever written in, and its default language."""
    default = session.scalar(select(Incident.default_locale).where(Incident.id == incident_id)) or "en"
    texts = session.scalars(select(StatusUpdate.texts).where(StatusUpdate.incident_id == incident_id))
    return tuple(sorted({code for t in texts for code in t})), default


def load_public_incident(session: Session, incident_id: int, locale: str) -> PublicIncident:
    incident = session.get(Incident, incident_id)
    assert incident is not None and incident.public_slug is not None
    versions: Sequence[StatusVersion] = [
        StatusVersion(s.version, s.stage, dict(s.texts), s.created_at) for s in incident.status_updates
    ]
    return public_incident(
        slug=incident.public_slug,
        title=incident.title,
        state=incident.state,
        default_locale=incident.default_locale,
        versions=versions,
        locale=locale,
        url=incident.public_page_url or "",
        started_at=incident.started_at or incident.created_at,
        resolved_at=incident.resolved_at,
    )
