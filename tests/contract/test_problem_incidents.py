"""``problem_incidents`` through the real zenpy adapter, over HTTP against the sandbox: every
page of a problem's incidents, only its own, and refusals for a missing ticket or too many pages."""

import time

import pytest

from integrations.base import Comment, HelpdeskError, NewTicket
from integrations.zendesk import problem_incidents as listing


def new(n: int, **extra) -> NewTicket:
    return NewTicket(f"Subject {n}", Comment(f"hello {n}", True), f"u{n}@example.com", f"User {n}", **extra)


def _created(helpdesk, tickets: list[NewTicket]) -> list[int]:
    job = helpdesk.create_many(tickets)
    deadline = time.monotonic() + 10
    while not job.finished and time.monotonic() < deadline:
        time.sleep(0.05)
        job = helpdesk.job_status(job.id)
    assert job.status == "completed" and all(r.success for r in job.results)
    return [r.ticket_id for r in job.results]


def test_every_page_of_a_problems_incidents_and_only_its_own(helpdesk, monkeypatch):
    monkeypatch.setattr(listing, "PAGE_SIZE", 2)  # five incidents over three real pages
    problem = helpdesk.create_problem_ticket("Checkout outage", "Known problem", ("p",))
    other_problem = helpdesk.create_problem_ticket("Another outage", "Another", ("q",))
    ours = _created(helpdesk, [new(n, type="incident", problem_id=problem) for n in range(5)])
    theirs = _created(helpdesk, [new(9, type="incident", problem_id=other_problem), new(10)])

    found = helpdesk.problem_incidents(problem)

    assert [t.id for t in found] == sorted(ours)
    assert all(t.type == "incident" and t.problem_id == problem for t in found)
    assert found[0].subject == "Subject 0" and found[0].requester_id is not None
    assert not set(theirs) & {t.id for t in found}
    assert helpdesk.problem_incidents(other_problem)[0].id == theirs[0]
    assert helpdesk.problem_incidents(theirs[1]) == []  # a ticket that is no problem has none


def test_a_missing_ticket_is_a_404_and_too_many_pages_are_refused_whole(helpdesk, monkeypatch):
    with pytest.raises(HelpdeskError) as missing:
        helpdesk.problem_incidents(987654)
    assert missing.value.status == 404 and not missing.value.retryable

    problem = helpdesk.create_problem_ticket("Big outage", "Known problem", ("p",))
    _created(helpdesk, [new(n, type="incident", problem_id=problem) for n in range(3)])
    monkeypatch.setattr(listing, "PAGE_SIZE", 1)
    monkeypatch.setattr(listing, "MAX_PAGES", 2)
    with pytest.raises(HelpdeskError, match="more than 2") as too_many:
        helpdesk.problem_incidents(problem)
    assert not too_many.value.retryable
