"""Responses of the operations the sandbox implements validate against the schemas of
Zendesk's published OpenAPI document (2024-07 snapshot, read in place).

The document omits ``nullable: true`` on many fields that real Zendesk sends as ``null``
(``assignee_id``, ``external_id``, ``priority`` ... in the recorded cassettes), so an error
about a ``null`` value is not counted; ``test_recorded_zendesk_needs_the_same_allowance``
shows real responses need exactly that allowance too."""

from __future__ import annotations

import time

import pytest
import yaml

from tests.helpers import needs_reference

from .cassettes import OPENAPI

pytestmark = needs_reference(OPENAPI)
SPEC_URI = "urn:zendesk-support-oas"


class _SpecLoader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):
    """The document contains ``change: =``; YAML 1.1 tags ``=`` as a 'value' node."""


_SpecLoader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


@pytest.fixture(scope="module")
def validate():
    from openapi_schema_validator import OAS30Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    with OPENAPI.open(encoding="utf-8") as handle:
        spec = yaml.load(handle, Loader=_SpecLoader)
    registry = Registry().with_resource(SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT4))

    def check(method: str, template: str, response) -> None:
        operation = spec["paths"][template][method.lower()]
        status = str(response.status_code)
        if status == "201" and status not in operation["responses"]:
            status = "200"  # the document says 200 where real Zendesk answers 201 (cassettes)
        assert status in operation["responses"], f"{method} {template}: {status} not documented"
        pointer = "/".join(
            [
                "#/paths",
                template.replace("~", "~0").replace("/", "~1"),
                method.lower(),
                "responses",
                status,
                "content",
                "application~1json",
                "schema",
            ]
        )
        body = response.json() if hasattr(response, "json") else response.body
        errors = [
            f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in schema_errors(OAS30Validator, registry, pointer, body)
        ]
        assert not errors, f"{method} {template}:\n" + "\n".join(errors[:20])

    return check


def _only_nulls(error) -> bool:
    """True when ``error`` is about a null value, or some oneOf/anyOf branch fails only so."""
    if error.instance is None:
        return True
    if not error.context:
        return False
    branches: dict = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    return any(all(_only_nulls(sub) for sub in subs) for subs in branches.values())


def schema_errors(validator_class, registry, pointer: str, instance) -> list:
    validator = validator_class({"$ref": SPEC_URI + pointer}, registry=registry)
    return [e for e in validator.iter_errors(instance) if not _only_nulls(e)]


def _job(api, sandbox, job_id):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        body = api.get(f"{sandbox.url}/api/v2/job_statuses/{job_id}").json()["job_status"]
        if body["status"] == "completed":
            return body
        time.sleep(0.02)
    raise AssertionError("job did not complete")


def test_ticket_operations(api, sandbox, validate):
    u = sandbox.url
    created = api.post(
        f"{u}/api/v2/tickets",
        json={
            "ticket": {
                "subject": "Checkout is down",
                "type": "problem",
                "comment": {"body": "Outage"},
                "requester": {"name": "Noa", "email": "noa@example.com", "locale": "he"},
            }
        },
    )
    validate("POST", "/api/v2/tickets", created)
    problem = created.json()["ticket"]["id"]
    incident = api.post(
        f"{u}/api/v2/tickets", json={"ticket": {"subject": "Cannot pay", "comment": {"body": "help"}}}
    ).json()["ticket"]["id"]
    updated = api.put(
        f"{u}/api/v2/tickets/{incident}",
        json={
            "ticket": {
                "type": "incident",
                "problem_id": problem,
                "additional_tags": ["incident_1"],
                "comment": {"body": "Linked", "public": False},
            }
        },
    )
    validate("PUT", "/api/v2/tickets/{ticket_id}", updated)
    validate("GET", "/api/v2/tickets/{ticket_id}", api.get(f"{u}/api/v2/tickets/{incident}"))
    validate("GET", "/api/v2/tickets", api.get(f"{u}/api/v2/tickets"))
    validate(
        "GET", "/api/v2/tickets/{ticket_id}/comments", api.get(f"{u}/api/v2/tickets/{incident}/comments")
    )
    validate(
        "GET", "/api/v2/tickets/{ticket_id}/incidents", api.get(f"{u}/api/v2/tickets/{problem}/incidents")
    )
    validate(
        "GET", "/api/v2/tickets/show_many", api.get(f"{u}/api/v2/tickets/show_many?ids={problem},{incident}")
    )
    bulk = api.put(f"{u}/api/v2/tickets/update_many?ids={incident}", json={"ticket": {"priority": "high"}})
    validate("PUT", "/api/v2/tickets/update_many", bulk)
    many = api.post(
        f"{u}/api/v2/tickets/create_many", json={"tickets": [{"subject": "a", "comment": {"body": "b"}}]}
    )
    validate("POST", "/api/v2/tickets/create_many", many)
    job_id = many.json()["job_status"]["id"]
    _job(api, sandbox, job_id)
    validate("GET", "/api/v2/job_statuses/{job_status_id}", api.get(f"{u}/api/v2/job_statuses/{job_id}"))
    validate(
        "GET", "/api/v2/job_statuses/show_many", api.get(f"{u}/api/v2/job_statuses/show_many?ids={job_id}")
    )
    validate("GET", "/api/v2/tags", api.get(f"{u}/api/v2/tags"))
    validate(
        "GET",
        "/api/v2/incremental/tickets/cursor",
        api.get(f"{u}/api/v2/incremental/tickets/cursor?start_time=0"),
    )


