"""Shapes and refusals clients noticed (issue 11): ticket audits (a ticket's and the account's),
``job_status.job_type``, TooManyValues on oversized bulk calls, tags removed through the query
string, ``links.next`` on cursor pages, ``organizations/create_or_update``."""

from __future__ import annotations

import pytest
from zenpy.lib.api_objects import Ticket

from .conftest import wait_for


def _tickets(api, sandbox, n: int) -> list[int]:
    return [
        api.post(
            f"{sandbox.url}/api/v2/tickets.json",
            json={"ticket": {"subject": f"t{i}", "comment": {"body": "b"}}},
        ).json()["ticket"]["id"]
        for i in range(n)
    ]


def test_a_tickets_audits_page_by_cursor_with_links_next(api, sandbox):
    (ticket_id,) = _tickets(api, sandbox, 1)
    for priority in ("low", "normal", "high"):
        api.put(f"{sandbox.url}/api/v2/tickets/{ticket_id}.json", json={"ticket": {"priority": priority}})
    first = api.get(f"{sandbox.url}/api/v2/tickets/{ticket_id}/audits.json?page[size]=3").json()
    assert len(first["audits"]) == 3 and first["meta"]["has_more"] is True
    second = api.get(first["links"]["next"]).json()
    assert len(second["audits"]) == 1 and second["links"]["next"] is None
    assert second["meta"]["has_more"] is False and second["audits"][0]["ticket_id"] == ticket_id


def test_all_ticket_audits_newest_first_by_before_and_after_cursors(api, sandbox):
    _tickets(api, sandbox, 5)
    every = sorted((a["id"] for audits in sandbox.state.audits.values() for a in audits), reverse=True)
    first = api.get(f"{sandbox.url}/api/v2/ticket_audits.json?limit=2").json()
    assert [a["id"] for a in first["audits"]] == every[:2]
    assert first["before_cursor"] is None and first["before_url"] is None
    seen, page = [], first
    while True:
        seen += [a["id"] for a in page["audits"]]
        if not page["after_url"]:
            break
        page = api.get(page["after_url"]).json()
    assert seen == every and page["after_cursor"] is None
    back = api.get(page["before_url"]).json()
    assert [a["id"] for a in back["audits"]] == every[-3:-1]


def test_all_ticket_audits_are_for_admins_and_refuse_a_bad_cursor(api, sandbox):
    assert api.get(f"{sandbox.url}/api/v2/ticket_audits.json?cursor=bm9wZQ").status_code == 400
    assert api.get(f"{sandbox.url}/api/v2/ticket_audits.json?limit=0").status_code == 400
    with sandbox.state.lock:
        agent = next(u for u in sandbox.state.users.values() if u["role"] == "admin")
        agent["role"] = "agent"
    assert api.get(f"{sandbox.url}/api/v2/ticket_audits.json").status_code == 403


def test_job_statuses_carry_their_job_type(api, sandbox, zd):
    job = api.post(
        f"{sandbox.url}/api/v2/tickets/create_many.json",
        json={"tickets": [{"subject": "a", "comment": {"body": "b"}}]},
    ).json()["job_status"]
    assert job["job_type"] == "create_tickets"
    shown = api.get(f"{sandbox.url}/api/v2/job_statuses/{job['id']}.json").json()["job_status"]
    assert shown["job_type"] == "create_tickets"
    assert zd.tickets.update([Ticket(id=1, priority="low")]).job_type == "update_tickets"


@pytest.mark.parametrize(
    ("method", "path", "body", "description"),
    [
        ("GET", "tickets/show_many.json?ids={ids}", None, "Maximum 100 tickets may be shown per call"),
        (
            "PUT",
            "tickets/update_many.json?ids={ids}",
            {"ticket": {"priority": "low"}},
            "Maximum 100 tickets may be updated per call",
        ),
        (
            "DELETE",
            "tickets/destroy_many.json?ids={ids}",
            None,
            "Maximum 100 tickets may be deleted per call",
        ),
        (
            "POST",
            "tickets/create_many.json",
            {"tickets": [{"subject": "x", "comment": {"body": "y"}}] * 101},
            "Maximum 100 tickets may be created per call",
        ),
        (
            "POST",
            "users/create_many.json",
            {"users": [{"name": "x", "email": "x@example.com"}] * 101},
            "Maximum 100 users may be created per call",
        ),
    ],
)
def test_more_than_100_items_is_400_too_many_values(api, sandbox, method, path, body, description):
    ids = ",".join(str(i) for i in range(1, 102))
    answer = api.request(method, f"{sandbox.url}/api/v2/{path.format(ids=ids)}", json=body)
    assert answer.status_code == 400
    assert answer.json() == {"error": "TooManyValues", "description": description, "max_count": 100}
    assert not sandbox.state.jobs


