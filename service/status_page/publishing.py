"""Making an incident public (or not) at ``/status/<slug>``: the slug is made from the title
unless the admin gives one, is unique, and stays when the page is hidden, so a link that was
sent keeps working if the page is shown again."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from integrations.base import HelpdeskPort
from service.audit import record
from service.domain.errors import Conflict
from service.domain.status_page.pages import MAX_SLUG_LENGTH, clean_slug, slug_for_title, status_page_url
from service.incidents.status import publish_safely
from service.models import Incident


def _slug_taken(session: Session, slug: str, incident_id: int) -> bool:
    return (
        session.scalar(select(Incident.id).where(Incident.public_slug == slug, Incident.id != incident_id))
        is not None
    )


def _free_slug(session: Session, incident: Incident) -> str:
    """The title's slug, with '-2', '-3' ... when another incident has it."""
    base = slug_for_title(incident.title)
    slug, n = base, 1
    while _slug_taken(session, slug, incident.id):
        n += 1
        suffix = f"-{n}"
        slug = base[: MAX_SLUG_LENGTH - len(suffix)] + suffix
    return slug


def set_public(
    session: Session,
    helpdesk: HelpdeskPort | None,
    incident: Incident,
    *,
    public: bool,
    slug: str | None,
    base_url: str,
    actor: str,
) -> Incident:
    """Show or hide the incident's page. ``base_url`` is the service's public address; the
    page's address is fixed from it now, for ``{{status_page_url}}`` in texts sent later. The
    status macro is published again so that agents' replies carry the link (or lose it)."""
    if slug is not None and slug.strip():
        wanted = clean_slug(slug)
        if _slug_taken(session, wanted, incident.id):
            raise Conflict(f"Another incident's page is already at /status/{wanted}: choose another address.")
        incident.public_slug = wanted
    elif incident.public_slug is None:
        incident.public_slug = _free_slug(session, incident)
    incident.public = bool(public)
    incident.public_page_url = status_page_url(base_url, incident.public_slug)
    try:
        with session.begin_nested():  # the unique slug decides between two admins at once
            session.flush()
    except IntegrityError:
        raise Conflict("Another incident took this page address just now: choose another.") from None
    status = incident.current_status
    if status is not None and incident.state == "active":
        publish_safely(session, helpdesk, incident, dict(status.texts), actor=actor, version=status.version)
    record(
        session,
        "incident.public",
        actor=actor,
        incident_id=incident.id,
        detail={"public": incident.public, "slug": incident.public_slug},
    )
    return incident