def test_user_organization_group_operations(api, sandbox, validate):
    u = sandbox.url
    org = api.post(f"{u}/api/v2/organizations", json={"organization": {"name": "Acme"}})
    validate("POST", "/api/v2/organizations", org)
    org_id = org.json()["organization"]["id"]
    validate("GET", "/api/v2/organizations/{organization_id}", api.get(f"{u}/api/v2/organizations/{org_id}"))
    validate("GET", "/api/v2/organizations", api.get(f"{u}/api/v2/organizations"))
    user = api.post(
        f"{u}/api/v2/users",
        json={
            "user": {"name": "Ivan", "email": "ivan@example.bg", "locale": "bg", "organization_id": org_id}
        },
    )
    validate("POST", "/api/v2/users", user)
    user_id = user.json()["user"]["id"]
    validate("GET", "/api/v2/users/{user_id}", api.get(f"{u}/api/v2/users/{user_id}"))
    validate("GET", "/api/v2/users/me", api.get(f"{u}/api/v2/users/me"))
    validate("GET", "/api/v2/users/show_many", api.get(f"{u}/api/v2/users/show_many?ids={user_id}"))
    validate("GET", "/api/v2/users/search", api.get(f"{u}/api/v2/users/search?query=ivan@example.bg"))
    validate(
        "POST",
        "/api/v2/users/create_or_update",
        api.post(
            f"{u}/api/v2/users/create_or_update", json={"user": {"email": "ivan@example.bg", "name": "I."}}
        ),
    )
    validate("GET", "/api/v2/groups", api.get(f"{u}/api/v2/groups"))
    validate("GET", "/api/v2/locales", api.get(f"{u}/api/v2/locales"))
    validate("GET", "/api/v2/locales/{locale_id}", api.get(f"{u}/api/v2/locales/he"))


def test_business_rule_and_content_operations(api, sandbox, validate):
    u = sandbox.url
    ticket = api.post(
        f"{u}/api/v2/tickets", json={"ticket": {"subject": "s", "comment": {"body": "b"}}}
    ).json()["ticket"]
    trigger = api.post(
        f"{u}/api/v2/triggers",
        json={
            "trigger": {
                "title": "Tag VIPs",
                "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}]},
                "actions": [{"field": "current_tags", "value": "seen"}],
            }
        },
    )
    validate("POST", "/api/v2/triggers", trigger)
    validate("GET", "/api/v2/triggers", api.get(f"{u}/api/v2/triggers"))
    macro = api.post(
        f"{u}/api/v2/macros",
        json={"macro": {"title": "Status", "actions": [{"field": "comment_value", "value": "We are on it"}]}},
    )
    validate("POST", "/api/v2/macros", macro)
    macro_id = macro.json()["macro"]["id"]
    validate("GET", "/api/v2/macros", api.get(f"{u}/api/v2/macros"))
    validate(
        "GET",
        "/api/v2/tickets/{ticket_id}/macros/{macro_id}/apply",
        api.get(f"{u}/api/v2/tickets/{ticket['id']}/macros/{macro_id}/apply"),
    )
    item = api.post(
        f"{u}/api/v2/dynamic_content/items",
        json={
            "item": {
                "name": "status",
                "default_locale_id": 1,
                "variants": [{"locale_id": 1, "content": "x", "default": True}],
            }
        },
    )
    validate("POST", "/api/v2/dynamic_content/items", item)
    validate("GET", "/api/v2/dynamic_content/items", api.get(f"{u}/api/v2/dynamic_content/items"))
    field = api.post(f"{u}/api/v2/ticket_fields", json={"ticket_field": {"title": "Order", "type": "text"}})
    validate("POST", "/api/v2/ticket_fields", field)
    validate("GET", "/api/v2/ticket_fields", api.get(f"{u}/api/v2/ticket_fields"))


