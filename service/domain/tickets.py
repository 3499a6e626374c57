"""Facts about helpdesk tickets that every room shares, written once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# Zendesk's ticket statuses: these four are still being worked on; the other two are finished
# (a closed ticket can no longer be changed at all).
OPEN_STATUSES = frozenset({"new", "open", "pending", "hold"})
SOLVED_STATUSES = frozenset({"solved", "closed"})


# On every ticket a resolution solves: whether IncidentDesk's final message asked for a
# satisfaction rating, so the account's own survey automation can leave the ticket out (sent)
# or take it in (skipped) instead of surveying the customer twice.
SURVEY_SENT_TAG = "incidentdesk_survey_sent"
SURVEY_SKIPPED_TAG = "incidentdesk_survey_skipped"
# Zendesk renders this placeholder in the notification e-mail as the satisfaction survey.
SURVEY_PLACEHOLDER = "{{satisfaction.rating_section}}"


def asks_for_survey(texts: Mapping[str, str]) -> bool:
    """Whether a final message (its texts as sent) carries the survey."""
    return any(SURVEY_PLACEHOLDER in text for text in texts.values())


def version_tag(incident_tag: str, version: int) -> str:
    """The tag that says a ticket got status version ``version`` of the incident tagged ``incident_tag``."""
    return f"{incident_tag}_v{version}"


def version_in_tags(incident_tag: str, tags: Iterable[str]) -> int | None:
    """The newest status version ``tags`` say the ticket got, or None."""
    prefix = f"{incident_tag}_v"
    versions = [
        int(tag[len(prefix) :]) for tag in tags if tag.startswith(prefix) and tag[len(prefix) :].isdigit()
    ]
    return max(versions, default=None)
