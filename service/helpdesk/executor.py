"""Apply ticket changes through the helpdesk port in bulk, and wait for the jobs to finish."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from integrations.base import HelpdeskError, HelpdeskPort, JobResult, TicketChange
from service.helpdesk.budget import MAX_JOBS_IN_FLIGHT
from service.helpdesk.job_watch import JobWatch

# While its jobs run, a write wakes at least this often to call its heartbeat and check deadlines.
HEARTBEAT_SECONDS = 1.0


@dataclass
class BulkOutcome:
    """Per ticket: None when applied, otherwise the error; ``writes``: bulk updates submitted
    (their jobs' polls are the process's ``JobWatch``'s, shared with every other write).

    ``uncertain`` holds tickets whose write may or may not have landed (the request timed out or
    failed after Zendesk may have accepted it, or its job did not finish in time). Callers must
    not simply write them again: they settle them later from what the helpdesk shows."""

    errors: dict[int, str | None] = field(default_factory=dict)
    uncertain: set[int] = field(default_factory=set)
    writes: int = 0

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


class BulkWrite:
    """Changes under way: bulk jobs submitted while the process has fewer than
    ``MAX_JOBS_IN_FLIGHT`` running (Zendesk allows about 30 at once), the rest as jobs finish. ``wait`` for the outcome;
    several writes may run at once, their jobs polled together."""

    def __init__(
        self,
        executor: Executor,
        changes: Sequence[TicketChange],
        on_submitted: Callable[[str, list[int]], None] | None,
    ):
        self._executor = executor
        self._on_submitted = on_submitted
        size = executor.helpdesk.bulk_update_limit
        self._waiting = deque(list(changes[i : i + size]) for i in range(0, len(changes), size))
        self._running: dict[str, tuple[list[int], float]] = {}  # job id -> its tickets, deadline
        self.outcome = BulkOutcome()
        self._submit_more()

    def wait(self, heartbeat: Callable[[], None] | None = None) -> BulkOutcome:
        """Until every change is settled; ``heartbeat()`` is called about every second while
        jobs run."""
        executor = self._executor
        while self._running or self._waiting:
            # With the process's jobs at Zendesk's limit, waiting for any of them to finish.
            for job in executor.watch.wait(list(self._running), HEARTBEAT_SECONDS):
                self._settle(job, self._running.pop(job.id)[0])
            if heartbeat:
                heartbeat()
            now = time.monotonic()
            late = [job_id for job_id, (_, deadline) in self._running.items() if now > deadline]
            executor.watch.forget(late)
            for job_id in late:
                ids, _ = self._running.pop(job_id)
                error = f"job {job_id} did not finish in {executor.job_timeout_seconds:.0f} s"
                self._fail(ids, error, uncertain=True)
            self._submit_more()
        return self.outcome

    def _submit_more(self) -> None:
        executor = self._executor
        while self._waiting and executor.watch.running() < MAX_JOBS_IN_FLIGHT:
            chunk = self._waiting.popleft()
            ids = [c.ticket_id for c in chunk]
            self.outcome.writes += 1
            try:
                job = executor.helpdesk.update_many(chunk)
            except HelpdeskError as exc:
                self._fail(ids, str(exc), uncertain=_ambiguous(exc))
                continue
            if job.finished:
                self._settle(job, ids)
                continue
            self._running[job.id] = (ids, time.monotonic() + executor.job_timeout_seconds)
            executor.watch.watch(job.id)
            if self._on_submitted:
                self._on_submitted(job.id, ids)

    def _fail(self, ids: list[int], error: str, uncertain: bool = False) -> None:
        for ticket_id in ids:
            self.outcome.errors[ticket_id] = error
            if uncertain:
                self.outcome.uncertain.add(ticket_id)

    def _settle(self, job: JobResult, ids: list[int]) -> None:
        by_ticket = {r.ticket_id: r for r in job.results if r.ticket_id is not None}
        for position, ticket_id in enumerate(ids):
            result = by_ticket.get(ticket_id)
            if result is None and position < len(job.results) and job.results[position].ticket_id is None:
                result = job.results[position]
            if result is not None and result.success:
                self.outcome.errors[ticket_id] = None
            elif result is not None:
                self._fail([ticket_id], result.error or "the helpdesk refused the change")
            elif job.status == "completed":
                self._fail([ticket_id], f"job {job.id} reported no result for this ticket", uncertain=True)
            else:
                self._fail([ticket_id], f"job {job.id} {job.status}: {job.message or 'no detail'}")


class Executor:
    """Applies ticket changes in bulk. ``watch`` is the process's one ``JobWatch``, so every
    executor's jobs are polled together; an executor on its own gets its own."""

    def __init__(
        self,
        helpdesk: HelpdeskPort,
        *,
        job_poll_seconds: float = 0.2,
        job_timeout_seconds: float = 300.0,
        watch: JobWatch | None = None,
    ):
        self.helpdesk = helpdesk
        self.job_timeout_seconds = job_timeout_seconds
        self.watch = watch or JobWatch(helpdesk, first_pause=job_poll_seconds)

    def start(
        self, changes: Sequence[TicketChange], *, on_submitted: Callable[[str, list[int]], None] | None = None
    ) -> BulkWrite:
        """Submit the changes' bulk jobs now; ``on_submitted(job_id, ticket_ids)`` hears of each
        job still running when submitted. ``wait()`` on the answer for the outcome."""
        return BulkWrite(self, changes, on_submitted)

    def apply(
        self,
        changes: Sequence[TicketChange],
        *,
        on_submitted: Callable[[str, list[int]], None] | None = None,
        heartbeat: Callable[[], None] | None = None,
    ) -> BulkOutcome:
        """``start`` and ``wait``."""
        return self.start(changes, on_submitted=on_submitted).wait(heartbeat)

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
        outcome.writes += second.writes
        unsolved = {}
        for ticket_id, error in second.errors.items():
            if error is None:
                unsolved[ticket_id] = refused[ticket_id]
            outcome.errors[ticket_id] = error
            if ticket_id in second.uncertain:
                outcome.uncertain.add(ticket_id)
        return outcome, unsolved