def test_search_operations(api, sandbox, validate):
    u = sandbox.url
    api.post(f"{u}/api/v2/tickets", json={"ticket": {"subject": "Checkout", "comment": {"body": "b"}}})
    validate("GET", "/api/v2/search", api.get(f"{u}/api/v2/search?query=type:ticket status<solved"))
    validate(
        "GET",
        "/api/v2/search/export",
        api.get(f"{u}/api/v2/search/export?query=checkout&filter[type]=ticket&page[size]=10"),
    )


class _Recorded:
    def __init__(self, status, body):
        self.status_code, self.body = status, body


def test_recorded_zendesk_needs_the_same_allowance(validate):
    """Real responses from the cassettes pass only with the null allowance as well."""
    from .cassettes import interactions

    created = interactions("TestTicketCreateUpdateDelete.test_single_object_creation-create-single.json")[0]
    validate("POST", "/api/v2/tickets", _Recorded(created["status"], created["body"]))
    me = interactions("TestUserMe.test_users_me.json")[0]
    validate("GET", "/api/v2/users/me", _Recorded(me["status"], me["body"]))


def test_more_operations(api, sandbox, validate):
    u = sandbox.url
    first = api.post(
        f"{u}/api/v2/tickets", json={"ticket": {"subject": "a", "comment": {"body": "b"}, "tags": ["x"]}}
    ).json()["ticket"]["id"]
    second = api.post(
        f"{u}/api/v2/tickets", json={"ticket": {"subject": "c", "comment": {"body": "d"}}}
    ).json()["ticket"]["id"]
    validate("GET", "/api/v2/tickets/{ticket_id}/tags", api.get(f"{u}/api/v2/tickets/{first}/tags"))
    validate(
        "PUT",
        "/api/v2/tickets/{ticket_id}/tags",
        api.put(f"{u}/api/v2/tickets/{first}/tags", json={"tags": ["y"]}),
    )
    validate("GET", "/api/v2/tickets/{ticket_id}/audits", api.get(f"{u}/api/v2/tickets/{first}/audits"))
    merged = api.post(f"{u}/api/v2/tickets/{first}/merge", json={"ids": [second]})
    validate("POST", "/api/v2/tickets/{ticket_id}/merge", merged)
    _job(api, sandbox, merged.json()["job_status"]["id"])
    validate("GET", "/api/v2/job_statuses", api.get(f"{u}/api/v2/job_statuses"))
    validate("GET", "/api/v2/incremental/tickets", api.get(f"{u}/api/v2/incremental/tickets?start_time=0"))
    validate("GET", "/api/v2/search/count", api.get(f"{u}/api/v2/search/count?query=type:ticket"))
    users = api.post(
        f"{u}/api/v2/users/create_many", json={"users": [{"name": "A", "email": "a@example.com"}]}
    )
    validate("POST", "/api/v2/users/create_many", users)
    _job(api, sandbox, users.json()["job_status"]["id"])
    user_id = api.get(f"{u}/api/v2/users/search?query=a@example.com").json()["users"][0]["id"]
    validate(
        "PUT",
        "/api/v2/users/{user_id}",
        api.put(f"{u}/api/v2/users/{user_id}", json={"user": {"locale": "he"}}),
    )
    validate("GET", "/api/v2/users/{user_id}/identities", api.get(f"{u}/api/v2/users/{user_id}/identities"))
    validate("GET", "/api/v2/users", api.get(f"{u}/api/v2/users"))
    orgs = api.post(f"{u}/api/v2/organizations/create_many", json={"organizations": [{"name": "O"}]})
    validate("POST", "/api/v2/organizations/create_many", orgs)
    _job(api, sandbox, orgs.json()["job_status"]["id"])
    org_id = next(iter(sandbox.state.organizations))
    validate(
        "GET", "/api/v2/organizations/show_many", api.get(f"{u}/api/v2/organizations/show_many?ids={org_id}")
    )
    group_id = next(iter(sandbox.state.groups))
    validate("GET", "/api/v2/groups/{group_id}", api.get(f"{u}/api/v2/groups/{group_id}"))


