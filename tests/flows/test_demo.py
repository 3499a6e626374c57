"""`incidentdesk demo` as a user runs it: a subprocess on loopback, driven over HTTP."""

import subprocess
import sys
import time

import pytest
import requests

from service.demo import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME, DEMO_API_TOKEN_FOR_SERVICE
from tests.helpers import free_port, wait_for
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN


@pytest.fixture
def demo(tmp_path):
    port, sandbox_port = free_port(), free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "service.cli",
            "--log-level",
            "WARNING",
            "demo",
            "--port",
            str(port),
            "--sandbox-port",
            str(sandbox_port),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            return requests.get(base + "/healthz", timeout=1).status_code == 200
        except requests.ConnectionError:
            return process.poll() is not None

    wait_for(up, timeout=60)
    assert process.poll() is None, process.stdout.read()
    yield base, f"http://127.0.0.1:{sandbox_port}"
    process.terminate()
    process.wait(timeout=15)


def test_demo_links_and_answers_a_hebrew_ticket_within_seconds(demo):
    base, sandbox = demo
    api = requests.Session()
    api.auth = (f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN)
    incidents = requests.get(
        base + "/api/v1/incidents",
        timeout=5,
        headers={"Authorization": f"Bearer {DEMO_API_TOKEN_FOR_SERVICE}"},
    ).json()
    [incident] = [i for i in incidents["incidents"] if i["title"] == "Checkout is down"]

    started = time.monotonic()
    created = api.post(
        f"{sandbox}/api/v2/tickets.json",
        timeout=5,
        json={
            "ticket": {
                "subject": "עזרה",
                "comment": {"body": "התשלום באתר לא עובד"},
                "requester": {"name": "נועה כהן", "email": "noa@example.com", "locale": "he"},
            }
        },
    )
    ticket_id = created.json()["ticket"]["id"]

    def answered():
        comments = api.get(f"{sandbox}/api/v2/tickets/{ticket_id}/comments.json", timeout=5).json()[
            "comments"
        ]
        return comments if any(c["public"] and "שלום נועה" in c["body"] for c in comments[1:]) else None

    wait_for(answered, timeout=10)
    print(f"\ndemo: ticket linked and answered {time.monotonic() - started:.2f} s after creation")
    ticket = api.get(f"{sandbox}/api/v2/tickets/{ticket_id}.json", timeout=5).json()["ticket"]
    assert incident["tag"] in ticket["tags"] and ticket["type"] == "incident"

    reply = next(c["body"] for c in answered()[1:] if c["public"])
    assert reply.endswith(f"{base}/status/checkout-is-down")
    status_page = requests.get(
        base + "/status/checkout-is-down", headers={"Accept-Language": "he"}, timeout=5
    )
    assert status_page.status_code == 200 and 'dir="rtl"' in status_page.text

    login_page = requests.get(base + "/login", timeout=5)
    assert login_page.status_code == 200 and DEMO_ADMIN_USERNAME and DEMO_ADMIN_PASSWORD


def test_demo_refuses_to_listen_beyond_loopback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "demo", "--host", "0.0.0.0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "only listens on loopback" in result.stderr
