"""Test helpers: free ports, waiting for a condition, a running IncidentDesk (web and worker threads) wired to a sandbox, a signed-in browser, and Zendesk's side of signed app URLs (JWTs from a key pair made for the test)."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import make_server

from integrations.zendesk.setup import install
from service.app import create_app
from service.inbox.worker import Worker
from service.wiring import Services, build_services
from tests.browser.conftest import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.conftest import make_settings
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], object], timeout: float = 20.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def wait_for_count(
    measure: Callable[[], int], target: float, *, stall: float = 60.0, interval: float = 0.05
) -> int:
    """Wait until ``measure()`` reaches ``target``, for as long as it keeps moving: it fails only
    after ``stall`` seconds without progress. A busy machine makes work slower, not wrong; a fixed
    deadline would turn that slowness into a failure."""
    best, moved = measure(), time.monotonic()
    while best < target:
        if time.monotonic() - moved > stall:
            raise AssertionError(f"stuck at {best} of {target} for {stall} s")
        time.sleep(interval)
        now = measure()
        if now > best:
            best, moved = now, time.monotonic()
    return best


@dataclass
class RunningService:
    services: Services
    url: str
    sandbox_url: str
    _server: object
    _worker_stop: threading.Event | None = None
    _worker_thread: threading.Thread | None = None

    @property
    def api(self) -> requests.Session:
        session = requests.Session()
        session.auth = (f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN)
        return session

    def create_ticket(
        self,
        body: str,
        *,
        subject: str = "Help",
        name: str = "Dana Levi",
        email: str = "dana@example.com",
        locale: str = "en",
        via: str | None = None,
    ) -> int:
        ticket = {
            "subject": subject,
            "comment": {"body": body},
            "requester": {"name": name, "email": email, "locale": locale},
        }
        if via:
            ticket["via"] = {"channel": via}
        answer = self.api.post(f"{self.sandbox_url}/api/v2/tickets.json", json={"ticket": ticket}, timeout=10)
        assert answer.status_code == 201, answer.text
        return answer.json()["ticket"]["id"]

    def _get(self, path: str) -> dict:
        """A read as a test observer; waits out a 429 like any Zendesk client must."""
        for _ in range(5):
            answer = self.api.get(f"{self.sandbox_url}/api/v2/{path}", timeout=10)
            if answer.status_code != 429:
                answer.raise_for_status()
                return answer.json()
            time.sleep(float(answer.headers.get("Retry-After", "1")))
        raise AssertionError(f"GET {path} stayed rate limited")

    def ticket(self, ticket_id: int) -> dict:
        return self._get(f"tickets/{ticket_id}.json")["ticket"]

    def comments(self, ticket_id: int) -> list[dict]:
        return self._get(f"tickets/{ticket_id}/comments.json")["comments"]

    def public_replies(self, ticket_id: int) -> list[str]:
        """The public comments after the customer's first one, as the customer sees them."""
        return [c["body"] for c in self.comments(ticket_id)[1:] if c["public"]]

    def start_worker(self) -> None:
        self._worker_stop = threading.Event()
        self._worker_thread = threading.Thread(
            target=Worker(self.services).run_forever, args=(self._worker_stop,), daemon=True
        )
        self._worker_thread.start()

    def stop_worker(self) -> None:
        if self._worker_stop:
            self._worker_stop.set()
            self._worker_thread.join(timeout=30)
            self._worker_stop = None

    def stop(self) -> None:
        self.stop_worker()
        self._server.shutdown()
        self.services.db.dispose()


EXPORT_EXCLUDES_HERE = 2  # seconds: the sandbox's current second, and one more


def export_everything(sandbox, helpdesk) -> None:
    """The sandbox's incremental export leaves out no recent minute, only the second not yet
    passed, and the adapter is told so: nothing waits out Zendesk's minute."""
    requests.post(
        f"{sandbox.url}/_sandbox/limits", json={"incremental_exclusion_seconds": 0}, timeout=5
    ).raise_for_status()
    helpdesk.export_excludes = timedelta(seconds=EXPORT_EXCLUDES_HERE)


