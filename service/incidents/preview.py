"""Rules preview: which of the helpdesk's recent tickets the rules would match and why, and the near
misses with the one reason each. Shared by the rules editor page and the REST API."""

from __future__ import annotations

from datetime import datetime

from integrations.base import HelpdeskPort
from service import clock
from service.domain.linking.evaluation import Preview, preview
from service.domain.linking.facts import TicketFacts
from service.domain.linking.rules import validate_rule
from service.helpdesk.batch import ticket_facts

RECENT_QUERY = "created>24hours"
RECENT_LIMIT = 200
SHOWN = 20


def recent_tickets(helpdesk: HelpdeskPort) -> list[TicketFacts]:
    """Tickets created in the last 24 hours (newest first, at most ``RECENT_LIMIT``), with their
    requesters; problem tickets (the incidents' own) left out. Raises HelpdeskError."""
    tickets = [t for t in helpdesk.search_tickets(RECENT_QUERY, limit=RECENT_LIMIT) if t.type != "problem"]
    requester_ids = sorted({t.requester_id for t in tickets if t.requester_id})
    users = {u.id: u for u in helpdesk.get_users(requester_ids)} if requester_ids else {}
    return [ticket_facts(t, users.get(t.requester_id), None) for t in tickets]


def preview_rules(
    raw_rules: list[tuple[str, object]], tickets: list[TicketFacts], now: datetime | None = None
) -> Preview:
    """``raw_rules`` already checked by ``clean_rules`` (so every rule validates)."""
    now = now or clock.now()
    specs = [validate_rule(kind, value, now=now) for kind, value in raw_rules]
    emails = {t.requester_id: t.requester_email for t in tickets if t.requester_id and t.requester_email}
    return preview(specs, tickets, requester_emails=emails, limit=SHOWN)


def preview_json(result: Preview) -> dict:
    def row(item) -> dict:
        return {
            "ticket_id": item.ticket_id,
            "subject": item.subject,
            "why": item.verdict.why,
            "failing_kinds": list(item.verdict.failing_kinds),
        }

    return {
        "tickets_checked": result.ticket_count,
        "match_count": result.match_count,
        "near_miss_count": result.near_miss_count,
        "matches": [row(m) for m in result.matches],
        "near_misses": [row(n) for n in result.near_misses],
    }
