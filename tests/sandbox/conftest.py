"""Fixtures: one sandbox server per test module (reset before each test), a zenpy client
against it, and a local webhook receiver that records what it is sent."""

from __future__ import annotations

import logging
import threading
import time

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN, SandboxServer, zenpy_client_for

logging.getLogger("werkzeug").setLevel(logging.ERROR)


@pytest.fixture(scope="module")
def _server():
    with SandboxServer(plan="enterprise") as server:
        yield server


@pytest.fixture
def sandbox(_server):
    _server.state.reset()
    _server.state.webhook_options.update(retry_delay_seconds=0.05)
    return _server


@pytest.fixture
def zd(sandbox):
    return zenpy_client_for(sandbox.url, DEMO_AGENT_EMAIL, DEMO_API_TOKEN)


@pytest.fixture
def api(sandbox):
    """A plain requests session authenticated as the demo agent."""
    session = requests.Session()
    session.trust_env = False
    session.auth = (f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN)
    session.base = sandbox.url
    return session


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.02):
    """Poll until ``predicate()`` is truthy; return its value or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


class Receiver:
    """A webhook endpoint answering with queued statuses (then 200). An entry is a status
    code or ``(status, headers, delay_seconds)``."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def _app(self, environ, start_response):
        request = Request(environ)
        with self.lock:
            self.requests.append(
                {
                    "headers": dict(request.headers),
                    "body": request.get_data(as_text=True),
                    "method": request.method,
                }
            )
            answer = self.statuses.pop(0) if self.statuses else 200
        status, headers, delay = answer if isinstance(answer, tuple) else (answer, {}, 0)
        if delay:
            time.sleep(delay)
        return Response("ok", status=status, headers=headers)(environ, start_response)

    def close(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver():
    rec = Receiver()
    yield rec
    rec.close()
