"""The one clock: timezone-aware UTC. Everything that stamps or compares a time asks here."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)
