"""When two active incidents match a ticket equally (as many phrases, as many rules), the more
specific match wins: longer phrases, and phrases fewer incidents share, before the declaration
order."""

from __future__ import annotations

from datetime import UTC, datetime

from service.domain.linking.decisions import LinkTicket, decide
from service.domain.linking.facts import IncidentFacts, TicketFacts
from service.domain.linking.matching import PhraseMatcher, PhraseRule


def incident(incident_id: int, phrases: tuple[str, ...], day: int) -> IncidentFacts:
    return IncidentFacts(
        id=incident_id,
        title=f"Incident {incident_id}",
        tag=f"incident_{incident_id}",
        problem_ticket_id=None,
        status_version=1,
        status_texts={"en": "We are on it."},
        created_at=datetime(2026, 12, day, tzinfo=UTC),
        phrases=phrases,
    )


def chosen(text: str, *incidents: IncidentFacts) -> int:
    by_id = {i.id: i for i in incidents}
    matcher = PhraseMatcher(PhraseRule(i.id, p) for i in incidents for p in i.phrases)
    ticket = TicketFacts(id=9, subject="Help", description=text, status="new", requester_id=1)
    decision = decide(ticket, by_id, matcher.match(text), frozenset())
    assert isinstance(decision, LinkTicket)
    return decision.incident_id


def test_a_longer_phrase_beats_a_common_word_declared_earlier():
    outage = incident(1, ("down",), day=1)  # declared first, a common word
    payments = incident(2, ("payment page down",), day=2)
    assert chosen("The payment page down since noon", outage, payments) == 2


def test_a_phrase_only_one_incident_has_beats_one_others_share():
    shop = incident(1, ("checkout",), day=1)  # declared first; "checkout" is shared with a third
    app = incident(2, ("refund",), day=2)  # one word too, but this incident's alone
    warehouse = incident(3, ("checkout", "warehouse"), day=3)
    assert chosen("checkout refund", shop, app, warehouse) == 2
    assert chosen("checkout refund", shop, warehouse) == 1  # without it: equal, so the earliest


def test_equal_specificity_still_goes_to_the_earliest_declared():
    first = incident(1, ("checkout fails",), day=1)
    second = incident(2, ("checkout fails",), day=2)
    assert chosen("checkout fails again", first, second) == 1
