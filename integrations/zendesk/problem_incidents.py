"""A problem ticket's incidents: ``GET /api/v2/tickets/{id}/incidents``, every page.

Zendesk's "List Ticket Incidents" (the OpenAPI snapshot's ``ListTicketIncidents``: agents only,
"Cursor pagination (recommended)", answered as ``{"tickets": [...]}``) is read by cursor,
``page[size]=100`` and ``page[after]`` from ``meta.after_cursor`` while ``meta.has_more`` says
so. A problem with more incidents than ``MAX_PAGES`` hold is refused whole: adopting half of
them would leave customers unanswered without anyone knowing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from integrations.base import HelpdeskError, HelpdeskTicket
from integrations.zendesk.conversions import ticket_from_zendesk

PAGE_SIZE = 100  # Zendesk's largest page
MAX_PAGES = 100  # 10,000 incidents of one problem


def problem_incidents(get_json: Callable[[str], dict[str, Any]], problem_id: int) -> list[HelpdeskTicket]:
    """``get_json(path)``: one GET under ``/api/v2/`` answered as JSON (a refusal raised by it)."""
    query: dict[str, object] = {"page[size]": PAGE_SIZE}
    found: dict[int, HelpdeskTicket] = {}
    for _ in range(MAX_PAGES):
        answer = get_json(f"tickets/{int(problem_id)}/incidents.json?{urlencode(query)}")
        for item in answer.get("tickets") or ():
            ticket = ticket_from_zendesk(item)
            found.setdefault(ticket.id, ticket)
        meta = answer.get("meta") or {}
        if not meta.get("has_more") or not meta.get("after_cursor"):
            return sorted(found.values(), key=lambda t: t.id)
        query["page[after]"] = meta["after_cursor"]
    raise HelpdeskError(
        f"incidents of problem {problem_id}: more than {MAX_PAGES * PAGE_SIZE}; link them in smaller groups",
        retryable=False,
    )
