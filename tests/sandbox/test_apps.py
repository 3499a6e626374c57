"""The sandbox's Apps API: the real package (built by `incidentdesk package-app`) uploaded,
built and installed over HTTP provisions its event webhook once, a package with triggers gets
them pointed at its webhook, and uninstalling removes what the installation made."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from integrations.zendesk.setup import install as setup_install
from service.app_package import build
from tests.sandbox.apps_api import create_app, install, pointing_at, triggers, webhooks
from tests.sandbox.conftest import wait_for


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    return build(output=tmp_path_factory.mktemp("app") / "incidentdesk-app.zip").path.read_bytes()


def test_installing_provisions_the_webhook_once_and_uninstalling_removes_it(api, sandbox, package, receiver):
    job = create_app(api, sandbox, package)
    assert job["status"] == "completed" and job["app_id"]
    service_url = receiver.url.removesuffix("/hook")
    endpoint = f"{service_url}/webhooks/zendesk"

    installed = install(api, sandbox, job["app_id"], service_url)
    assert installed.status_code == 201, installed.text
    installation = installed.json()
    assert installation["app_id"] == job["app_id"]
    assert installation["settings"]["service_url"] == service_url
    hooks, found = pointing_at(api, sandbox, endpoint)
    assert len(hooks) == 1 and hooks[0]["name"] == "IncidentDesk" and hooks[0]["status"] == "active"
    assert "zen:event-type:ticket.created" in hooks[0]["subscriptions"] and found == []
    listed = api.get(f"{sandbox.url}/api/v2/apps/installations.json").json()["installations"]
    assert [i["id"] for i in listed] == [installation["id"]]
    requirements = api.get(f"{sandbox.url}/api/v2/apps/installations/{installation['id']}/requirements.json")
    assert sorted((r["requirement_type"], r["identifier"]) for r in requirements.json()["requirements"]) == [
        ("webhooks", "incidentdesk_webhook"),
    ]

    again = install(api, sandbox, job["app_id"], service_url)
    assert again.status_code == 422 and "can be installed only once" in again.json()["description"]
    assert [len(x) for x in pointing_at(api, sandbox, endpoint)] == [1, 0]

    gone = api.delete(f"{sandbox.url}/api/v2/apps/installations/{installation['id']}.json")
    assert gone.status_code == 204
    assert pointing_at(api, sandbox, endpoint) == ([], [])
    assert webhooks(api, sandbox) == [] and triggers(api, sandbox) == []
    assert api.get(f"{sandbox.url}/api/v2/apps/installations.json").json()["installations"] == []
    assert install(api, sandbox, job["app_id"], service_url).status_code == 201, "installable again"


def test_the_installed_webhook_delivers_a_new_tickets_event_to_the_service_url(
    api, sandbox, package, receiver, zd
):
    job = create_app(api, sandbox, package)
    assert install(api, sandbox, job["app_id"], receiver.url.removesuffix("/hook")).status_code == 201
    created = api.post(
        f"{sandbox.url}/api/v2/tickets.json",
        json={"ticket": {"subject": "Help", "comment": {"body": "checkout fails"}}},
    )
    ticket_id = created.json()["ticket"]["id"]
    got = wait_for(lambda: receiver.requests)[0]
    (hook,) = webhooks(api, sandbox)
    assert got["headers"]["X-Zendesk-Webhook-Id"] == hook["id"]
    body = json.loads(got["body"])
    assert body["type"] == "zen:event-type:ticket.created" and body["subject"] == f"zen:ticket:{ticket_id}"


def test_a_packages_triggers_are_pointed_at_the_webhook_it_installs_and_removed_with_it(
    api, sandbox, receiver
):
    """A trigger requirement names its webhook by identifier; installed, it names the webhook's id."""
    endpoint = f"{receiver.url.removesuffix('/hook')}/webhooks/zendesk"
    hook = {
        "name": "IncidentDesk",
        "status": "active",
        "endpoint": "{{setting.service_url}}/webhooks/zendesk",
        "http_method": "POST",
        "request_format": "json",
        "subscriptions": ["conditional_ticket_events"],
    }
    on_create = {
        "title": "IncidentDesk: new tickets",
        "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}], "any": []},
        "actions": [{"field": "notification_webhook", "value": ["hook", '{"ticket_id": "{{ticket.id}}"}']}],
    }
    manifest = {"name": "t", "parameters": [{"name": "service_url", "type": "url", "required": True}]}
    package = zip_of(
        {
            "manifest.json": json.dumps(manifest),
            "requirements.json": json.dumps(
                {"webhooks": {"hook": hook}, "triggers": {"on_create": on_create}}
            ),
        }
    )
    app_id = create_app(api, sandbox, package)["app_id"]
    installation = install(api, sandbox, app_id, receiver.url.removesuffix("/hook")).json()
    (made,), (trigger,) = pointing_at(api, sandbox, endpoint)
    assert trigger["actions"][0]["value"][0] == made["id"]
    created = api.post(f"{sandbox.url}/api/v2/tickets.json", json={"ticket": {"comment": {"body": "hi"}}})
    got = wait_for(lambda: receiver.requests)[0]
    assert json.loads(got["body"]) == {"ticket_id": str(created.json()["ticket"]["id"])}
    assert api.delete(f"{sandbox.url}/api/v2/apps/installations/{installation['id']}.json").status_code == 204
    assert pointing_at(api, sandbox, endpoint) == ([], []) and triggers(api, sandbox) == []


