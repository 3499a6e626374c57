"""`incidentdesk serve` (gunicorn) with its worker, and `incidentdesk migrate`, as an operator runs them."""

import os
import subprocess
import sys

import requests
from zenpy.lib.api_objects import Comment, Ticket

from integrations.zendesk.setup import install
from service.wiring import build_services
from tests.conftest import make_settings
from tests.factories import declare_checkout_incident
from tests.helpers import free_port, wait_for
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN


def test_gunicorn_serves_the_app_and_its_worker_links_tickets(tmp_path, sandbox, helpdesk):
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    port = free_port()
    secret = install(helpdesk.client, f"http://127.0.0.1:{port}/webhooks/zendesk").signing_secret
    env = {
        **os.environ,
        "INCIDENTDESK_SECRET_KEY": "s" * 40,
        "INCIDENTDESK_DATABASE_URL": url,
        "ZENDESK_BASE_URL": sandbox.url,
        "ZENDESK_EMAIL": DEMO_AGENT_EMAIL,
        "ZENDESK_API_TOKEN": DEMO_API_TOKEN,
        "ZENDESK_WEBHOOK_SECRET": secret,
        "INCIDENTDESK_WORKER_POLL_SECONDS": "0.1",
    }
    migrate = subprocess.run(
        [sys.executable, "-m", "service.cli", "migrate"], env=env, capture_output=True, text=True, timeout=60
    )
    assert migrate.returncode == 0, migrate.stderr
    services = build_services(make_settings(url), helpdesk=helpdesk)
    _, tag, _ = declare_checkout_incident(services)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "service.cli",
            "--log-level",
            "WARNING",
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
            "--with-worker",
        ],
        env=env,
    )
    try:

        def up():
            try:
                return requests.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
            except requests.ConnectionError:
                return False

        wait_for(up, timeout=30)
        ticket = helpdesk.client.tickets.create(
            Ticket(subject="Help", comment=Comment(body="checkout fails"))
        ).ticket
        wait_for(lambda: tag in helpdesk.get_tickets([ticket.id])[0].tags, timeout=30)
    finally:
        server.terminate()
        # SIGTERM is a graceful stop: the embedded worker finishes its batch, gunicorn exits 0.
        assert server.wait(timeout=40) == 0
        services.db.dispose()
