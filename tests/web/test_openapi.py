"""The OpenAPI document: valid OpenAPI 3, naming exactly the routes Flask serves under /api/v1, and
true of what they answer: live answers of every route (successes and refusals) are validated
against it."""

from __future__ import annotations

import re

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from service.web.api.openapi import PREFIX, document
from tests.factories import AUTH, INCIDENT, add_links, recent_checkout_tickets
from tests.web.test_triage_groups import sandbox_group

FLASK_PARAMETER = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?([a-z_]+)>")
CSV = (
    "email,name,locale,order\nann@example.com,Ann Lee,en,#7\ndana@example.com,Dana Levi,he,#8\n"
    "ANN@example.com,Dup,en,#9\nbroken,Broken,en,#10\n"
)


def test_the_document_is_valid_openapi_3():
    validate(document())


def test_it_names_exactly_the_routes_flask_serves(app):
    served = {
        (method.lower(), FLASK_PARAMETER.sub(r"{\1}", rule.rule).removeprefix(PREFIX))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(PREFIX)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(method, path) for path, methods in document()["paths"].items() for method in methods}
    assert served == documented


def _resolved(schema: object) -> object:
    """``schema`` with each ``$ref`` replaced by the component it names."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _resolved(document()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
        return {key: _resolved(value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_resolved(item) for item in schema]
    return schema


def _operation(method: str, url: str) -> dict:
    path = url.split("?", 1)[0].removeprefix(PREFIX)
    for template, methods in document()["paths"].items():
        pattern = "^" + re.sub(r"\\{[a-z_]+\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method in methods and "{action}" not in template:
            return methods[method]
    for template, methods in document()["paths"].items():  # the campaign action route last: it matches most
        pattern = "^" + re.sub(r"\\{[a-z_]+\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method in methods:
            return methods[method]
    raise AssertionError(f"the document has no {method.upper()} {path}")


class Checked:
    """A test client whose every API answer is checked against the document."""

    def __init__(self, client):
        self.client = client
        self.seen: set[tuple[str, int]] = set()

    def call(self, method: str, url: str, **kwargs):
        answer = getattr(self.client, method)(url, headers=AUTH, **kwargs)
        operation = _operation(method, url)
        described = operation["responses"].get(str(answer.status_code)) or operation["responses"]["default"]
        media = answer.mimetype
        if "content" not in described:  # documented as having no body
            assert answer.data == b"", f"{method} {url}: {answer.status_code} has a body the document omits"
        else:
            assert media in described["content"], (
                f"{method} {url}: {answer.status_code} {media} is not described"
            )
        if media == "application/json" and "content" in described:
            schema = _resolved(described["content"][media]["schema"])
            errors = sorted(e.message for e in OAS30Validator(schema).iter_errors(answer.get_json()))
            assert not errors, f"{method.upper()} {url} {answer.status_code}: {errors[:5]}"
        self.seen.add((operation["summary"], answer.status_code))
        return answer


@pytest.fixture
def api(client):
    return Checked(client)


def test_every_route_answers_as_the_document_says(api, db, sandbox):
    recent_checkout_tickets(sandbox)
    api.call("get", "/api/v1/openapi.json")
    incident = api.call("post", "/api/v1/incidents", json=INCIDENT).get_json()
    base = f"/api/v1/incidents/{incident['id']}"
    add_links(db, incident["id"])
    api.call("get", "/api/v1/incidents")
    api.call("get", base)
    api.call("get", f"{base}/tickets")
    api.call("get", f"{base}/status")
    api.call(
        "post",
        f"{base}/status",
        json={"stage": "identified", "texts": {"en": "Found it."}, "broadcast": True},
    )
    api.call("put", f"{base}/rules", json={"rules": [{"kind": "phrase", "value": "checkout fails"}]})
    api.call("post", f"{base}/rules/preview", json={"rules": [{"kind": "phrase", "value": "checkout fails"}]})
    api.call("put", f"{base}/shadow", json={"shadow_mode": False})
    api.call("put", f"{base}/public", json={"public": True, "slug": "checkout-is-down"})
    api.call("put", f"{base}/solve-assignment", json={"solve_group_id": None, "solve_assignee_id": None})
    api.call("get", "/api/v1/merge-settings")
    api.call("put", "/api/v1/merge-settings", json={"enabled": True, "window_minutes": 90})
    api.call("get", f"{base}/merge-settings")
    api.call("put", f"{base}/merge-settings", json={"window_minutes": 30})
    api.call("get", f"{base}/merges")
    api.call("get", "/api/v1/backlog")
    api.call("get", "/api/v1/backlog.csv")
    api.call("get", "/api/v1/triage-settings")
    api.call(
        "put",
        "/api/v1/triage-settings",
        json={"threat_phrases": ["lawyer", "עורך דין"], "repeat_contacts": 2},
    )
    api.call("get", f"{base}/triage-settings")
    escalations = sandbox_group(sandbox, "Escalations")
    api.call("put", f"{base}/triage-settings", json={"group_id": escalations, "threat_priority": "high"})
    api.call("put", f"{base}/triage-settings", json={"threat_priority": "asap"})
    campaign = api.call(
        "post",
        f"{base}/campaigns",
        json={
            "name": "Sorry",
            "messages": {"en": {"subject": "About it", "body": "Hi {{first_name}}"}},
            "csv": CSV,
        },
    ).get_json()
    url = f"{base}/campaigns/{campaign['id']}"
    api.call("get", f"{base}/campaigns")
    api.call("get", url)
    api.call("put", f"{url}/audience", json={"csv": CSV})
    api.call("get", f"{url}/preview")
    api.call("post", f"{url}/launch")
    api.call("post", f"{url}/pause")
    api.call("get", f"{url}/results.csv")
    backfill = api.call("post", f"{base}/backfills?dry_run=true").get_json()
    api.call("get", f"{base}/backfills/{backfill['id']}")
    api.call("post", f"{base}/backfills/{backfill['id']}/apply")  # not counted yet: 409
    api.call("post", f"{base}/backfills?dry_run=false")
    api.call("post", f"{base}/resolve", json={"texts": {"en": "Fixed."}})
    api.call("get", f"{base}/report")
    api.call("post", f"{base}/reopen")
    api.call("get", "/api/v1/sources")
    source = api.call(
        "post",
        "/api/v1/sources",
        json={"kind": "generic", "name": "In-house status tool", "template_incident_id": incident["id"]},
    ).get_json()
    api.call("get", "/api/v1/sources")
    api.call("post", "/api/v1/sources/proposals/99999/confirm")
    api.call("post", "/api/v1/sources/proposals/99999/dismiss")
    api.call("delete", f"/api/v1/sources/{source['source']['id']}")
    api.call(
        "post", "/api/v1/sources", json={"kind": "fax", "name": "x", "template_incident_id": incident["id"]}
    )
    # Refusals answer with the documented error shape too.
    api.call("get", "/api/v1/incidents/99999")
    api.call("post", "/api/v1/incidents", json={"title": ""})
    api.call("post", f"{url}/resume")
    api.call("post", f"{base}/reopen")
    api.call("put", f"{base}/shadow", json={})
    api.call("put", f"{base}/public", json={"public": True, "slug": "Not a slug"})
    api.call("get", f"{base}/campaigns/99999/preview")
    api.call("put", "/api/v1/merge-settings", json={"nonsense": 1})
    operations = {op["summary"] for methods in document()["paths"].values() for op in methods.values()}
    assert {summary for summary, _ in api.seen} == operations, "a route went unchecked"
    assert {status for _, status in api.seen} >= {200, 201, 404, 409, 422}


def test_the_document_needs_the_token_and_the_docs_page_a_login(client, logged_in):
    assert client.get("/api/v1/openapi.json").status_code in (401,)
    page = logged_in.get("/admin/api").get_data(as_text=True)
    assert "/api/v1/incidents/{incident_id}/campaigns/{campaign_id}/results.csv" in page
    assert 'id="schema-CampaignInput"' in page and "coupon_mode" in page
