"""Apply ticket changes through the helpdesk port in bulk, and wait for the jobs to finish."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from integrations.base import HelpdeskError, HelpdeskPort, JobResult, TicketChange
from service.helpdesk.budget import MAX_JOBS_IN_FLIGHT

# A job still running is asked about again after a pause half as long again as the last, from
# ``job_poll_seconds`` up to this: a job Zendesk finishes at once costs one poll, one it starts
# 5 s late about seven instead of twenty-five, each a request of the plan's budget.
JOB_POLL_GROWTH = 1.5
JOB_POLL_MAX_SECONDS = 2.0


def poll_pauses(first: float) -> Iterator[float]:
    """The pauses between one job's (or one round of jobs') polls, growing from ``first``."""
    pause = first
    while True:
        yield pause
        pause = max(first, min(pause * JOB_POLL_GROWTH, JOB_POLL_MAX_SECONDS))


@dataclass
class BulkOutcome:
    """Per ticket: None when applied, otherwise the error; ``calls`` made to the helpdesk.

    ``uncertain`` holds tickets whose write may or may not have landed (the request timed out or
    failed after Zendesk may have accepted it, or its job did not finish in time). Callers must
    not simply write them again: they settle them later from what the helpdesk shows."""

    errors: dict[int, str | None] = field(default_factory=dict)
    uncertain: set[int] = field(default_factory=set)
    calls: int = 0

    def succeeded(self) -> list[int]:
        return [t for t, e in self.errors.items() if e is None]

    def refused(self) -> dict[int, str]:
        """Tickets the helpdesk definitely did not change, with why."""
        return {t: e for t, e in self.errors.items() if e and t not in self.uncertain}


def is_gone(error: str) -> bool:
    """The helpdesk refused because the ticket is closed or deleted: later changes will fail too."""
    return any(word in error.lower() for word in ("closed", "notfound", "not found"))


def _ambiguous(exc: HelpdeskError) -> bool:
    """No answer, or a server error: the request may have been carried out. A 429 or another
    4xx means Zendesk did not accept it."""
    return exc.status is None or exc.status >= 500


class Executor:
    def __init__(
        self,
        helpdesk: HelpdeskPort,
        *,
        job_poll_seconds: float = 0.2,
        job_timeout_seconds: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.helpdesk = helpdesk
        self.job_poll_seconds = job_poll_seconds
        self.job_timeout_seconds = job_timeout_seconds
        self.sleep = sleep

    def apply(
        self,
        changes: Sequence[TicketChange],
        *,
        on_submitted: Callable[[str, list[int]], None] | None = None,
        heartbeat: Callable[[], None] | None = None,
    ) -> BulkOutcome:
        """Submit bulk jobs (at most ``MAX_JOBS_IN_FLIGHT`` at once, as Zendesk allows about 30)
        and poll every running job with one ``show_many`` call per round, the rounds further
        apart while the same jobs run (``poll_pauses``). ``on_submitted(job_id,
        ticket_ids)`` hears of each job still running when submitted; ``heartbeat()`` is called
        every round while jobs run."""
        outcome = BulkOutcome()
        size = self.helpdesk.bulk_update_limit
        waiting = deque(list(changes[i : i + size]) for i in range(0, len(changes), size))
        running: dict[str, tuple[list[int], float]] = {}
        pauses = poll_pauses(self.job_poll_seconds)
        while waiting or running:
            while waiting and len(running) < MAX_JOBS_IN_FLIGHT:
                chunk = waiting.popleft()
                ids = [c.ticket_id for c in chunk]
                outcome.calls += 1
                try:
                    job = self.helpdesk.update_many(chunk)
                except HelpdeskError as exc:
                    self._fail(outcome, ids, str(exc), uncertain=_ambiguous(exc))
                    continue
                if job.finished:
                    self._settle(outcome, job, ids)
                else:
                    running[job.id] = (ids, time.monotonic() + self.job_timeout_seconds)
                    pauses = poll_pauses(self.job_poll_seconds)  # a new job: asked about soon
                    if on_submitted:
                        on_submitted(job.id, ids)
            if running:
                self.sleep(next(pauses))
                if heartbeat:
                    heartbeat()
                self._poll(outcome, running)
        return outcome

    def apply_solving(self, changes: Sequence[TicketChange]) -> tuple[BulkOutcome, dict[int, str]]:
        """Like ``apply``, for changes that solve their tickets. Zendesk refuses a solve whole (no
        assignee, an empty field required to solve), comment included; each refused ticket gets
        its change again without the status, so the customer still receives the message.
        Returns the outcome and, per ticket that got the message but stays unsolved, Zendesk's
        reason."""
        outcome = self.apply(changes)
        refused = outcome.refused()
        again = [
            replace(c, status=None, assignee_id=None, group_id=None)  # the message, nothing else
            for c in changes
            if c.status == "solved" and c.ticket_id in refused and not is_gone(refused[c.ticket_id])
        ]
        if not again:
            return outcome, {}
        second = self.apply(again)
        outcome.calls += second.calls
        unsolved = {}
        for ticket_id, error in second.errors.items():
            if error is None:
                unsolved[ticket_id] = refused[ticket_id]
            outcome.errors[ticket_id] = error
            if ticket_id in second.uncertain:
                outcome.uncertain.add(ticket_id)
        return outcome, unsolved

    def _poll(self, outcome: BulkOutcome, running: dict[str, tuple[list[int], float]]) -> None:
        outcome.calls += 1
        try:
            jobs = self.helpdesk.job_statuses(list(running))
        except HelpdeskError:
            jobs = []  # the jobs run on regardless; the deadline below still applies
        for job in jobs:
            if job.id in running and job.finished:
                ids, _ = running.pop(job.id)
                self._settle(outcome, job, ids)
        now = time.monotonic()
        for job_id, (ids, deadline) in list(running.items()):
            if now > deadline:
                self._fail(
                    outcome,
                    ids,
                    f"job {job_id} did not finish in {self.job_timeout_seconds:.0f} s",
                    uncertain=True,
                )
                del running[job_id]

    def _fail(self, outcome: BulkOutcome, ids: list[int], error: str, uncertain: bool = False) -> None:
        for ticket_id in ids:
            outcome.errors[ticket_id] = error
            if uncertain:
                outcome.uncertain.add(ticket_id)

    def _settle(self, outcome: BulkOutcome, job: JobResult, ids: list[int]) -> None:
        by_ticket = {r.ticket_id: r for r in job.results if r.ticket_id is not None}
        for position, ticket_id in enumerate(ids):
            result = by_ticket.get(ticket_id)
            if result is None and position < len(job.results) and job.results[position].ticket_id is None:
                result = job.results[position]
            if result is not None and result.success:
                outcome.errors[ticket_id] = None
            elif result is not None:
                self._fail(outcome, [ticket_id], result.error or "the helpdesk refused the change")
            elif job.status == "completed":
                self._fail(
                    outcome, [ticket_id], f"job {job.id} reported no result for this ticket", uncertain=True
                )
            else:
                self._fail(outcome, [ticket_id], f"job {job.id} {job.status}: {job.message or 'no detail'}")
