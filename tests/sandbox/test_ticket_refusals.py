"""What Zendesk refuses on a ticket update, single and bulk, and the merge's closed_by_merge tag."""

import pytest
from zenpy.lib.api_objects import Comment, Ticket
from zenpy.lib.exception import APIException

from .conftest import wait_for


def _create(zd, **extra):
    return zd.tickets.create(
        Ticket(subject="Checkout fails", comment=Comment(body="I cannot pay"), **extra)
    ).ticket


def _put(api, sandbox, ticket_id, change):
    return api.put(f"{sandbox.url}/api/v2/tickets/{ticket_id}.json", json={"ticket": change})


def _no_assign_on_solve(api, sandbox):
    answer = api.post(
        f"{sandbox.url}/_sandbox/account_settings", json={"tickets": {"assign_tickets_upon_solve": False}}
    )
    assert answer.json() == {"tickets": {"assign_tickets_upon_solve": False}}


def _job_results(api, sandbox, job_id):
    def finished():
        job = api.get(f"{sandbox.url}/api/v2/job_statuses/{job_id}.json").json()["job_status"]
        return job["status"] == "completed" and job

    return wait_for(finished)["results"]


def test_solving_unassigned_assigns_the_solving_agent_by_default(zd, sandbox, api):
    ticket = _create(zd)
    settings = api.get(f"{sandbox.url}/api/v2/account/settings.json").json()
    assert settings["settings"]["tickets"]["assign_tickets_upon_solve"] is True
    answer = _put(api, sandbox, ticket.id, {"status": "solved"})
    assert answer.status_code == 200
    assert answer.json()["ticket"]["assignee_id"] == sandbox.state.admin_id
    events = answer.json()["audit"]["events"]
    assert {"assignee_id", "status"} <= {e.get("field_name") for e in events}


def test_solving_unassigned_is_refused_when_the_account_does_not_assign(zd, sandbox, api):
    _no_assign_on_solve(api, sandbox)
    ticket = _create(zd)
    answer = _put(api, sandbox, ticket.id, {"status": "solved", "comment": {"body": "Fixed"}})
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"] == "RecordInvalid" and body["description"] == "Record validation errors"
    (problem,) = body["details"]["base"]
    assert problem["description"] == "Assignee: is required when solving a ticket"
    assert problem["ticket_field_type"] == "FieldAssignee"
    raw = sandbox.state.tickets[ticket.id]
    assert raw["status"] == "new" and len(sandbox.state.comments[ticket.id]) == 1  # rejected whole
    assert _put(api, sandbox, ticket.id, {"status": "solved", "assignee_id": sandbox.state.admin_id}).ok


def test_a_required_field_left_empty_refuses_the_solve(zd, sandbox, api):
    field = api.post(
        f"{sandbox.url}/api/v2/ticket_fields.json",
        json={"ticket_field": {"type": "integer", "title": "Order number", "required": True}},
    ).json()["ticket_field"]
    ticket = _create(zd, assignee_id=sandbox.state.admin_id)
    answer = _put(api, sandbox, ticket.id, {"status": "solved"})
    assert answer.status_code == 422
    (problem,) = answer.json()["details"]["base"]
    assert problem == {
        "description": "Order number: is required when solving a ticket",
        "error": None,
        "ticket_field_id": field["id"],
        "ticket_field_type": "FieldInteger",
    }
    fixed = _put(
        api, sandbox, ticket.id, {"status": "solved", "custom_fields": [{"id": field["id"], "value": 7}]}
    )
    assert fixed.status_code == 200 and fixed.json()["ticket"]["status"] == "solved"


def test_status_never_goes_back_to_new_and_priority_is_not_reset(zd, sandbox, api):
    ticket = _create(zd, priority="high")
    assert _put(api, sandbox, ticket.id, {"status": "open"}).ok
    back = _put(api, sandbox, ticket.id, {"status": "new"})
    assert back.status_code == 422 and "status" in back.json()["details"]
    reset = _put(api, sandbox, ticket.id, {"priority": None})
    assert reset.status_code == 422 and "priority" in reset.json()["details"]
    assert _put(api, sandbox, ticket.id, {"priority": "low"}).ok
    assert sandbox.state.tickets[ticket.id]["status"] == "open"


