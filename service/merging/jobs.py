"""A merge's helpdesk job and its record, written once for the merge stage's automatic merges and
the merges agents confirm from the sidebar: wait for the job, read its failure, mark it merged
with the same audit entry."""

from __future__ import annotations

import time

from sqlalchemy.orm import Session

from integrations.base import HelpdeskPort, JobResult
from service import clock, metrics
from service.audit import record
from service.domain.states import MergeState
from service.helpdesk.executor import poll_pauses
from service.merging.models import Merge
from service.settings import Settings


def wait_for_job(
    helpdesk: HelpdeskPort, settings: Settings, job: JobResult, *, seconds: float | None = None
) -> JobResult:
    """Poll the job, further apart as it runs (``poll_pauses``), until it finishes or
    ``seconds`` pass (``job_timeout_seconds`` unless given); the last state seen."""
    deadline = time.monotonic() + (settings.job_timeout_seconds if seconds is None else seconds)
    pauses = poll_pauses(settings.job_poll_seconds)
    while not job.finished and time.monotonic() < deadline:
        time.sleep(min(next(pauses), max(0.0, deadline - time.monotonic())))
        job = helpdesk.job_status(job.id)
    return job


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
