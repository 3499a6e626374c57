"""The zenpy adapter against the sandbox over HTTP: every port method IncidentDesk uses."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from integrations.base import Comment, HelpdeskError, HelpdeskNotFound, NewTicket, TicketChange
from service.helpdesk.executor import Executor
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN


def settle(helpdesk, job):
    deadline = time.monotonic() + 10
    while not job.finished and time.monotonic() < deadline:
        time.sleep(0.05)
        job = helpdesk.job_status(job.id)
    return job


def new(n: int, **extra) -> NewTicket:
    return NewTicket(
        subject=f"Subject {n}",
        comment=Comment(f"hello {n}", True),
        requester_email=f"u{n}@example.com",
        requester_name=f"User {n}",
        requester_locale="he",
        **extra,
    )


def test_create_many_then_read_back_tickets_users_and_jobs(helpdesk):
    job = settle(helpdesk, helpdesk.create_many([new(1, external_id="ext-1", tags=("a",)), new(2)]))
    assert job.status == "completed" and all(r.success for r in job.results)
    ids = [r.ticket_id for r in job.results]
    tickets = {t.id: t for t in helpdesk.get_tickets(ids + [999999])}
    assert set(tickets) == set(ids)  # a missing id is left out, not an error
    first = tickets[ids[0]]
    assert (first.subject, first.external_id, first.tags, first.channel) == (
        "Subject 1",
        "ext-1",
        ("a",),
        "api",
    )
    users = helpdesk.get_users([first.requester_id])
    assert users[0].email == "u1@example.com" and users[0].locale == "he"
    assert [t.id for t in helpdesk.tickets_by_external_id("ext-1")] == [ids[0]]
    assert [j.id for j in helpdesk.job_statuses([job.id])] == [job.id]


def test_update_many_adds_and_removes_tags_and_comments_per_ticket(helpdesk):
    ids = [
        r.ticket_id
        for r in settle(helpdesk, helpdesk.create_many([new(1, tags=("keep", "old")), new(2)])).results
    ]
    changes = [
        TicketChange(
            ticket_id=ids[0],
            add_tags=("x",),
            remove_tags=("old",),
            priority="urgent",
            comment=Comment("first", public=True),
        ),
        TicketChange(ticket_id=ids[1], add_tags=("y",), comment=Comment("second", public=False)),
    ]
    job = settle(helpdesk, helpdesk.update_many(changes))
    assert job.status == "completed" and {r.ticket_id for r in job.results if r.success} == set(ids)
    a, b = sorted(helpdesk.get_tickets(ids), key=lambda t: t.id)
    assert set(a.tags) == {"keep", "x"} and a.priority == "urgent" and set(b.tags) == {"y"}


def test_a_refused_solve_is_a_per_ticket_error_with_zendesks_reason(helpdesk, sandbox):
    requests.post(
        f"{sandbox.url}/_sandbox/account_settings",
        json={"tickets": {"assign_tickets_upon_solve": False}},
        timeout=5,
    ).raise_for_status()
    ids = [r.ticket_id for r in settle(helpdesk, helpdesk.create_many([new(1), new(2)])).results]
    agent = helpdesk.client.users.me().id
    requests.put(
        f"{sandbox.url}/api/v2/tickets/{ids[0]}.json",
        json={"ticket": {"assignee_id": agent}},
        auth=(f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN),
        timeout=5,
    ).raise_for_status()
    solve = [TicketChange(ticket_id=i, status="solved", comment=Comment("Fixed", public=True)) for i in ids]
    job = settle(helpdesk, helpdesk.update_many(solve))
    ok, refused = sorted(job.results, key=lambda r: r.ticket_id or 0)
    assert ok.success and not refused.success
    assert "Assignee: is required when solving a ticket" in (refused.error or "")
    with pytest.raises(HelpdeskError) as err:
        helpdesk.update_ticket(TicketChange(ticket_id=ids[1], status="solved"))
    assert err.value.status == 422 and not err.value.retryable
    assert "Assignee" in str(err.value)

    outcome, unsolved = Executor(helpdesk, job_poll_seconds=0.05).apply_solving(
        [TicketChange(ticket_id=ids[1], status="solved", comment=Comment("Final", public=True))]
    )
    assert outcome.succeeded() == [ids[1]] and list(unsolved) == [ids[1]]
    assert "Assignee" in unsolved[ids[1]]
    [unsolved_ticket] = helpdesk.get_tickets([ids[1]])
    assert unsolved_ticket.status != "solved"


def test_problem_link_is_set_and_cleared(helpdesk):
    problem = helpdesk.create_problem_ticket("[Incident] x", "body", ("incident_x",))
    [ticket_id] = [r.ticket_id for r in settle(helpdesk, helpdesk.create_many([new(1)])).results]
    helpdesk.update_ticket(TicketChange(ticket_id=ticket_id, type="incident", problem_id=problem))
    assert helpdesk.get_tickets([ticket_id])[0].problem_id == problem
    helpdesk.update_ticket(TicketChange(ticket_id=ticket_id, type="question", clear_problem=True))
    linked = helpdesk.get_tickets([ticket_id])[0]
    assert linked.problem_id is None and linked.type == "question"


def test_merge_search_and_missing_tickets(helpdesk):
    ids = [r.ticket_id for r in settle(helpdesk, helpdesk.create_many([new(1), new(1)])).results]
    job = settle(
        helpdesk,
        helpdesk.merge_tickets(
            ids[0],
            [ids[1]],
            target_comment="merged in",
            source_comment="closed",
            target_public=False,
            source_public=False,
        ),
    )
    assert job.status == "completed"
    assert helpdesk.get_tickets([ids[1]])[0].status == "closed"
    assert ids[0] in {t.id for t in helpdesk.search_tickets("status<solved")}
    assert [u.email for u in helpdesk.search_users("email:u1@example.com")] == ["u1@example.com"]
    with pytest.raises(HelpdeskNotFound):
        helpdesk.update_ticket(TicketChange(ticket_id=987654, add_tags=("x",)))


def test_status_content_and_macro(helpdesk, sandbox):
    item_id, placeholder = helpdesk.publish_status_content(
        "incident_x_status", {"en": "down", "he": "מושבת", "bg": "не работи"}, "en"
    )
    assert placeholder == "{{dc.incident_x_status}}"
    helpdesk.publish_status_content(
        "incident_x_status", {"en": "back", "he": "חזר", "bg": "работи"}, "en", item_id
    )
    macro_id = helpdesk.ensure_status_macro("Incident: x", "incident_x", placeholder)
    auth = (f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN)
    item = requests.get(
        f"{sandbox.url}/api/v2/dynamic_content/items/{item_id}.json", auth=auth, timeout=5
    ).json()
    assert sorted(v["content"] for v in item["item"]["variants"]) == sorted(["back", "חזר", "работи"])
    macro = requests.get(f"{sandbox.url}/api/v2/macros/{macro_id}.json", auth=auth, timeout=5).json()["macro"]
    assert {"field": "comment_value", "value": placeholder} in macro["actions"]


def test_each_thread_gets_its_own_zenpy_client(helpdesk):
    ids = [r.ticket_id for r in settle(helpdesk, helpdesk.create_many([new(n) for n in range(20)])).results]
    clients, errors = set(), []

    def read():
        try:
            clients.add(id(helpdesk.client))
            for _ in range(5):
                assert len(helpdesk.get_tickets(ids)) == 20
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(clients) == 4


def test_public_agent_replies_ignore_our_own_user_and_private_notes(helpdesk, sandbox):
    ids = [r.ticket_id for r in settle(helpdesk, helpdesk.create_many([new(1), new(2), new(3)])).results]
    auth = (f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN)
    agent = requests.post(
        f"{sandbox.url}/api/v2/users.json",
        auth=auth,
        timeout=5,
        json={"user": {"name": "Agent Avi", "email": "avi@shop.example", "role": "agent"}},
    ).json()["user"]["id"]
    for ticket_id, public in ((ids[0], True), (ids[1], False)):
        requests.put(
            f"{sandbox.url}/api/v2/tickets/{ticket_id}.json",
            auth=auth,
            timeout=5,
            json={"ticket": {"comment": {"body": "On it.", "public": public, "author_id": agent}}},
        )
    helpdesk.update_ticket(TicketChange(ticket_id=ids[2], comment=Comment("status from IncidentDesk", True)))
    assert helpdesk.public_agent_replies(ids) == {ids[0]}


def test_changed_tickets_page_through_the_incremental_export_and_resume(helpdesk, sandbox):
    requests.post(f"{sandbox.url}/_sandbox/limits", json={"incremental_exclusion_seconds": 0}, timeout=5)
    job = settle(helpdesk, helpdesk.create_many([new(1), new(2)]))
    ids = [r.ticket_id for r in job.results]
    time.sleep(1.1)  # the sandbox exports only whole seconds that have passed
    page = helpdesk.changed_tickets(cursor=None, since=datetime.now(UTC) - timedelta(hours=1))
    assert [t.id for t in page.tickets] == ids and page.end_of_stream and page.cursor
    assert {t.status for t in page.tickets} == {"new"} and page.tickets[0].updated_at.tzinfo is not None
    idle = helpdesk.changed_tickets(cursor=page.cursor, since=datetime.now(UTC))
    assert idle.tickets == () and idle.cursor == page.cursor and idle.end_of_stream

    helpdesk.update_ticket(TicketChange(ticket_id=ids[1], status="open"))
    time.sleep(1.1)
    later = helpdesk.changed_tickets(cursor=page.cursor, since=datetime.now(UTC))
    assert [(t.id, t.status) for t in later.tickets] == [(ids[1], "open")]


def test_changed_tickets_refused_past_the_exports_own_limit(helpdesk, sandbox):
    requests.post(f"{sandbox.url}/_sandbox/limits", json={"incremental_exports_per_minute": 1}, timeout=5)
    since = datetime.now(UTC) - timedelta(hours=1)
    helpdesk.changed_tickets(cursor=None, since=since)
    with pytest.raises(HelpdeskError) as refused:
        helpdesk.changed_tickets(cursor=None, since=since)
    assert refused.value.status == 429 and refused.value.retryable and refused.value.retry_after


def test_the_exports_own_429_does_not_pause_the_accounts_budget(sandbox):
    from integrations.zendesk.adapter import ZendeskAdapter
    from service.helpdesk.budget import LocalRateBudget

    budget = LocalRateBudget(600)
    helpdesk = ZendeskAdapter.connect("sandbox", DEMO_AGENT_EMAIL, DEMO_API_TOKEN, sandbox.url, budget=budget)
    requests.post(f"{sandbox.url}/_sandbox/limits", json={"incremental_exports_per_minute": 1}, timeout=5)
    since = datetime.now(UTC) - timedelta(hours=1)
    helpdesk.changed_tickets(cursor=None, since=since)
    with pytest.raises(HelpdeskError):
        helpdesk.changed_tickets(cursor=None, since=since)
    assert budget.try_take(time.time()) == 0  # the pipeline's next call is not held back


def test_satisfaction_ratings_are_read_page_by_page_for_a_time_range(helpdesk, sandbox):
    rated = {}
    for n in range(105):  # more than one page of 100
        ticket = requests.post(
            f"{sandbox.url}/_sandbox/tickets",
            json={
                "ticket": {
                    "subject": "s",
                    "status": "solved",
                    "comment": {"body": "b"},
                    "requester": {"name": "C", "email": f"r{n}@example.com"},
                }
            },
            timeout=5,
        ).json()["ticket"]
        day = "2026-03-01" if n < 104 else "2026-01-01"  # the last one is outside the range
        score = "bad" if n % 2 else "good"
        answer = requests.post(
            f"{sandbox.url}/_sandbox/tickets/{ticket['id']}/satisfaction_rating",
            json={
                "satisfaction_rating": {
                    "score": score,
                    "comment": f"<b>{n}</b>",
                    "created_at": f"{day}T10:00:00Z",
                }
            },
            timeout=5,
        )
        rated[ticket["id"]] = (score, day)
        assert answer.status_code == 200, answer.text
    requests.post(f"{sandbox.url}/_sandbox/counters/reset", timeout=5)
    found = helpdesk.satisfaction_ratings(
        since=datetime(2026, 2, 1, tzinfo=UTC), until=datetime(2026, 3, 2, tzinfo=UTC)
    )
    assert len(found) == 104 and {r.ticket_id for r in found} == {
        t for t, (_, d) in rated.items() if d == "2026-03-01"
    }
    assert all(r.score == rated[r.ticket_id][0] for r in found)
    assert found[0].comment == "<b>0</b>" and found[0].created_at == datetime(2026, 3, 1, 10, tzinfo=UTC)
    calls = requests.get(f"{sandbox.url}/_sandbox/counters", timeout=5).json()["calls"]
    assert calls == {"GET /api/v2/satisfaction_ratings": 2}


def test_reads_of_more_than_100_ids_stay_under_zendesks_per_call_limit(helpdesk, sandbox):
    """Zendesk answers 400 TooManyValues past 100 ids a call (the sandbox does too); the adapter
    splits 150 tickets, users and organisations into calls of 100 and 50."""
    ticket_ids = []
    for first in (0, 100):
        job = settle(helpdesk, helpdesk.create_many([new(n) for n in range(first, min(first + 100, 150))]))
        ticket_ids += [r.ticket_id for r in job.results]
    org_ids = []
    for n in range(150):
        answer = requests.post(
            f"{sandbox.url}/api/v2/organizations.json",
            json={"organization": {"name": f"Org {n}"}},
            auth=(f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN),
            timeout=5,
        )
        org_ids.append(answer.json()["organization"]["id"])
    requests.post(f"{sandbox.url}/_sandbox/counters/reset", timeout=5)
    tickets = helpdesk.get_tickets(ticket_ids)
    users = helpdesk.get_users([t.requester_id for t in tickets])
    organizations = helpdesk.get_organizations(org_ids)
    assert len(tickets) == len(users) == len(organizations) == 150
    calls = requests.get(f"{sandbox.url}/_sandbox/counters", timeout=5).json()["calls"]
    shows = {k: v for k, v in calls.items() if k.endswith("/show_many")}
    assert shows == {
        "GET /api/v2/tickets/show_many": 2,
        "GET /api/v2/users/show_many": 2,
        "GET /api/v2/organizations/show_many": 2,
    }


def test_bulk_updates_fit_an_update_ticket_limit_that_counts_their_tickets(sandbox):
    """The strict reading (the sandbox's ``update_many_counts_items``, the product's
    ``ZENDESK_UPDATE_MANY_COUNTS_ITEMS``): bulk updates carry at most our share of the Update
    Ticket limit, each of their tickets is taken from that share, and none is refused."""
    from integrations.base import TicketChange
    from integrations.zendesk.adapter import ZendeskAdapter
    from integrations.zendesk.update_limit import TicketUpdates
    from service.helpdesk.budget import LocalRateBudget
    from service.helpdesk.executor import Executor
    from tests.helpers import FakeClock

    clock = FakeClock()  # the share's second minute passes at once
    share = LocalRateBudget(40, clock=clock, sleep=clock.sleep)
    helpdesk = ZendeskAdapter.connect(
        "sandbox",
        DEMO_AGENT_EMAIL,
        DEMO_API_TOKEN,
        sandbox.url,
        ticket_updates=TicketUpdates(share, 40, counts_bulk_items=True),
    )
    assert helpdesk.bulk_update_limit == 40
    created = settle(helpdesk, helpdesk.create_many([new(n) for n in range(90)]))
    ids = [r.ticket_id for r in created.results]
    requests.post(
        f"{sandbox.url}/_sandbox/limits",
        json={"update_ticket_per_minute": 100, "update_many_counts_items": True},
        timeout=5,
    ).raise_for_status()
    requests.post(f"{sandbox.url}/_sandbox/counters/reset", timeout=5)
    outcome = Executor(helpdesk, job_poll_seconds=0.05).apply(
        [TicketChange(ticket_id=i, add_tags=("strict",)) for i in ids[:80]]
    )
    assert outcome.errors == dict.fromkeys(ids[:80])
    calls = requests.get(f"{sandbox.url}/_sandbox/counters", timeout=5).json()["calls"]
    assert calls["PUT /api/v2/tickets/update_many"] == 2  # 40 + 40, not one of 80
    assert 59 <= sum(clock.slept) <= 61  # 40 tickets, then a wait for the share's window, then 40
    assert share.used_this_window() == 40
    with pytest.raises(ValueError, match="1 to 40"):
        helpdesk.update_many([TicketChange(ticket_id=i, add_tags=("x",)) for i in ids[:41]])
    assert "strict" in helpdesk.get_tickets([ids[79]])[0].tags


def test_a_late_job_is_polled_further_apart_and_a_prompt_one_once(helpdesk, sandbox):
    ids = [r.ticket_id for r in settle(helpdesk, helpdesk.create_many([new(n) for n in range(3)])).results]
    asked: list[float] = []  # when the watch asked Zendesk about the jobs
    ask = helpdesk.job_statuses

    def job_statuses(job_ids):
        asked.append(time.monotonic())
        return ask(job_ids)

    def polls() -> int:
        calls = requests.get(f"{sandbox.url}/_sandbox/counters", timeout=5).json()["calls"]
        return calls.get("GET /api/v2/job_statuses/show_many", 0)

    helpdesk.job_statuses = job_statuses
    executor = Executor(helpdesk, job_poll_seconds=0.1)
    requests.post(f"{sandbox.url}/_sandbox/counters/reset", timeout=5)
    submitted = time.monotonic()
    assert executor.apply([TicketChange(ticket_id=i, add_tags=("quick",)) for i in ids]).succeeded() == ids
    assert polls() == len(asked) == 1 and asked[0] - submitted >= 0.1

    asked.clear()
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"job_delay_seconds": 3.0}, timeout=5)
    requests.post(f"{sandbox.url}/_sandbox/counters/reset", timeout=5)
    try:
        submitted = time.monotonic()
        assert executor.apply([TicketChange(ticket_id=i, add_tags=("late",)) for i in ids]).succeeded() == ids
    finally:
        requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=5)
    # 0.1, 0.15, 0.225, ... up to 2 s apart: about seven polls in the job's 3 s, not thirty.
    gaps = [b - a for a, b in zip([submitted, *asked], asked, strict=False)]
    assert gaps[0] >= 0.1 and gaps[1] >= 0.15 and gaps[2] >= 0.225
    # (the first gap holds the bulk update's own call; each later one a poll's answer and a pause)
    assert all(later >= earlier - 0.1 for earlier, later in zip(gaps[1:], gaps[2:], strict=False))
    assert max(gaps) <= 2.5 and asked[-1] - submitted >= 3.0
    assert polls() == len(asked) <= 9
    assert all("late" in t.tags for t in helpdesk.get_tickets(ids))


def test_two_writes_under_way_at_once_share_their_polls(helpdesk, sandbox):
    """Two batches' jobs, from two executors of one process, asked about in the same calls."""
    from service.helpdesk.job_watch import JobWatch

    ids = [r.ticket_id for r in settle(helpdesk, helpdesk.create_many([new(n) for n in range(4)])).results]
    watch = JobWatch(helpdesk, first_pause=0.1)
    first, second = (Executor(helpdesk, job_poll_seconds=0.1, watch=watch) for _ in range(2))
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"job_delay_seconds": 2.0}, timeout=5)
    requests.post(f"{sandbox.url}/_sandbox/counters/reset", timeout=5)
    try:
        notes = first.start([TicketChange(ticket_id=i, add_tags=("one",)) for i in ids[:2]])
        answers = second.start([TicketChange(ticket_id=i, add_tags=("two",)) for i in ids[2:]])
        assert watch.running() == 2
        assert (notes.wait().succeeded(), answers.wait().succeeded()) == (ids[:2], ids[2:])
    finally:
        requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=5)
    calls = requests.get(f"{sandbox.url}/_sandbox/counters", timeout=5).json()["calls"]
    assert calls["PUT /api/v2/tickets/update_many"] == 2
    # one job's worth of polls (0.1 s growing, for about 2 s: six or so), not two jobs' worth
    assert 3 <= calls["GET /api/v2/job_statuses/show_many"] <= 8
    assert watch.running() == 0
    tags = {t.id: t.tags for t in helpdesk.get_tickets(ids)}
    assert all("one" in tags[i] for i in ids[:2]) and all("two" in tags[i] for i in ids[2:])


