"""How the customers of an incident rated its handling, against the account's baseline.

The baseline is every rating the account received over the same weeks: from four weeks before
the incident was declared to its resolution (or now, while it is active). The incident's own are
the ratings of its linked tickets from the same start on, including those given after the
resolution (which solves the tickets and asks for the survey). Comments are the customers' own
words, passed on as plain text for the page to escape.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

BASELINE_WEEKS = 4
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
    """The weeks the baseline covers: four weeks before the declaration to the resolution or now."""
    return declared_at - timedelta(weeks=BASELINE_WEEKS), resolved_at or now


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
    and the baseline, every rating given from ``since`` to ``until``."""
    rated = [r for r in ratings if since <= r.created_at and r.score in (GOOD, BAD)]
    ours = [r for r in rated if r.ticket_id in ticket_ids]
    within = [r for r in rated if r.created_at <= until]
    comments = sorted(
        (RatingComment(r.ticket_id, r.score, r.comment, r.created_at) for r in ours if r.comment.strip()),
        key=lambda c: (c.created_at, c.ticket_id),
        reverse=True,
    )
    return Satisfaction(since, until, _tally(ours), _tally(within), tuple(comments))
