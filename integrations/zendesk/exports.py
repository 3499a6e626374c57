"""Zendesk's long reads by cursor: the incremental ticket export (the reconciler's and the
backfill's change feed) and the satisfaction ratings of a time range.

Each takes ``get_json(path)``: one GET under ``/api/v2/`` answered as JSON, a refusal raised by it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from integrations.base import ChangedTicket, ChangedTicketsPage, HelpdeskError, SatisfactionRating

GetJson = Callable[[str], dict[str, Any]]

PAGE_SIZE = 100  # Zendesk's largest cursor page
MAX_RATING_PAGES = 100  # one read of satisfaction ratings: at most 10,000 of them
# The incremental exports leave out "items that were created or changed within the minute prior
# to your request" (developer.zendesk.com, Using the Incremental Export API).
EXPORT_EXCLUDES = timedelta(minutes=1)


def _moment(value: object) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def changed_tickets(
    get_json: GetJson, *, cursor: str | None, since: datetime, excludes: timedelta = EXPORT_EXCLUDES
) -> ChangedTicketsPage:
    """One page of the cursor-based incremental ticket export (10 requests a minute per
    account). At the end of the stream the page is complete up to when it was asked, less what
    the export leaves out (``excludes``)."""
    query = {"cursor": cursor} if cursor else {"start_time": int(since.timestamp())}
    asked_at = datetime.now(UTC)
    answer = get_json(f"incremental/tickets/cursor.json?{urlencode(query)}")
    end_of_stream = bool(answer.get("end_of_stream", True))
    return ChangedTicketsPage(
        tickets=tuple(
            ChangedTicket(
                id=int(t["id"]), updated_at=_moment(t["updated_at"]), status=str(t.get("status") or "")
            )
            for t in answer.get("tickets", [])
        ),
        cursor=str(answer.get("after_cursor") or cursor or ""),
        end_of_stream=end_of_stream,
        complete_until=asked_at - excludes if end_of_stream else None,
    )


def satisfaction_ratings(get_json: GetJson, *, since: datetime, until: datetime) -> list[SatisfactionRating]:
    """``GET /satisfaction_ratings`` with ``score=received`` (good and bad, with or without a
    comment) and the time range, by cursor, 100 a page, at most ``MAX_RATING_PAGES`` pages
    (more is refused rather than counted in part)."""
    query: dict[str, object] = {
        "score": "received",
        "start_time": int(since.timestamp()),
        "end_time": int(until.timestamp()),
        "page[size]": PAGE_SIZE,
    }
    ratings: list[SatisfactionRating] = []
    for _ in range(MAX_RATING_PAGES):
        answer = get_json(f"satisfaction_ratings.json?{urlencode(query)}")
        ratings.extend(
            SatisfactionRating(
                id=int(r["id"]),
                ticket_id=int(r["ticket_id"]),
                score=str(r["score"]),
                comment=str(r.get("comment") or ""),
                created_at=_moment(r["created_at"]),
                reason=r.get("reason") or None,
            )
            for r in answer.get("satisfaction_ratings", [])
            if r.get("ticket_id") is not None
        )
        meta = answer.get("meta") or {}
        if not meta.get("has_more") or not meta.get("after_cursor"):
            return ratings
        query["page[after]"] = meta["after_cursor"]
    raise HelpdeskError(
        f"satisfaction ratings: more than {MAX_RATING_PAGES * PAGE_SIZE} from {since:%Y-%m-%d}"
        f" to {until:%Y-%m-%d}; read a shorter range",
        retryable=False,
    )
