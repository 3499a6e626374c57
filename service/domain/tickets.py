"""Facts about helpdesk tickets that every room shares, written once."""

from __future__ import annotations

# Zendesk's ticket statuses: these four are still being worked on; the other two are finished
# (a closed ticket can no longer be changed at all).
OPEN_STATUSES = frozenset({"new", "open", "pending", "hold"})
SOLVED_STATUSES = frozenset({"solved", "closed"})


def version_tag(incident_tag: str, version: int) -> str:
    """The tag that says a ticket got status version ``version`` of the incident tagged ``incident_tag``."""
    return f"{incident_tag}_v{version}"
