"""A merge's helpdesk job and its record, written once for the merge stage's automatic merges and
the merges agents confirm from the sidebar: read the finished job's failure, mark it merged
with the same audit entry."""

from __future__ import annotations

from sqlalchemy.orm import Session

from integrations.base import JobResult
from service import clock, metrics
from service.audit import record
from service.domain.states import MergeState
from service.merging.models import Merge


def job_failure(job: JobResult) -> str | None:
    """Why a finished merge job did not merge, or None when it did."""
    failures = [r.error or "failed" for r in job.results if not r.success]
    if job.status != "completed" or failures:
        return f"merge job {job.id} {job.status}: {'; '.join(failures) or job.message or ''}"
    return None


def mark_merged(session: Session, row: Merge, job_id: str, *, actor: str = "incidentdesk") -> None:
    """The merge is done: its row says so and the audit log has it (``ticket.merged``)."""
    row.job_id = job_id
    row.state, row.merged_at = MergeState.MERGED, clock.now()
    metrics.MERGES.labels("incidentdesk" if actor == "incidentdesk" else "agent").inc()
    record(
        session,
        "ticket.merged",
        actor=actor,
        incident_id=row.incident_id,
        ticket_id=row.source_ticket_id,
        detail={
            "source_ticket_id": row.source_ticket_id,
            "target_ticket_id": row.target_ticket_id,
            "reason": row.reason,
            "job_id": job_id,
            "public_comments": row.public,
            "locale": row.locale,
            **row.evidence,
        },
    )
