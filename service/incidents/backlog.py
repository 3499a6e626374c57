"""Where the backlog stands, for management: each active incident's figures and the totals, as
the dashboard shows them and as the API gives them (JSON, and CSV for a spreadsheet)."""

from __future__ import annotations

from dataclasses import asdict, astuple, dataclass, fields
from datetime import datetime

from sqlalchemy.orm import Session

from service.incidents.lifecycle_reads import incident_health
from service.incidents.store import active_incidents


@dataclass(frozen=True)
class BacklogRow:
    incident_id: int
    title: str
    severity: str
    declared_at: datetime
    linked: int
    unsolved: int
    earliest_unanswered_contact: datetime | None  # the customer's first contact, among the unsolved
    unlinked_by_agents: int
    broadcasts_running: int


COLUMNS = tuple(f.name for f in fields(BacklogRow))


@dataclass(frozen=True)
class Backlog:
    generated_at: datetime
    rows: tuple[BacklogRow, ...]

    @property
    def unsolved(self) -> int:
        return sum(r.unsolved for r in self.rows)

    @property
    def earliest_unanswered_contact(self) -> datetime | None:
        contacts = [r.earliest_unanswered_contact for r in self.rows if r.earliest_unanswered_contact]
        return min(contacts) if contacts else None

    def as_json(self) -> dict[str, object]:
        def stamp(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "generated_at": stamp(self.generated_at),
            "incidents": [
                {
                    **asdict(r),
                    "declared_at": stamp(r.declared_at),
                    "earliest_unanswered_contact": stamp(r.earliest_unanswered_contact),
                }
                for r in self.rows
            ],
            "totals": {
                "active_incidents": len(self.rows),
                "linked": sum(r.linked for r in self.rows),
                "unsolved": self.unsolved,
                "earliest_unanswered_contact": stamp(self.earliest_unanswered_contact),
            },
        }

    def csv_rows(self) -> list[tuple[object, ...]]:
        return [astuple(r) for r in self.rows]


def backlog(session: Session, now: datetime) -> Backlog:
    """Every active incident, newest first, with its linked and unsolved tickets."""
    incidents = sorted(active_incidents(session), key=lambda i: (i.created_at, i.id), reverse=True)
    return Backlog(
        generated_at=now,
        rows=tuple(
            BacklogRow(
                incident_id=h.incident.id,
                title=h.incident.title,
                severity=h.incident.severity,
                declared_at=h.incident.created_at,
                linked=h.linked,
                unsolved=h.unsolved,
                earliest_unanswered_contact=h.oldest_unsolved_at,
                unlinked_by_agents=h.unlinked,
                broadcasts_running=h.broadcasts_running,
            )
            for h in incident_health(session, incidents)
        ),
    )
