"""Moments as the house keeps them: aware, in UTC.

SQLite hands back naive datetimes (everything stored is UTC), PostgreSQL aware ones in the
session's zone, and some input comes without a zone (read as UTC): each becomes aware UTC here.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc_or_none(moment: datetime | None) -> datetime | None:
    return None if moment is None else utc(moment)
