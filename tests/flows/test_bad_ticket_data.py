"""Bad data in one ticket never holds up another: a NUL character in a subject (which PostgreSQL
cannot store in text) is answered like any other ticket, and so are its neighbours."""

import pytest

from tests.factories import declare_checkout_incident, link_state
from tests.helpers import start_service, wait_for


@pytest.fixture
def running(database_url, sandbox, helpdesk):
    service = start_service(database_url, sandbox, helpdesk)
    yield service
    service.stop()


def test_a_nul_in_a_subject_is_answered_and_does_not_delay_its_neighbours(running):
    declare_checkout_incident(running.services)
    odd = running.create_ticket("checkout fails", subject="Checkout\x00 broken", email="odd@example.com")
    fine = running.create_ticket("checkout fails too", subject="Checkout", email="fine@example.com")
    for ticket_id in (odd, fine):
        wait_for(
            lambda ticket_id=ticket_id: (link_state(running, ticket_id) or ("",))[0] == "linked", timeout=15
        )
    for ticket_id in (odd, fine):
        replies = [c["body"] for c in running.comments(ticket_id)[1:] if c["public"]]
        assert len(replies) == 1 and replies[0].startswith("Hi Dana, checkout is down")
