"""A running IncidentDesk (web + worker threads) wired to a sandbox, for end-to-end tests."""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Callable

import requests
from werkzeug.serving import make_server

from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN
from integrations.zendesk.setup import install
from service.wiring import Services, build_services
from service.app import create_app
from service.domain.incidents import clean_draft
from service.incidents.store import declare_incident
from service.inbox.worker import Worker
from tests.conftest import make_settings

CHECKOUT_PHRASES = ["checkout", "can't pay", "payment fails", "תשלום", "плащане", "не мога да платя"]
CHECKOUT_STATUS = {
    "en": "Hi {{first_name}}, checkout is down; we expect it back within 3 hours.",
    "he": "שלום {{first_name}}, מערכת התשלום מושבתת; אנו צופים שתחזור תוך 3 שעות.",
    "bg": "Здравейте, {{first_name}}, плащането не работи; очакваме да се възстанови до 3 часа.",
}


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

    def create_ticket(self, body: str, *, subject: str = "Help", name: str = "Dana Levi",
                      email: str = "dana@example.com", locale: str = "en", via: str | None = None) -> int:
        ticket = {"subject": subject, "comment": {"body": body},
                  "requester": {"name": name, "email": email, "locale": locale}}
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

    def start_worker(self) -> None:
        self._worker_stop = threading.Event()
        self._worker_thread = threading.Thread(target=Worker(self.services).run_forever,
                                               args=(self._worker_stop,), daemon=True)
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


def start_service(database_url: str, sandbox, helpdesk, *, worker: bool = True, **overrides) -> RunningService:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    installation = install(helpdesk.client, f"{url}/webhooks/zendesk")
    settings = make_settings(database_url, zendesk_base_url=sandbox.url, zendesk_email=DEMO_AGENT_EMAIL,
                             zendesk_api_token=DEMO_API_TOKEN, zendesk_webhook_secret=installation.signing_secret,
                             **overrides)
    services = build_services(settings, helpdesk=helpdesk)
    server = make_server("127.0.0.1", port, create_app(services=services), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    running = RunningService(services=services, url=url, sandbox_url=sandbox.url, _server=server)
    if worker:
        running.start_worker()
    return running


def declare_checkout_incident(services: Services, **draft_overrides):
    with services.db.transaction() as session:
        draft = clean_draft("Checkout is down", draft_overrides.pop("phrases", CHECKOUT_PHRASES),
                            draft_overrides.pop("status_texts", CHECKOUT_STATUS), **draft_overrides)
        incident = declare_incident(session, services.helpdesk, draft, actor="test")
        return incident.id, incident.tag, incident.problem_ticket_id