def zip_of(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_bad_packages_and_installations_are_refused_with_what_to_fix(api, sandbox, package):
    no_file = api.post(f"{sandbox.url}/api/v2/apps/uploads.json", data={"x": "y"})
    assert no_file.status_code == 400 and "uploaded_data" in no_file.json()["description"]
    nested = create_app(api, sandbox, zip_of({"app/manifest.json": "{}"}))
    assert nested == {
        "id": nested["id"],
        "status": "failed",
        "message": "Could not find manifest.json",
        "app_id": None,
    }
    other = create_app(api, sandbox, zip_of({"manifest.json": "{}", "requirements.json": '{"macros": {}}'}))
    assert other["status"] == "failed" and "macros" in other["message"]
    assert create_app(api, sandbox, b"not a zip")["status"] == "failed"

    app_id = create_app(api, sandbox, package)["app_id"]
    unknown = api.post(f"{sandbox.url}/api/v2/apps/installations.json", json={"app_id": 1, "settings": {}})
    assert unknown.status_code == 404
    unset = api.post(f"{sandbox.url}/api/v2/apps/installations.json", json={"app_id": app_id, "settings": {}})
    assert unset.status_code == 422 and "service_url" in unset.json()["description"]
    not_a_url = install(api, sandbox, app_id, "incidentdesk.example")
    assert not_a_url.status_code == 400 and "endpoint must be a URL" in not_a_url.text
    assert webhooks(api, sandbox) == [] and triggers(api, sandbox) == [], "a refused install leaves nothing"
    assert api.delete(f"{sandbox.url}/api/v2/apps/installations/1.json").status_code == 404

    hook = {
        "name": "h",
        "status": "active",
        "endpoint": "https://example.com/h",
        "http_method": "POST",
        "request_format": "json",
        "subscriptions": ["conditional_ticket_events"],
    }
    untitled = {
        "conditions": {"all": [], "any": []},
        "actions": [{"field": "notification_webhook", "value": ["h", "{}"]}],
    }
    half = create_app(
        api,
        sandbox,
        zip_of(
            {
                "manifest.json": "{}",
                "requirements.json": json.dumps({"webhooks": {"h": hook}, "triggers": {"t": untitled}}),
            }
        ),
    )
    refused = api.post(f"{sandbox.url}/api/v2/apps/installations.json", json={"app_id": half["app_id"]})
    assert refused.status_code == 422 and "Title" in refused.text
    assert webhooks(api, sandbox) == [], "the webhook created before the refused trigger is undone"


def test_setup_zendesk_after_the_app_reuses_what_the_app_installed(api, sandbox, package, zd):
    job = create_app(api, sandbox, package)
    service_url = "https://incidentdesk.example"
    installation = install(api, sandbox, job["app_id"], service_url).json()
    by_type = {}
    for r in api.get(f"{sandbox.url}/api/v2/apps/installations/{installation['id']}/requirements").json()[
        "requirements"
    ]:
        by_type.setdefault(r["requirement_type"], set()).add(r["requirement_id"])

    done = setup_install(zd, f"{service_url}/webhooks/zendesk", kind="event")

    assert {done.webhook_id} == by_type["webhooks"] and not done.trigger_ids
    assert len(webhooks(api, sandbox)) == 1 and triggers(api, sandbox) == []