def test_more_rule_and_content_operations(api, sandbox, validate):
    u = sandbox.url
    trigger = api.post(
        f"{u}/api/v2/triggers",
        json={"trigger": {"title": "t", "actions": [{"field": "current_tags", "value": "x"}]}},
    ).json()["trigger"]["id"]
    validate("GET", "/api/v2/triggers/{trigger_id}", api.get(f"{u}/api/v2/triggers/{trigger}"))
    validate(
        "PUT",
        "/api/v2/triggers/{trigger_id}",
        api.put(f"{u}/api/v2/triggers/{trigger}", json={"trigger": {"title": "u"}}),
    )
    validate("GET", "/api/v2/triggers/active", api.get(f"{u}/api/v2/triggers/active"))
    macro = api.post(
        f"{u}/api/v2/macros",
        json={"macro": {"title": "m", "actions": [{"field": "status", "value": "pending"}]}},
    ).json()["macro"]["id"]
    validate("GET", "/api/v2/macros/{macro_id}", api.get(f"{u}/api/v2/macros/{macro}"))
    validate(
        "PUT",
        "/api/v2/macros/{macro_id}",
        api.put(f"{u}/api/v2/macros/{macro}", json={"macro": {"title": "n"}}),
    )
    validate("GET", "/api/v2/macros/active", api.get(f"{u}/api/v2/macros/active"))
    validate("GET", "/api/v2/macros/{macro_id}/apply", api.get(f"{u}/api/v2/macros/{macro}/apply"))
    item = api.post(
        f"{u}/api/v2/dynamic_content/items",
        json={"item": {"name": "s", "default_locale_id": 1, "variants": [{"locale_id": 1, "content": "x"}]}},
    ).json()["item"]["id"]
    base = "/api/v2/dynamic_content/items/{dynamic_content_item_id}"
    validate("GET", base, api.get(f"{u}/api/v2/dynamic_content/items/{item}"))
    validate("PUT", base, api.put(f"{u}/api/v2/dynamic_content/items/{item}", json={"item": {"name": "t"}}))
    validate("GET", base + "/variants", api.get(f"{u}/api/v2/dynamic_content/items/{item}/variants"))
    validate(
        "POST",
        base + "/variants/create_many",
        api.post(
            f"{u}/api/v2/dynamic_content/items/{item}/variants/create_many",
            json={"variants": [{"locale_id": 30, "content": "y"}]},
        ),
    )
    field = api.post(
        f"{u}/api/v2/ticket_fields",
        json={
            "ticket_field": {
                "title": "f",
                "type": "tagger",
                "custom_field_options": [{"name": "A", "value": "a"}],
            }
        },
    ).json()["ticket_field"]["id"]
    validate("GET", "/api/v2/ticket_fields/{ticket_field_id}", api.get(f"{u}/api/v2/ticket_fields/{field}"))
    validate(
        "PUT",
        "/api/v2/ticket_fields/{ticket_field_id}",
        api.put(f"{u}/api/v2/ticket_fields/{field}", json={"ticket_field": {"title": "g"}}),
    )


def test_satisfaction_rating_operations(api, sandbox, validate):
    u = sandbox.url
    made = api.post(f"{u}/api/v2/tickets", json={"ticket": {"subject": "s", "comment": {"body": "b"}}})
    ticket_id = made.json()["ticket"]["id"]
    api.put(f"{u}/api/v2/tickets/{ticket_id}", json={"ticket": {"status": "solved"}})
    rated = api.post(
        f"{u}/_sandbox/tickets/{ticket_id}/satisfaction_rating",
        json={"satisfaction_rating": {"score": "bad", "comment": "slow"}},
    )
    assert rated.status_code == 200, rated.text
    validate("GET", "/api/v2/satisfaction_ratings", api.get(f"{u}/api/v2/satisfaction_ratings?score=bad"))
    validate("GET", "/api/v2/satisfaction_ratings", api.get(f"{u}/api/v2/satisfaction_ratings?page[size]=1"))


def test_audit_job_and_create_or_update_operations(api, sandbox, validate):
    """The shapes issue 11 added: all ticket audits, a job's ``job_type``, and the organization
    create-or-update (201 on create, 200 on update)."""
    u = sandbox.url
    ticket = api.post(f"{u}/api/v2/tickets", json={"ticket": {"subject": "s", "comment": {"body": "b"}}})
    ticket_id = ticket.json()["ticket"]["id"]
    api.put(f"{u}/api/v2/tickets/{ticket_id}", json={"ticket": {"priority": "high"}})
    first = api.get(f"{u}/api/v2/ticket_audits?limit=1")
    validate("GET", "/api/v2/ticket_audits", first)
    validate("GET", "/api/v2/ticket_audits", api.get(first.json()["after_url"]))
    validate("GET", "/api/v2/tickets/{ticket_id}/audits", api.get(f"{u}/api/v2/tickets/{ticket_id}/audits"))
    job = api.delete(f"{u}/api/v2/tickets/destroy_many?ids={ticket_id}").json()["job_status"]
    assert job["job_type"] == "destroy_tickets"
    validate("GET", "/api/v2/job_statuses/{job_status_id}", api.get(f"{u}/api/v2/job_statuses/{job['id']}"))
    url = f"{u}/api/v2/organizations/create_or_update"
    created = api.post(url, json={"organization": {"name": "Acme", "external_id": "crm-1"}})
    assert created.status_code == 201
    validate("POST", "/api/v2/organizations/create_or_update", created)
    updated = api.post(url, json={"organization": {"external_id": "crm-1", "notes": "n"}})
    assert updated.status_code == 200
    validate("POST", "/api/v2/organizations/create_or_update", updated)
