"""The status page as documents for machines: an Atom feed (RFC 4287, written with the standard
library's ElementTree) and a JSON object, per incident and for the index of public incidents."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from service.domain.status_page.pages import PublicIncident, PublicUpdate

ATOM_NS = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM_NS)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# How a stage is called in a language: ``label(stage, locale)``.
StageLabel = Callable[[str, str], str]


def iso(moment: datetime | None) -> str | None:
    """UTC, to the second, with a 'Z': '2026-12-02T13:30:00Z'."""
    if moment is None:
        return None
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; every one stored is UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _element(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
    child = ET.SubElement(parent, f"{{{ATOM_NS}}}{name}", attributes)
    if text is not None:
        child.text = text
    return child


def _feed(
    *, feed_id: str, title: str, self_url: str, page_url: str, updated: datetime | None, lang: str
) -> ET.Element:
    feed = ET.Element(f"{{{ATOM_NS}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": lang})
    _element(feed, "id", feed_id)
    _element(feed, "title", title)
    _element(feed, "updated", iso(updated or EPOCH))
    _element(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _element(feed, "link", rel="alternate", type="text/html", href=page_url)
    _element(_element(feed, "author"), "name", title)
    return feed


def _entry(feed: ET.Element, incident: PublicIncident, update: PublicUpdate, label: StageLabel) -> None:
    entry = _element(feed, "entry")
    _element(entry, "id", f"{incident.url}#v{update.version}")
    _element(entry, "title", f"{label(update.stage, update.locale)}: {incident.title}")
    _element(entry, "updated", iso(update.at))
    _element(entry, "link", rel="alternate", type="text/html", href=incident.url)
    content = _element(entry, "content", update.text, type="text")
    content.set("{http://www.w3.org/XML/1998/namespace}lang", update.locale)


def _serialise(feed: ET.Element) -> bytes:
    data: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return data


def incident_feed(incident: PublicIncident, *, self_url: str, label: StageLabel) -> bytes:
    """One entry per public update, newest first."""
    feed = _feed(
        feed_id=incident.url,
        title=incident.title,
        self_url=self_url,
        page_url=incident.url,
        updated=incident.updated_at,
        lang=incident.locale,
    )
    for update in incident.updates:
        _entry(feed, incident, update, label)
    return _serialise(feed)


def index_feed(
    incidents: Sequence[PublicIncident],
    *,
    title: str,
    self_url: str,
    page_url: str,
    lang: str,
    label: StageLabel,
) -> bytes:
    """One entry per public active incident: its current update."""
    newest = max((i.updated_at for i in incidents if i.updated_at), default=None)
    feed = _feed(
        feed_id=page_url, title=title, self_url=self_url, page_url=page_url, updated=newest, lang=lang
    )
    for incident in incidents:
        if incident.updates:
            _entry(feed, incident, incident.updates[0], label)
    return _serialise(feed)


def _update_document(update: PublicUpdate) -> dict[str, object]:
    return {
        "version": update.version,
        "stage": update.stage,
        "text": update.text,
        "locale": update.locale,
        "direction": update.direction,
        "at": iso(update.at),
    }


def incident_document(incident: PublicIncident) -> dict[str, object]:
    return {
        "slug": incident.slug,
        "url": incident.url,
        "title": incident.title,
        "state": incident.state,
        "stage": incident.stage,
        "locale": incident.locale,
        "direction": incident.direction,
        "started_at": iso(incident.started_at),
        "updated_at": iso(incident.updated_at),
        "resolved_at": iso(incident.resolved_at),
        "resolution": _update_document(incident.resolution) if incident.resolution else None,
        "updates": [_update_document(u) for u in incident.updates],
    }


def index_document(incidents: Sequence[PublicIncident]) -> dict[str, object]:
    """The public active incidents, each with its current update."""
    return {
        "incidents": [
            {
                "slug": i.slug,
                "url": i.url,
                "title": i.title,
                "state": i.state,
                "stage": i.stage,
                "updated_at": iso(i.updated_at),
                "current": _update_document(i.updates[0]) if i.updates else None,
            }
            for i in incidents
        ]
    }
