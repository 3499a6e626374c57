"""Add a note to a PagerDuty incident: ``POST {api}/incidents/{id}/notes`` with
``{"note": {"content": ...}}``, an account API key (``Authorization: Token token=<key>``), the
v2 ``Accept`` header and ``From`` (the e-mail of a user on the account), as PagerDuty's OpenAPI
document says (operation ``createIncidentNote`` in https://github.com/PagerDuty/api-schema,
``reference/REST/openapiv3.json``).
A note made here comes back as an ``incident.annotated`` webhook, which IncidentDesk ignores."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import requests

DEFAULT_API_URL = "https://api.pagerduty.com"
ACCEPT = "application/vnd.pagerduty+json;version=2"
TIMEOUT_SECONDS = 10


class NoteRefused(Exception):
    """PagerDuty did not take the note; ``retryable`` for 429, 5xx and network failures."""

    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class PagerDutyNotes:
    api_token: str
    from_email: str
    api_url: str = DEFAULT_API_URL

    def add_note(self, incident_id: str, content: str) -> str:
        """Post the note; returns the id PagerDuty gave it."""
        try:
            answer = requests.post(
                f"{self.api_url.rstrip('/')}/incidents/{quote(incident_id, safe='')}/notes",
                json={"note": {"content": content}},
                headers={
                    "Authorization": f"Token token={self.api_token}",
                    "Accept": ACCEPT,
                    "From": self.from_email,
                },
                timeout=TIMEOUT_SECONDS,
            )
        except requests.RequestException as exc:
            raise NoteRefused(f"PagerDuty did not answer: {type(exc).__name__}", retryable=True) from None
        if answer.status_code >= 300:
            retryable = answer.status_code == 429 or answer.status_code >= 500
            raise NoteRefused(f"PagerDuty answered {answer.status_code}", retryable=retryable)
        note = answer.json().get("note") or {}
        return str(note.get("id", ""))
