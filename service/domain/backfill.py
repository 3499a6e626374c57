"""What a backfill decides without the database: its states, the window it searches, the inbox
key each ticket is stored under, and which of the matching tickets it hands to the pipeline.

A backfill finds the tickets created inside an incident's window that its rules match (a dry
run: counted and explained, nothing written), and on confirmation stores them in the inbox,
where the pipeline links and answers them as it does new tickets: batched, exactly once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from service.domain.tickets import SOLVED_STATUSES

# Without a start time, the window opens this long before the declaration.
DEFAULT_LOOKBACK = timedelta(hours=24)
# A dry run lists at most this many matching tickets, with why they match.
SAMPLE_SIZE = 20
# More candidates than this is not a backfill but a migration: narrow the window first.
MAX_CANDIDATES = 20_000


class BackfillState(StrEnum):
    COUNTING = "counting"  # the worker reads the window's tickets and judges them
    COUNTED = "counted"  # the dry run's figures are in; waiting for the admin's confirmation
    QUEUED = "queued"  # confirmed; the worker stores the tickets in the inbox
    RUNNING = "running"  # in the inbox; the pipeline links and answers them
    DONE = "done"
    FAILED = "failed"
    DISCARDED = "discarded"  # a counted dry run replaced by a newer count before it was applied


# The worker takes a backfill in these states; the others wait for a person or are over.
WORKER_STATES = (BackfillState.COUNTING, BackfillState.QUEUED, BackfillState.RUNNING)
UNFINISHED = (*WORKER_STATES, BackfillState.COUNTED)


def delivery_key(incident_id: int, ticket_id: int) -> str:
    """One key per incident and ticket: running the backfill again, or a crash while storing,
    stores nothing twice (and the pipeline never answers a linked ticket again anyway)."""
    return f"backfill:{incident_id}:{ticket_id}"


def window_start(started_at: datetime | None, declared_at: datetime) -> datetime:
    """The incident's start when it is known, else ``DEFAULT_LOOKBACK`` before the declaration."""
    return started_at if started_at is not None else declared_at - DEFAULT_LOOKBACK


def in_window(created_at: datetime | None, start: datetime, end: datetime) -> bool:
    return created_at is not None and start <= created_at <= end


def covers(complete_until: datetime | None, window_end: datetime) -> bool:
    """Whether the change feed has listed every change up to the window's end (Zendesk's
    export leaves out the latest minute; without its word, the end of the stream is taken)."""
    return complete_until is None or complete_until >= window_end


@dataclass(frozen=True)
class Candidate:
    """A ticket of the window (not a problem ticket) that the incident's rules match."""

    ticket_id: int
    status: str
    handled: bool  # linked (or unlinked) before, or already carrying an incident's tag


def skip_reason(candidate: Candidate) -> str | None:
    """Why the pipeline would not answer this matching ticket (None: it would): the same
    refusals as ``linking.decisions.decide``, said before anything is stored."""
    if candidate.handled:
        return "handled"
    if candidate.status in SOLVED_STATUSES:
        return "solved"
    return None


@dataclass(frozen=True)
class Tally:
    to_answer: tuple[int, ...]
    skipped: dict[str, int]


def tally(candidates: Iterable[Candidate]) -> Tally:
    answer: list[int] = []
    skipped = {"handled": 0, "solved": 0}
    for candidate in candidates:
        reason = skip_reason(candidate)
        if reason is None:
            answer.append(candidate.ticket_id)
        else:
            skipped[reason] += 1
    return Tally(tuple(answer), skipped)


def percent(done: int, total: int) -> int:
    return 100 if total <= 0 else min(100, done * 100 // total)
