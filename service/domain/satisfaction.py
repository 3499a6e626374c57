"""How the customers of an incident rated its handling, against the account's baseline.

The baseline is every rating the account received over the same weeks: from four weeks before
the incident was declared to its resolution (or now, while it is active). The incident's own are
the ratings of its linked tickets from the same start on, including those given after the
resolution (which solves the tickets and asks for the survey), up to ``AFTER_WEEKS`` later.
Comments are the customers' own words, passed on as plain text for the page to escape.

Every read of the helpdesk is bounded: an incident's ratings are read over at most
``MAX_READ_WEEKS`` (an incident active longer is measured over its latest weeks only), so the
dashboard or an old incident's report never pages through years of ratings.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

BASELINE_WEEKS = 4
AFTER_WEEKS = 4  # ratings of the incident's tickets given this long after the resolution count
MAX_READ_WEEKS = 26  # the longest span one incident's figures read from the helpdesk
GOOD, BAD = "good", "bad"


class Rating(Protocol):
    @property
    def ticket_id(self) -> int: ...

    @property
    def score(self) -> str: ...

    @property
    def comment(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...


def window(declared_at: datetime, resolved_at: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """The weeks the baseline covers: four weeks before the declaration to the resolution or now,
    starting later for a long incident so that its read (``read_range``) stays within
    ``MAX_READ_WEEKS``."""
    until = resolved_at or now
    latest_start = until - timedelta(weeks=MAX_READ_WEEKS - AFTER_WEEKS)
    return max(declared_at - timedelta(weeks=BASELINE_WEEKS), latest_start), until


def read_range(since: datetime, until: datetime, now: datetime) -> tuple[datetime, datetime]:
    """What to read from the helpdesk for a window: its ratings and the incident's later ones."""
    return since, min(now, until + timedelta(weeks=AFTER_WEEKS))


@dataclass(frozen=True)
class Tally:
    good: int = 0
    bad: int = 0

    @property
    def rated(self) -> int:
        return self.good + self.bad

    @property
    def good_percent(self) -> float | None:
        return None if not self.rated else round(100 * self.good / self.rated, 1)

    @property
    def bad_percent(self) -> float | None:
        return None if not self.rated else round(100 * self.bad / self.rated, 1)


@dataclass(frozen=True)
class RatingComment:
    ticket_id: int
    score: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class Satisfaction:
    since: datetime
    until: datetime
    incident: Tally
    baseline: Tally
    comments: tuple[RatingComment, ...]  # the incident tickets' comments, newest first


def _tally(ratings: Iterable[Rating]) -> Tally:
    scores = [r.score for r in ratings]
    return Tally(good=scores.count(GOOD), bad=scores.count(BAD))


def measure(
    ratings: Iterable[Rating], ticket_ids: Collection[int], since: datetime, until: datetime
) -> Satisfaction:
    """Among ``ratings``: those of the incident's tickets (``ticket_ids``) given since ``since``,
    (up to ``AFTER_WEEKS`` after ``until``), and the baseline, every rating given from ``since``
    to ``until``."""
    late = until + timedelta(weeks=AFTER_WEEKS)
    rated = [r for r in ratings if since <= r.created_at and r.score in (GOOD, BAD)]
    ours = [r for r in rated if r.ticket_id in ticket_ids and r.created_at <= late]
    within = [r for r in rated if r.created_at <= until]
    comments = sorted(
        (RatingComment(r.ticket_id, r.score, r.comment, r.created_at) for r in ours if r.comment.strip()),
        key=lambda c: (c.created_at, c.ticket_id),
        reverse=True,
    )
    return Satisfaction(since, until, _tally(ours), _tally(within), tuple(comments))
