"""Tickets through unmodified zenpy: create, show, update, bulk jobs, comments, incidents."""

import re

import pytest
from zenpy.lib.api_objects import Comment, Ticket, User
from zenpy.lib.exception import APIException, RecordNotFoundException

from .conftest import wait_for

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _create(zd, subject="Checkout fails", body="I cannot pay", **extra):
    return zd.tickets.create(Ticket(subject=subject, comment=Comment(body=body), **extra)).ticket


def _wait_job(zd, job_id):
    return wait_for(lambda: (j := zd.job_status(id=job_id)).status in ("completed", "failed") and j)


def test_create_makes_requester_on_the_fly_with_locale(zd, sandbox):
    ticket = _create(
        zd,
        requester=User(name="Noa Levi", email="Noa@Example.com", locale="he"),
        tags=["Checkout", "web"],
        priority="high",
    )
    assert isinstance(ticket.id, int)
    assert ticket.status == "new" and ticket.priority == "high"
    assert ticket.tags == ["checkout", "web"]
    assert ticket.requester.email == "noa@example.com"
    assert ticket.requester.locale == "he"
    assert ticket.description == "I cannot pay"
    raw = sandbox.state.tickets[ticket.id]
    assert TIMESTAMP.match(raw["created_at"])
    assert raw["via"] == {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}}
    assert ticket.submitter_id == sandbox.state.admin_id
    again = _create(zd, requester=User(name="Noa", email="noa@example.com"))
    assert again.requester_id == ticket.requester_id


def test_create_without_description_is_422(zd):
    with pytest.raises(APIException) as err:
        zd.tickets.create(Ticket(subject="no body"))
    assert err.value.response.status_code == 422
    assert err.value.response.json()["error"] == "RecordInvalid"


def test_show_show_many_and_list(zd, api, sandbox):
    first, second = _create(zd, "one"), _create(zd, "two")
    assert zd.tickets(id=first.id).subject == "one"
    assert [t.id for t in zd.tickets(ids=[first.id, second.id])] == [first.id, second.id]
    assert {t.subject for t in zd.tickets()} == {"one", "two"}
    body = api.get(f"{sandbox.url}/api/v2/tickets/{first.id}.json").json()["ticket"]
    assert body["url"].endswith(f"/api/v2/tickets/{first.id}.json")
    for key in (
        "requester_id",
        "submitter_id",
        "tags",
        "custom_fields",
        "problem_id",
        "via",
        "external_id",
        "has_incidents",
        "is_public",
        "brand_id",
        "fields",
    ):
        assert key in body
    with pytest.raises(RecordNotFoundException):
        zd.tickets(id=424242)


def test_update_fields_tags_and_comments(zd, sandbox, api):
    ticket = _create(zd, tags=["a", "b"])
    ticket.tags = ["b", "c"]
    ticket.status = "open"
    ticket.comment = Comment(body="We are on it", public=False)
    audit = zd.tickets.update(ticket)
    assert audit.ticket.tags == ["b", "c"] and audit.ticket.status == "open"
    fields = {e["field_name"] for e in audit.audit.events if e["type"] == "Change"}
    assert {"tags", "status"} <= fields
    comments = list(zd.tickets.comments(ticket=ticket.id))
    assert [c.body for c in comments] == ["I cannot pay", "We are on it"]
    assert [c.public for c in comments] == [True, False]
    newest_first = api.get(f"{sandbox.url}/api/v2/tickets/{ticket.id}/comments?sort_order=desc")
    assert [c["body"] for c in newest_first.json()["comments"]] == ["We are on it", "I cannot pay"]
    assert comments[1].html_body.startswith('<div class="zd-comment"')
    raw = sandbox.state.comments[ticket.id][1]
    assert {"id", "body", "html_body", "plain_body", "public", "author_id", "created_at"} <= set(raw)
    assert raw["type"] == "Comment" and raw["author_id"] == sandbox.state.admin_id


def test_additional_and_remove_tags_keep_others(api, sandbox, zd):
    ticket = _create(zd, tags=["agent_tag", "old"])
    resp = api.put(
        f"{sandbox.url}/api/v2/tickets/{ticket.id}.json",
        json={"ticket": {"additional_tags": ["incident_1"], "remove_tags": ["old"]}},
    )
    assert resp.status_code == 200
    assert resp.json()["ticket"]["tags"] == ["agent_tag", "incident_1"]


