"""The status reply a customer gets: the incident's status text in their language, with their
first name, the incident's title, the time of the status and its public page filled in. Written once; the
pipeline, the broadcast, a manual link and the sidebar all ask here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from service.domain.text.locales import pick_text
from service.domain.text.templates import first_name, render

STATUS_TIME_FORMAT = "%Y-%m-%d %H:%M UTC"


def status_reply(
    texts: Mapping[str, str],
    locale: str | None,
    default_locale: str,
    *,
    requester_name: str,
    incident_title: str,
    status_time: datetime | None,
    status_page_url: str,
) -> tuple[str, str]:
    """(the locale chosen, the reply) for a requester whose language is ``locale``."""
    chosen, text = pick_text(texts, locale, default_locale)
    values = {
        "first_name": first_name(requester_name),
        "incident_title": incident_title,
        "status_time": status_time.strftime(STATUS_TIME_FORMAT) if status_time else "",
        "status_page_url": status_page_url,
    }
    return chosen, render(text, values)


def helpdesk_status_text(
    text: str,
    *,
    first_name_placeholder: str,
    incident_title: str,
    status_time: datetime | None,
    status_page_url: str,
) -> str:
    """The status text as stored in the helpdesk (the macro's dynamic content), for agents to
    apply by hand: the first name becomes the helpdesk's own placeholder, the rest is filled."""
    values = {
        "incident_title": incident_title,
        "status_time": status_time.strftime(STATUS_TIME_FORMAT) if status_time else "",
        "status_page_url": status_page_url,
    }
    return render(text, values, trusted={"first_name": first_name_placeholder})
