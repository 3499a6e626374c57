"""The customer's recent tickets as the glance counts and says them."""

from __future__ import annotations

from dataclasses import replace

from service.domain.linking.facts import TicketFacts
from service.domain.linking.glance import at_a_glance, earlier_tickets

FACTS = TicketFacts(id=7, subject="Checkout", description="fails", status="new", requester_id=3)


def test_the_ticket_itself_is_not_an_earlier_one_and_solved_ones_are_not_open():
    counted = earlier_tickets(7, {7: "new", 1: "open", 2: "pending", 3: "solved", 4: "closed"})
    assert (counted.total, counted.open, counted.at_least) == (4, 2, False)


def test_the_line_says_the_count_and_when_it_is_only_a_floor():
    one = replace(FACTS, earlier_tickets=earlier_tickets(7, {1: "hold"}))
    assert "1 ticket in the last 90 days, 1 open" in at_a_glance(one, (), 0, ())
    capped = replace(FACTS, earlier_tickets=earlier_tickets(7, {1: "solved", 2: "new"}, complete=False))
    assert "at least 2 tickets in the last 90 days, 1 open" in at_a_glance(capped, (), 0, ())
    assert "last 90 days" not in at_a_glance(FACTS, (), 0, ())  # the helpdesk could not tell