def test_a_closed_ticket_takes_only_tags_subject_and_priority(zd, sandbox, api):
    ticket = _create(zd, assignee_id=sandbox.state.admin_id)
    assert _put(api, sandbox, ticket.id, {"status": "closed"}).ok
    ok = _put(api, sandbox, ticket.id, {"additional_tags": ["late"], "subject": "Renamed", "priority": "low"})
    assert ok.status_code == 200 and "late" in ok.json()["ticket"]["tags"]
    for change in ({"comment": {"body": "One more thing"}}, {"status": "open"}, {"type": "incident"}):
        refused = _put(api, sandbox, ticket.id, change)
        assert refused.status_code == 422
        assert refused.json()["details"] == {
            "status": [{"description": "Status: closed prevents ticket update"}]
        }


def test_bulk_update_reports_each_refused_ticket_and_applies_the_rest(zd, sandbox, api):
    _no_assign_on_solve(api, sandbox)
    assigned = _create(zd, assignee_id=sandbox.state.admin_id)
    unassigned = _create(zd)
    answer = api.put(
        f"{sandbox.url}/api/v2/tickets/update_many.json?ids={assigned.id},{unassigned.id}",
        json={"ticket": {"status": "solved", "comment": {"body": "Fixed", "public": True}}},
    )
    results = _job_results(api, sandbox, answer.json()["job_status"]["id"])
    assert results[0] == {"id": assigned.id, "action": "update", "success": True, "status": "Updated"}
    assert results[1] == {
        "id": unassigned.id,
        "index": 1,
        "error": "TicketUpdateFailed",
        "details": "Assignee: is required when solving a ticket",
        "status": "Failed",
    }
    assert sandbox.state.tickets[unassigned.id]["status"] == "new"
    assert [c["body"] for c in sandbox.state.comments[unassigned.id]] == ["I cannot pay"]


def test_zenpy_sees_the_refusal_as_an_api_exception(zd, sandbox, api):
    _no_assign_on_solve(api, sandbox)
    ticket = _create(zd)
    ticket.status = "solved"
    with pytest.raises(APIException) as err:
        zd.tickets.update(ticket)
    assert err.value.response.status_code == 422


def test_merge_closes_the_source_with_closed_by_merge_even_unassigned(zd, sandbox, api):
    _no_assign_on_solve(api, sandbox)
    target, source = _create(zd), _create(zd)
    job = api.post(f"{sandbox.url}/api/v2/tickets/{target.id}/merge.json", json={"ids": [source.id]})
    wait_for(lambda: sandbox.state.tickets[source.id]["status"] == "closed")
    assert "closed_by_merge" in sandbox.state.tickets[source.id]["tags"]
    audit = sandbox.state.audits[source.id][-1]
    assert audit["via"]["source"]["rel"] == "merge"
    assert audit["via"]["source"]["to"]["ticket_id"] == target.id
    changed = {e["field_name"]: e for e in audit["events"] if e["type"] == "Change"}
    assert changed["status"]["value"] == "closed"
    assert "closed_by_merge" in changed["tags"]["value"]
    assert job.ok


def test_account_settings_reject_unknown_or_non_boolean_values(sandbox, api):
    bad = api.post(
        f"{sandbox.url}/_sandbox/account_settings", json={"tickets": {"assign_tickets_upon_solve": "no"}}
    )
    assert bad.status_code == 400 and "true or false" in bad.json()["description"]
    unknown = api.put(
        f"{sandbox.url}/api/v2/account/settings.json", json={"settings": {"tickets": {"x": True}}}
    )
    assert unknown.status_code == 400 and "unknown ticket setting" in unknown.json()["description"]
    sandbox.state.reset()
    assert sandbox.state.account_settings["tickets"]["assign_tickets_upon_solve"] is True
