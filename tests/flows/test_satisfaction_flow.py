"""Declare -> customers write in and are linked; other customers' tickets are solved and rated
-> resolve (the incident's tickets solved) -> their customers rate -> the report's shares against
the baseline, through the sandbox over HTTP with the worker running."""

import time

import pytest
import requests

from service.incidents.report import report
from service.incidents.satisfaction import RatingsCache
from service.incidents.status import resolve_incident
from service.incidents.store import get_incident
from tests.factories import declare_checkout_incident, link_state
from tests.helpers import start_service, wait_for


@pytest.fixture
def running(database_url, sandbox, helpdesk):
    service = start_service(database_url, sandbox, helpdesk)
    yield service
    service.stop()


def rate(sandbox, ticket_id: int, score: str, comment: str = "") -> None:
    answer = requests.post(
        f"{sandbox.url}/_sandbox/tickets/{ticket_id}/satisfaction_rating",
        json={"satisfaction_rating": {"score": score, "comment": comment}},
        timeout=5,
    )
    assert answer.status_code == 200, answer.text


def test_customers_ratings_of_the_incident_against_everyone_elses(running, sandbox):
    incident_id, _, _ = declare_checkout_incident(running.services)
    ours = [running.create_ticket("checkout fails", email=f"c{n}@example.com") for n in range(3)]
    others = [
        running.create_ticket("Where is my parcel?", subject="Parcel", email=f"p{n}@example.com")
        for n in range(2)
    ]
    for ticket_id in ours:
        wait_for(lambda ticket_id=ticket_id: (link_state(running, ticket_id) or ("",))[0] == "linked")
    # While the incident lasts, other customers' tickets are solved and rated.
    for ticket_id in others:
        assert link_state(running, ticket_id) is None
        solved = running.api.put(
            f"{sandbox.url}/api/v2/tickets/{ticket_id}.json", json={"ticket": {"status": "solved"}}, timeout=5
        )
        assert solved.status_code == 200, solved.text
        rate(sandbox, ticket_id, "good")
    with running.services.db.transaction() as session:
        resolve_incident(
            session,
            running.services.helpdesk,
            get_incident(session, incident_id),
            {"en": "Fixed."},
            actor="lead",
        )
    for ticket_id in ours:
        wait_for(lambda ticket_id=ticket_id: running.ticket(ticket_id)["status"] == "solved")

    # After the resolution the incident's customers rate; those count, though the baseline's weeks
    # end at the resolution (ratings are stamped to the second: rate in a later one).
    time.sleep(1.1)
    rate(sandbox, ours[0], "good", "Fast answer")
    rate(sandbox, ours[1], "bad", "<img src=x onerror=alert(1)>")
    rate(sandbox, ours[2], "bad")

    with running.services.db.transaction() as session:
        found = report(session, get_incident(session, incident_id), running.services.helpdesk, RatingsCache())
    figures = dict(found.figures())
    assert (figures["satisfaction_rated"], figures["satisfaction_good_percent"]) == (3, 33.3)
    assert (figures["baseline_rated"], figures["baseline_good_percent"]) == (2, 100.0)
    assert found.satisfaction is not None
    assert [c.text for c in found.satisfaction.comments] == ["<img src=x onerror=alert(1)>", "Fast answer"]
