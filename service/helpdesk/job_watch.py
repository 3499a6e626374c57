"""Every bulk job a process has running, asked about together.

Whoever submits a job hands it to the process's one ``JobWatch`` and waits for its result; a
single thread asks Zendesk about all the running jobs in one ``job_statuses`` call a round (up
to 100 a request), so two batches with jobs running at once share their polls instead of
paying for them twice. Each job is asked about on its own schedule (``poll_pauses``: soon after
it is submitted, then further apart while it runs); a round asks about every running job,
due or not, since the call costs the same, and each job's next ask is then a pause away, so
the jobs of batches submitted close together fall into the same rounds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from integrations.base import HelpdeskError, HelpdeskPort, JobResult

log = logging.getLogger("incidentdesk.jobs")

# A job still running is asked about again after a pause half as long again as the last, from
# the first pause up to this: a job Zendesk finishes at once costs one poll, one it starts
# 5 s late about seven instead of twenty-five, each a request of the plan's budget.
JOB_POLL_GROWTH = 1.5
JOB_POLL_MAX_SECONDS = 2.0
# How long the process's jobs have been taking lately (from being watched to being seen
# finished), smoothed over the last few: a new job is first asked about once most of that has
# passed, then from a tenth of it on, growing. Jobs Zendesk starts 5 s late then cost two or
# three polls, not seven; after a slow stretch a prompt job waits a little longer for its first
# ask, less with each prompt job after it.
TYPICAL_SMOOTHING = 0.3
FIRST_ASK_SHARE = 0.9


def poll_pauses(first: float) -> Iterator[float]:
    """The pauses between one job's polls, growing from ``first``."""
    pause = first
    while True:
        yield pause
        pause = max(first, min(pause * JOB_POLL_GROWTH, JOB_POLL_MAX_SECONDS))


@dataclass
class _Watched:
    pauses: Iterator[float]
    due: float  # monotonic time of its next poll
    since: float  # monotonic time it was handed to the watch


class JobWatch:
    def __init__(self, helpdesk: HelpdeskPort, *, first_pause: float = 0.2):
        self.helpdesk = helpdesk
        self.first_pause = first_pause
        self._changed = threading.Condition()
        self._running: dict[str, _Watched] = {}
        self._finished: dict[str, JobResult] = {}
        self._thread: threading.Thread | None = None
        self.typical_seconds = 0.0  # how long jobs have been taking lately (TYPICAL_SMOOTHING)
        self._seen_one = False

    def watch(self, job_id: str) -> None:
        """Start asking about ``job_id``; ``wait`` hands its result over once it has finished."""
        with self._changed:
            pauses = poll_pauses(max(self.first_pause, self.typical_seconds / 10))
            first = max(next(pauses), FIRST_ASK_SHARE * self.typical_seconds)
            now = time.monotonic()
            self._running[job_id] = _Watched(pauses, now + first, now)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._poll_rounds, name="incidentdesk-jobs", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()

    def wait(self, job_ids: Iterable[str], timeout: float) -> list[JobResult]:
        """The finished jobs of ``job_ids``, as soon as one of them has finished or after
        ``timeout`` seconds (then maybe none); each finished job is handed over once."""
        wanted = set(job_ids)
        with self._changed:
            if not wanted:  # none of one's own: until the next round or job
                self._changed.wait(timeout)
                return []
            self._changed.wait_for(lambda: not wanted.isdisjoint(self._finished), timeout)
            return [self._finished.pop(job_id) for job_id in wanted & set(self._finished)]

    def forget(self, job_ids: Iterable[str]) -> None:
        """Stop asking about jobs their waiter has given up on."""
        with self._changed:
            for job_id in job_ids:
                self._running.pop(job_id, None)
                self._finished.pop(job_id, None)

    def running(self) -> int:
        with self._changed:
            return len(self._running)

    def _poll_rounds(self) -> None:
        while True:
            with self._changed:
                while True:
                    if not self._running:
                        self._thread = None
                        return
                    wait = min(w.due for w in self._running.values()) - time.monotonic()
                    if wait <= 0:
                        break
                    self._changed.wait(wait)
                asked = list(self._running)
            self._poll(asked)

    def _poll(self, job_ids: list[str]) -> None:
        try:
            jobs = self.helpdesk.job_statuses(job_ids)
        except HelpdeskError as exc:  # the jobs run on regardless; their waiters' deadlines apply
            log.warning("asking about %d jobs failed: %s", len(job_ids), exc)
            jobs = []
        except Exception:  # never let the watch die with jobs waiting on it
            log.exception("asking about %d jobs failed", len(job_ids))
            jobs = []
        now = time.monotonic()
        with self._changed:
            for job in jobs:
                if job.finished and (watched := self._running.pop(job.id, None)) is not None:
                    self._finished[job.id] = job
                    took = now - watched.since
                    share = TYPICAL_SMOOTHING if self._seen_one else 1.0  # the first one as it is
                    self.typical_seconds += share * (took - self.typical_seconds)
                    self._seen_one = True
            for job_id in job_ids:  # asked about, due or not: its next ask is a pause away
                watched = self._running.get(job_id)
                if watched is not None:
                    watched.due = now + next(watched.pauses)
            self._changed.notify_all()


def wait_until_finished(watch: JobWatch, jobs: Sequence[JobResult], seconds: float) -> list[JobResult]:
    """The jobs (in their order) once all have finished, or after ``seconds`` with the last
    state known of those still running."""
    latest = {job.id: job for job in jobs}
    running = {job.id for job in jobs if not job.finished}
    for job_id in running:
        watch.watch(job_id)
    deadline = time.monotonic() + seconds
    while running and (left := deadline - time.monotonic()) > 0:
        for job in watch.wait(running, min(left, 1.0)):
            latest[job.id] = job
            running.discard(job.id)
    watch.forget(running)
    return [latest[job.id] for job in jobs]
