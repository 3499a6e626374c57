"""A batch's requesters' recent tickets in a bounded number of searches.

One ``GET /api/v2/search`` query per group of requesters,
``type:ticket requester:<id> requester:<id> … created>YYYY-MM-DD``, newest first, read page by
page: Zendesk's search returns at most 1,000 results (10 pages of 100) per query
(https://developer.zendesk.com/documentation/ticketing/using-the-zendesk-api/searching-with-the-zendesk-api/,
"Search Response Limits"), so a batch costs at most ``REQUESTERS_PER_QUERY``-sized groups ×
``MAX_PAGES`` calls, whatever the number of tickets. Repeating a keyword with different values
is read as "any of them" (see the sandbox README, "Customer at a glance").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from integrations.base import RecentTickets

REQUESTERS_PER_QUERY = 50  # keeps the query string well under URL length limits
PAGE_SIZE = 100
MAX_PAGES = 10  # 10 × 100 = the 1,000 results Zendesk's search returns at most


def search_query(requester_ids: Sequence[int], since: datetime) -> str:
    terms = " ".join(f"requester:{i}" for i in requester_ids)
    return f"type:ticket {terms} created>{since:%Y-%m-%d}"


def recent_tickets(
    get_json: Callable[[str], dict[str, Any]], requester_ids: Sequence[int], since: datetime
) -> dict[int, RecentTickets]:
    """``get_json(path)``: one GET under ``/api/v2/`` answered as JSON. Every requester asked
    about gets an entry (empty when the search found nothing). A ticket created on ``since``'s
    day but before its time is left out, as the search's ``created>`` works by date."""
    ids = sorted({int(i) for i in requester_ids if i})
    found: dict[int, dict[int, str]] = {i: {} for i in ids}
    cut: set[int] = set()
    for start in range(0, len(ids), REQUESTERS_PER_QUERY):
        group = ids[start : start + REQUESTERS_PER_QUERY]
        query = search_query(group, since)
        for page in range(1, MAX_PAGES + 1):
            params = {"query": query, "sort_by": "created_at", "sort_order": "desc"}
            answer = get_json(f"search.json?{urlencode({**params, 'per_page': PAGE_SIZE, 'page': page})}")
            for result in answer.get("results") or ():
                requester = result.get("requester_id")
                created = datetime.fromisoformat(str(result.get("created_at")).replace("Z", "+00:00"))
                if requester in found and created >= since:
                    found[requester][int(result["id"])] = str(result.get("status") or "")
            if not answer.get("next_page"):
                break
        else:
            cut.update(group)  # the search had more than it returns: the counts are a floor
    return {i: RecentTickets(statuses=found[i], complete=i not in cut) for i in ids}