def test_a_watch_that_has_seen_slow_jobs_asks_about_the_next_one_late(helpdesk, sandbox):
    """Jobs that keep taking about 2 s: after a few, a new one is first asked about once most of
    that has passed, and costs two or three polls instead of five or six."""
    from service.helpdesk.job_watch import JobWatch

    ids = [r.ticket_id for r in settle(helpdesk, helpdesk.create_many([new(n) for n in range(2)])).results]
    watch = JobWatch(helpdesk, first_pause=0.1)
    executor = Executor(helpdesk, job_poll_seconds=0.1, watch=watch)

    def polls() -> int:
        calls = requests.get(f"{sandbox.url}/_sandbox/counters", timeout=5).json()["calls"]
        return calls.get("GET /api/v2/job_statuses/show_many", 0)

    requests.post(f"{sandbox.url}/_sandbox/faults", json={"job_delay_seconds": 2.0}, timeout=5)
    try:
        counted = []
        for round_ in range(5):
            requests.post(f"{sandbox.url}/_sandbox/counters/reset", timeout=5)
            changes = [TicketChange(ticket_id=i, add_tags=(f"slow-{round_}",)) for i in ids]
            assert executor.apply(changes).succeeded() == ids
            counted.append(polls())
    finally:
        requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=5)
    assert counted[0] >= 5  # nothing known yet: 0.1 s, 0.15 s, ... apart
    assert 2.0 <= watch.typical_seconds <= 3.5
    assert max(counted[3:]) <= 3 < counted[0]
    assert all("slow-4" in t.tags for t in helpdesk.get_tickets(ids))
