"""End to end over real HTTP without `setup-zendesk`: the app package built by `incidentdesk
package-app` is installed in the sandbox, whose provisioned event webhook then delivers a
customer's new ticket to the running service, which links and answers it; uninstalling leaves
nothing pointing at the service."""

from __future__ import annotations

import threading

import pytest
import requests
from werkzeug.serving import make_server

from service.app import create_app
from service.app_package import build
from service.wiring import build_services
from tests.conftest import make_settings
from tests.factories import declare_checkout_incident
from tests.helpers import RunningService, free_port, wait_for
from tests.sandbox.apps_api import create_app as create_zendesk_app
from tests.sandbox.apps_api import install, pointing_at
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN


@pytest.fixture
def admin_api():
    session = requests.Session()
    session.trust_env = False
    session.auth = (f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN)
    return session


def test_the_installed_app_delivers_tickets_to_the_service_and_uninstalling_disconnects_it(
    sqlite_url, sandbox, helpdesk, admin_api, tmp_path
):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    package = build(output=tmp_path / "incidentdesk-app.zip").path.read_bytes()
    app_id = create_zendesk_app(admin_api, sandbox, package)["app_id"]
    installed = install(admin_api, sandbox, app_id, url)
    assert installed.status_code == 201, installed.text
    installation_id = installed.json()["id"]
    (hook,), found = pointing_at(admin_api, sandbox, f"{url}/webhooks/zendesk")
    assert found == [] and "zen:event-type:ticket.created" in hook["subscriptions"]  # needs no trigger
    secret = admin_api.get(f"{sandbox.url}/api/v2/webhooks/{hook['id']}/signing_secret.json").json()
    settings = make_settings(
        sqlite_url,
        zendesk_base_url=sandbox.url,
        zendesk_email=DEMO_AGENT_EMAIL,
        zendesk_api_token=DEMO_API_TOKEN,
        zendesk_webhook_secret=secret["signing_secret"]["secret"],
    )
    services = build_services(settings, helpdesk=helpdesk)
    server = make_server("127.0.0.1", port, create_app(services=services), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    running = RunningService(services=services, url=url, sandbox_url=sandbox.url, _server=server)
    running.start_worker()
    try:
        _incident_id, tag, problem_id = declare_checkout_incident(running.services)
        ticket_id = running.create_ticket("Hello, checkout fails with error 500 when I pay")

        ticket = wait_for(lambda: next((t for t in [running.ticket(ticket_id)] if tag in t["tags"]), None))
        assert ticket["problem_id"] == problem_id
        public = wait_for(lambda: [c for c in running.comments(ticket_id)[1:] if c["public"]])
        assert public[0]["body"].startswith("Hi Dana, checkout is down")

        gone = admin_api.delete(f"{sandbox.url}/api/v2/apps/installations/{installation_id}.json")
        assert gone.status_code == 204
        assert pointing_at(admin_api, sandbox, f"{url}/webhooks/zendesk") == ([], [])
        assert not [t for t in sandbox.state.triggers.values() if url in str(t["actions"])]
    finally:
        running.stop()
