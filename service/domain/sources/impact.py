"""What the incident commander is told about the customers: a note for the incident tool."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Impact:
    linked: int
    unsolved: int
    oldest_unsolved_at: datetime | None
    reached: int  # customers an outreach campaign wrote to


def _minutes(since: datetime, now: datetime) -> str:
    minutes = max(0, int((now - since).total_seconds() // 60))
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def impact_note(impact: Impact, now: datetime) -> str | None:
    """The note's text, or None while no customer is affected (a note then says nothing)."""
    if not impact.linked and not impact.reached:
        return None
    parts = [
        f"{impact.linked} customer ticket{'s' if impact.linked != 1 else ''} linked",
        f"{impact.unsolved} unsolved",
        f"{impact.reached} customer{'s' if impact.reached != 1 else ''} reached by outreach",
    ]
    if impact.oldest_unsolved_at is not None:
        parts.append(f"the oldest unsolved contact waits {_minutes(impact.oldest_unsolved_at, now)}")
    return "Customer impact (IncidentDesk): " + "; ".join(parts) + "."


def impact_key(impact: Impact) -> str:
    """What a new note must differ in: the counts (the wait alone grows every minute)."""
    return f"{impact.linked}/{impact.unsolved}/{impact.reached}"