def test_tags_removed_through_the_query_string(api, sandbox):
    first, second = _tickets(api, sandbox, 2)
    for ticket_id in (first, second):
        api.put(f"{sandbox.url}/api/v2/tickets/{ticket_id}/tags.json", json={"tags": ["a", "b", "c"]})
    removed = api.delete(f"{sandbox.url}/api/v2/tickets/{first}/tags.json?tags=a,%20c")
    assert removed.status_code == 200 and removed.json() == {"tags": ["b"]}
    job = api.put(
        f"{sandbox.url}/api/v2/tickets/update_many.json?ids={first},{second}",
        json={"ticket": {"remove_tags": ["b"]}},
    ).json()["job_status"]
    wait_for(lambda: sandbox.state.jobs[job["id"]]["status"] == "completed")
    assert sandbox.state.tickets[first]["tags"] == [] and sandbox.state.tickets[second]["tags"] == ["a", "c"]
    assert api.delete(f"{sandbox.url}/api/v2/tickets/{first}/tags.json").status_code == 400


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("tickets.json", "tickets"),
        ("tickets/{ticket}/comments.json", "comments"),
        ("tickets/{ticket}/audits.json", "audits"),
        ("users.json", "users"),
        ("organizations.json", "organizations"),
        ("search/export.json?query=t&filter[type]=ticket&", "results"),
    ],
)
def test_cursor_pages_carry_links_next_and_meta(api, sandbox, path, key):
    ticket_ids = _tickets(api, sandbox, 3)
    api.post(f"{sandbox.url}/api/v2/organizations.json", json={"organization": {"name": "One"}})
    api.post(f"{sandbox.url}/api/v2/organizations.json", json={"organization": {"name": "Two"}})
    api.post(f"{sandbox.url}/api/v2/users.json", json={"user": {"name": "Noa", "email": "noa@example.com"}})
    api.put(f"{sandbox.url}/api/v2/tickets/{ticket_ids[0]}.json", json={"ticket": {"comment": {"body": "2"}}})
    url = f"{sandbox.url}/api/v2/{path.format(ticket=ticket_ids[0])}"
    url += ("" if url.endswith("&") else "?") + "page[size]=1"
    page = api.get(url).json()
    seen = len(page[key])
    assert page["meta"]["has_more"] is True and page["meta"]["after_cursor"]
    while page["links"]["next"]:
        page = api.get(page["links"]["next"]).json()
        seen += len(page[key])
    assert page["meta"]["has_more"] is False and seen >= 2


def test_organizations_create_or_update_by_id_or_external_id_never_by_name(api, sandbox):
    url = f"{sandbox.url}/api/v2/organizations/create_or_update.json"
    created = api.post(url, json={"organization": {"name": "Acme", "external_id": "crm-1"}})
    assert created.status_code == 201 and created.json()["organization"]["name"] == "Acme"
    org_id = created.json()["organization"]["id"]
    renamed = api.post(url, json={"organization": {"external_id": "crm-1", "name": "Acme Ltd"}})
    assert renamed.status_code == 200 and renamed.json()["organization"]["id"] == org_id
    noted = api.post(url, json={"organization": {"id": org_id, "notes": "VIP"}})
    assert noted.status_code == 200 and sandbox.state.organizations[org_id]["notes"] == "VIP"
    taken = api.post(url, json={"organization": {"name": "acme ltd"}})
    assert taken.status_code == 422 and taken.json()["details"]["name"][0]["error"] == "DuplicateValue"
    assert api.post(url, json={"name": "no wrapper"}).status_code == 400
    assert len(sandbox.state.organizations) == 1


def test_merging_more_sources_than_zendesk_allows_is_400_too_many_values_with_max_count(api, sandbox):
    made = [
        api.post(
            f"{sandbox.url}/api/v2/tickets.json",
            json={"ticket": {"subject": f"s{n}", "comment": {"body": "b"}}},
        ).json()["ticket"]["id"]
        for n in range(7)
    ]
    answer = api.post(f"{sandbox.url}/api/v2/tickets/{made[0]}/merge.json", json={"ids": made[1:]})
    assert answer.status_code == 400
    assert answer.json()["error"] == "TooManyValues" and answer.json()["max_count"] == 5
    assert not sandbox.state.jobs