def test_tags_endpoints(zd, sandbox):
    ticket = _create(zd, tags=["one"])
    assert list(zd.tickets.add_tags(ticket.id, ["two"])) == ["one", "two"]
    assert list(zd.tickets.delete_tags(ticket.id, ["one"])) == ["two"]
    assert list(zd.tickets.set_tags(ticket.id, ["three"])) == ["three"]
    assert list(zd.tickets.tags(ticket.id)) == ["three"]


def test_incident_links_to_problem_and_solving_problem_solves_incidents(zd, sandbox):
    problem = _create(zd, "Checkout is down", type="problem")
    incident = _create(zd, "Cannot pay")
    incident.type, incident.problem_id = "incident", problem.id
    zd.tickets.update(incident)
    assert [t.id for t in zd.tickets.incidents(problem.id)] == [incident.id]
    assert zd.tickets(id=problem.id).has_incidents is True
    problem.status = "solved"
    problem.comment = Comment(body="Fixed, sorry!")
    zd.tickets.update(problem)
    solved = zd.tickets(id=incident.id)
    assert solved.status == "solved"
    assert sandbox.state.comments[incident.id][-1]["body"] == "Fixed, sorry!"


def test_problem_id_must_name_a_problem(api, sandbox, zd):
    other = _create(zd)
    ticket = _create(zd)
    resp = api.put(
        f"{sandbox.url}/api/v2/tickets/{ticket.id}",
        json={"ticket": {"type": "incident", "problem_id": other.id}},
    )
    assert resp.status_code == 422
    assert "problem_id" in resp.json()["details"]


def test_closed_ticket_cannot_be_updated(api, sandbox, zd):
    ticket = _create(zd, status="closed")
    resp = api.put(f"{sandbox.url}/api/v2/tickets/{ticket.id}", json={"ticket": {"comment": {"body": "x"}}})
    assert resp.status_code == 422  # a subject, tags or priority would still be taken


def test_update_many_with_ids_form_runs_as_a_job(api, sandbox, zd):
    ids = [_create(zd).id for _ in range(3)]
    resp = api.put(
        f"{sandbox.url}/api/v2/tickets/update_many.json?ids={','.join(map(str, ids))}",
        json={"ticket": {"additional_tags": ["bulk"], "priority": "urgent"}},
    )
    assert resp.status_code == 200
    job = resp.json()["job_status"]
    assert job["status"] == "queued" and job["id"].startswith("V3-") and job["total"] == 3
    done = _wait_job(zd, job["id"])
    assert done.status == "completed" and done.progress == 3
    assert [r.id for r in done.results] == ids
    assert all(r.success and r.status == "Updated" and r.action == "update" for r in done.results)
    assert all("bulk" in sandbox.state.tickets[i]["tags"] for i in ids)


def test_update_many_with_tickets_list_reports_per_item_errors(zd, sandbox):
    good = _create(zd)
    good.subject = "renamed"
    missing = Ticket(id=987654, subject="nope")
    job = zd.tickets.update([good, missing])
    done = _wait_job(zd, job.id)
    assert done.status == "completed"
    by_id = {r.id: r.to_dict() for r in done.results}
    assert by_id[good.id]["success"] is True
    assert by_id[987654]["error"] == "RecordNotFound"
    assert sandbox.state.tickets[good.id]["subject"] == "renamed"


def test_create_many_and_bulk_limit(zd, api, sandbox):
    job = zd.tickets.create([Ticket(subject=f"t{i}", description="x") for i in range(3)])
    done = _wait_job(zd, job.id)
    assert [r.index for r in done.results] == [0, 1, 2]
    assert all(isinstance(r.id, int) for r in done.results)
    resp = api.post(
        f"{sandbox.url}/api/v2/tickets/create_many.json",
        json={"tickets": [{"subject": "x", "description": "y"}] * 101},
    )
    assert resp.status_code == 400
    assert resp.json()["error"] == "TooManyValues"


def test_job_statuses_show_many(zd, api, sandbox):
    first = zd.tickets.create([Ticket(subject="a", description="b")])
    second = zd.tickets.create([Ticket(subject="c", description="d")])
    _wait_job(zd, second.id)
    resp = api.get(f"{sandbox.url}/api/v2/job_statuses/show_many.json?ids={first.id},{second.id}")
    assert [j["id"] for j in resp.json()["job_statuses"]] == [first.id, second.id]
    assert api.get(f"{sandbox.url}/api/v2/job_statuses/V3-nope").status_code == 404
