"""Apply ticket changes through the helpdesk port in bulk, and wait for the jobs to finish."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

from integrations.base import HelpdeskError, HelpdeskPort, JobResult, TicketChange

BULK_LIMIT = 100


@dataclass
class BulkOutcome:
    """Per ticket: None when applied, otherwise the error. ``retry_after`` from the helpdesk."""

    errors: dict[int, str | None] = field(default_factory=dict)
    retryable: set[int] = field(default_factory=set)
    calls: int = 0

    def succeeded(self) -> list[int]:
        return [t for t, e in self.errors.items() if e is None]


class Executor:
    def __init__(self, helpdesk: HelpdeskPort, *, job_poll_seconds: float = 0.2,
                 job_timeout_seconds: float = 300.0, sleep: Callable[[float], None] = time.sleep):
        self.helpdesk = helpdesk
        self.job_poll_seconds = job_poll_seconds
        self.job_timeout_seconds = job_timeout_seconds
        self.sleep = sleep

    def apply(self, changes: Sequence[TicketChange]) -> BulkOutcome:
        """Start every chunk's job first, then poll them all: the helpdesk works on them in parallel."""
        outcome = BulkOutcome()
        started: list[tuple[JobResult, list[int]]] = []
        for start in range(0, len(changes), BULK_LIMIT):
            chunk = list(changes[start:start + BULK_LIMIT])
            ids = [c.ticket_id for c in chunk]
            try:
                outcome.calls += 1
                started.append((self.helpdesk.update_many(chunk), ids))
            except HelpdeskError as exc:
                self._fail(outcome, ids, str(exc), exc.retryable)
        for job, ids in started:
            self._settle(outcome, job, ids)
        return outcome

    def _fail(self, outcome: BulkOutcome, ids: list[int], error: str, retryable: bool) -> None:
        for ticket_id in ids:
            outcome.errors[ticket_id] = error
            if retryable:
                outcome.retryable.add(ticket_id)

    def _settle(self, outcome: BulkOutcome, job: JobResult, ids: list[int]) -> None:
        deadline = time.monotonic() + self.job_timeout_seconds
        try:
            while not job.finished:
                if time.monotonic() > deadline:
                    self._fail(outcome, ids, f"job {job.id} did not finish in {self.job_timeout_seconds:.0f} s", True)
                    return
                self.sleep(self.job_poll_seconds)
                outcome.calls += 1
                job = self.helpdesk.job_status(job.id)
        except HelpdeskError as exc:
            self._fail(outcome, ids, f"polling job {job.id}: {exc}", exc.retryable)
            return
        by_ticket = {r.ticket_id: r for r in job.results if r.ticket_id is not None}
        for position, ticket_id in enumerate(ids):
            result = by_ticket.get(ticket_id)
            if result is None and position < len(job.results) and job.results[position].ticket_id is None:
                result = job.results[position]
            if result is not None and result.success:
                outcome.errors[ticket_id] = None
            elif result is not None:
                self._fail(outcome, [ticket_id], result.error or "the helpdesk refused the change", True)
            elif job.status == "completed":
                self._fail(outcome, [ticket_id], f"job {job.id} reported no result for this ticket", True)
            else:
                self._fail(outcome, [ticket_id], f"job {job.id} {job.status}: {job.message or 'no detail'}", True)