def start_service(
    database_url: str, sandbox, helpdesk, *, worker: bool = True, webhook_kind: str = "trigger", **overrides
) -> RunningService:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    installation = install(helpdesk.client, f"{url}/webhooks/zendesk", kind=webhook_kind)
    settings = make_settings(
        database_url,
        zendesk_base_url=sandbox.url,
        zendesk_email=DEMO_AGENT_EMAIL,
        zendesk_api_token=DEMO_API_TOKEN,
        zendesk_webhook_secret=installation.signing_secret,
        **overrides,
    )
    services = build_services(settings, helpdesk=helpdesk)
    server = make_server("127.0.0.1", port, create_app(services=services), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    running = RunningService(services=services, url=url, sandbox_url=sandbox.url, _server=server)
    if worker:
        running.start_worker()
    return running


def sign_in(page) -> None:
    page.goto("/admin/incidents")
    assert page.url.endswith("/login?next=/admin/incidents")
    page.get_by_label("Username").fill(ADMIN_USERNAME)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/incidents")


# ../shared/reference beside the checkout: Zendesk's OpenAPI, recorded traffic, signature vectors
# and app rules.
REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"


def needs_reference(path: Path) -> pytest.MarkDecorator:
    """Mark for tests that check us against reference data. Without it they skip with the reason,
    except in CI (``CI`` set, as `.ci/run` does), where a missing folder is an error: a skip
    there would hide that the check did not run."""
    if path.exists():
        return pytest.mark.reference
    if os.environ.get("CI"):
        raise RuntimeError(
            f"{path} is missing: CI must run the reference-data tests against ../shared/reference"
        )
    return pytest.mark.skip(reason=f"{path} is not beside this checkout (../shared/reference)")


ACCOUNT = "sandbox.zendesk.com"  # make_settings uses the subdomain "sandbox"


AUDIENCE = f"https://{ACCOUNT}/api/v2/apps/installations/360001.json"


AGENT_ID = 90210
SIDEBAR_TICKET_ID = 7  # the ticket a test's sidebar is opened on unless it names another


@dataclass(frozen=True)
class KeyPair:
    private: rsa.RSAPrivateKey
    public_pem: str


@cache
def key_pair(name: str) -> KeyPair:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return KeyPair(private, public_pem)


def zendesk_token(
    *, key: str = "app", expires_in: int = 300, ticket_id: int | None = SIDEBAR_TICKET_ID, **claims
) -> str:
    """Zendesk's signed request for an app page; ``context.ticket_id`` names the sidebar's ticket."""
    now = int(time.time())
    context: dict = {"product": "support", "location": "ticket_sidebar"}
    if ticket_id is not None:
        context["ticket_id"] = ticket_id
    payload = {
        "iss": ACCOUNT,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + expires_in,
        "sub": f"https://{ACCOUNT}/api/v2/users/{AGENT_ID}.json",
        "context": context,
    }
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, key_pair(key).private, algorithm="RS256")


def app_settings(settings):
    return settings.with_overrides(
        zendesk_app_public_key=key_pair("app").public_pem, zendesk_app_audience=AUDIENCE
    )


def sidebar_token(html: str) -> str:
    found = re.search(r'<meta name="incidentdesk-sidebar-token" content="([^"]+)">', html)
    assert found, "the sidebar page carries a sidebar token"
    return found.group(1)


@dataclass
class PagerDutyStandIn:
    """PagerDuty's REST API as far as impact notes go: records each ``POST
    /incidents/<id>/notes`` (path, headers, body) and answers as the API reference's example."""

    url: str
    notes: list[dict]
    _server: object

    def stop(self) -> None:
        self._server.shutdown()


def start_pagerduty_stand_in() -> PagerDutyStandIn:
    from flask import Flask, jsonify, request

    app = Flask("pagerduty-stand-in")
    notes: list[dict] = []

    @app.post("/incidents/<incident_id>/notes")
    def add_note(incident_id: str):
        notes.append(
            {"incident_id": incident_id, "headers": dict(request.headers), "body": request.get_json()}
        )
        content = request.get_json()["note"]["content"]
        return jsonify(
            {"note": {"id": f"PNOTE{len(notes)}", "content": content, "channel": {"summary": "API"}}}
        )

    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return PagerDutyStandIn(url=f"http://127.0.0.1:{port}", notes=notes, _server=server)


class FakeClock:
    """Time is the one thing faked here: the budget's waits are minutes long."""

    def __init__(self, now=1_000_020.0):
        self.now = now
        self.slept = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds
