"""IncidentDesk scaled out as an operator runs it: several `incidentdesk serve` (gunicorn) and
`incidentdesk worker` processes on one PostgreSQL database, each `serve` behind a webhook of its
own in the sandbox, so that every ticket event reaches every `serve` (duplicated deliveries).
Used by the scale-out test (tests/flows/test_scale_out.py) and benchmark (bench/scale_out_bench.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import func, select
from zenpy.lib.api_objects import Trigger, Webhook

from integrations.zendesk.setup import BODY_TEMPLATE, install, trigger_conditions
from integrations.zendesk.transport import zenpy_client
from service.domain.states import LinkState
from service.models import InboxDelivery, TicketLink
from tests.helpers import free_port, wait_for
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN


def _webhook_for(client, endpoint: str, suffix: str) -> str:
    """A second webhook (and its triggers) for another `serve`: Zendesk sends each event to both."""
    webhook = client.webhooks.create(
        Webhook(
            name=f"IncidentDesk {suffix}",
            endpoint=endpoint,
            http_method="POST",
            request_format="json",
            status="active",
            subscriptions=["conditional_ticket_events"],
        )
    )
    for title, conditions in trigger_conditions(int(client.users.me().id)).items():
        client.triggers.create(
            Trigger(
                title=f"{title} {suffix}",
                conditions=conditions,
                actions=[{"field": "notification_webhook", "value": [webhook.id, BODY_TEMPLATE]}],
            )
        )
    secret = client.webhooks.show_secret(webhook.id)
    return secret["secret"] if isinstance(secret, dict) else secret.secret


class Cluster:
    def __init__(self, database_url: str, sandbox_url: str, *, serves: int = 2, workers: int = 3, **env):
        self.database_url = database_url
        self.sandbox_url = sandbox_url
        self.base_env = {
            **os.environ,
            "INCIDENTDESK_SECRET_KEY": "s" * 40,
            "INCIDENTDESK_DATABASE_URL": database_url,
            "ZENDESK_BASE_URL": sandbox_url,
            "ZENDESK_EMAIL": DEMO_AGENT_EMAIL,
            "ZENDESK_API_TOKEN": DEMO_API_TOKEN,
            "INCIDENTDESK_WORKER_POLL_SECONDS": "0.2",
            "INCIDENTDESK_WORKER_BATCH_WINDOW_SECONDS": "0.5",
            # The scale-out figures are the webhook path's; the reconciler has its own flow test.
            "INCIDENTDESK_RECONCILE_SECONDS": "0",
            **env,
        }
        self.serve_count, self.worker_count = serves, workers
        self.serves: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []
        self.ports: list[int] = []

    def start(self) -> Cluster:
        client = zenpy_client("sandbox", DEMO_AGENT_EMAIL, DEMO_API_TOKEN, self.sandbox_url)
        for n in range(self.serve_count):
            port = free_port()
            endpoint = f"http://127.0.0.1:{port}/webhooks/zendesk"
            secret = (
                install(client, endpoint).signing_secret
                if n == 0
                else _webhook_for(client, endpoint, f"#{n}")
            )
            env = {**self.base_env, "ZENDESK_WEBHOOK_SECRET": secret}
            command = ["serve", "--port", str(port), "--workers", "2"]
            self.serves.append(self._spawn(command, env))
            self.ports.append(port)
        for _ in range(self.worker_count):
            self.workers.append(self._spawn(["worker"], self.base_env))
        for port in self.ports:
            wait_for(lambda port=port: self._ready(port), timeout=60)
        return self

    def _spawn(self, command: list[str], env: dict) -> subprocess.Popen:
        # To see why a run went wrong, set INCIDENTDESK_TEST_CLUSTER_LOGS to a folder: each
        # process then writes its INFO lines there.
        folder = os.environ.get("INCIDENTDESK_TEST_CLUSTER_LOGS")
        if not folder:
            return self._popen(command, env, "WARNING", subprocess.DEVNULL)
        os.makedirs(folder, exist_ok=True)
        name = f"{command[0]}-{len(self.serves) + len(self.workers)}.log"
        with open(os.path.join(folder, name), "ab") as output:  # the process keeps its own copy
            return self._popen(command, env, "INFO", output)

    @staticmethod
    def _popen(command: list[str], env: dict, level: str, output) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "service.cli", "--log-level", level, *command],
            env=env,
            stdout=output,
            stderr=output,
            start_new_session=True,
        )

    @staticmethod
    def _ready(port: int) -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
        except requests.ConnectionError:
            return False

    def kill_worker(self, index: int = 0) -> None:
        """SIGKILL: no chance to finish or return its batch; its leases must expire."""
        self.workers[index].send_signal(signal.SIGKILL)
        self.workers[index].wait(timeout=10)

    def stop(self) -> None:
        for process in [*self.workers, *self.serves]:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in [*self.workers, *self.serves]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def surge(sandbox_url: str, count: int, *, threads: int = 8) -> list[int]:
    """``count`` customers write in about the checkout at once (through the sandbox's customer
    channel, so the API budget is the service's alone); returns the ticket ids."""

    def one(n: int) -> int:
        ticket = {
            "subject": f"Order {n}",
            "comment": {"body": f"Hello, checkout fails when I pay for order {n}"},
            "requester": {"name": f"Customer {n}", "email": f"customer{n}@example.com"},
        }
        answer = requests.post(f"{sandbox_url}/_sandbox/tickets", json={"ticket": ticket}, timeout=30)
        answer.raise_for_status()
        return int(answer.json()["ticket"]["id"])

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(count)))


def linked_count(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(
            select(func.count()).select_from(TicketLink).where(TicketLink.state == LinkState.LINKED)
        )


def inbox_states(session_factory) -> dict[str, int]:
    with session_factory() as session:
        return dict(
            session.execute(select(InboxDelivery.state, func.count()).group_by(InboxDelivery.state)).all()
        )


def wait_until_linked(session_factory, count: int, timeout: float) -> float:
    """Seconds until ``count`` tickets are linked."""
    start = time.monotonic()
    wait_for(lambda: linked_count(session_factory) >= count, timeout=timeout, interval=0.5)
    return time.monotonic() - start
