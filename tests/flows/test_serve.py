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


def test_metrics_add_up_every_gunicorn_process(tmp_path):
    """prometheus-client's multiprocess mode: whichever process answers the scrape, the figures
    are the sum over all of them."""
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    port = free_port()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    token = "metrics-" + "t" * 24
    env = {
        **os.environ,
        "INCIDENTDESK_SECRET_KEY": "s" * 40,
        "INCIDENTDESK_DATABASE_URL": url,
        "ZENDESK_EMAIL": "agent@example.com",
        "ZENDESK_API_TOKEN": "not-used-here",
        "ZENDESK_WEBHOOK_SECRET": "webhook-secret",
        "INCIDENTDESK_METRICS_TOKEN": token,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    (metrics_dir / "counter_999999.db").write_bytes(b"stale")  # last run's: cleared at start
    migrate = subprocess.run(
        [sys.executable, "-m", "service.cli", "migrate"], env=env, capture_output=True, text=True, timeout=60
    )
    assert migrate.returncode == 0, migrate.stderr
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
            "2",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def up():
            try:
                return requests.get(f"{base}/healthz", timeout=1).status_code == 200
            except requests.ConnectionError:
                return False

        wait_for(up, timeout=30)
        for _ in range(10):  # a new connection each: both processes get some
            assert requests.post(f"{base}/webhooks/zendesk", data=b"{}", timeout=5).status_code == 401
        totals = set()
        for _ in range(6):
            text = requests.get(
                f"{base}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=5
            ).text
            (line,) = [
                row
                for row in text.splitlines()
                if row.startswith('incidentdesk_webhook_rejected_total{status="401"}')
            ]
            totals.add(float(line.split()[-1]))
        assert totals == {10.0}
        assert not (metrics_dir / "counter_999999.db").exists()
    finally:
        server.terminate()
        assert server.wait(timeout=40) == 0
