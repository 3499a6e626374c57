"""An idle worker is woken by LISTEN/NOTIFY on PostgreSQL, polls when it cannot listen, and polls
on SQLite; it stops promptly whatever its poll interval."""

import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import psycopg
import pytest
from sqlalchemy import text

from service.inbox import store as inbox
from service.inbox import wakeup
from service.inbox.outcomes import BatchReport
from service.inbox.pipeline import BatchUnderWay
from service.inbox.worker import Worker
from service.models import InboxDelivery
from service.wiring import build_services
from tests.conftest import make_settings
from tests.factories import sandbox_create
from tests.helpers import wait_for
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN


class ClaimRecorder:
    """Stands in for the pipeline: notes when each delivery was claimed and completes it."""

    def __init__(self, db):
        self.db = db
        self.claimed: dict[int, float] = {}

    def begin(self, claimed, owner):
        now = time.monotonic()
        with self.db.transaction() as session:
            inbox.complete(session, [d.id for d in claimed], owner)
        self.claimed.update((d.id, now) for d in claimed)
        return BatchUnderWay.done(BatchReport())


def _until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


@pytest.fixture
def running(helpdesk):
    """Start a worker on a database with a poll interval; it is stopped (promptly) afterwards."""
    started = []

    def start(url: str, poll_seconds: float, listener=None):
        services = build_services(
            make_settings(url, worker_poll_seconds=poll_seconds, worker_batch_window_seconds=0),
            helpdesk=helpdesk,
        )
        worker = Worker(services)
        worker.pipeline = recorder = ClaimRecorder(services.db)
        if listener is not None:
            worker.wakeup = listener
        stop = threading.Event()
        thread = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
        thread.start()
        started.append((services, thread, stop))
        return services, worker, recorder

    yield start
    for services, thread, stop in started:
        stop.set()
        thread.join(timeout=2)
        assert not thread.is_alive(), "the worker did not stop within 2 s"
        services.db.dispose()


def _store(services, key: str, ticket_id: int = 1) -> tuple[int, float]:
    with services.db.transaction() as session:
        delivery_id, _ = inbox.store(
            session, delivery_key=key, event_type="ticket.changed", ticket_id=ticket_id, payload="{}"
        )
    return delivery_id, time.monotonic()


@pytest.mark.postgres
def test_a_stored_delivery_wakes_an_idle_worker_at_once(postgres_url, running):
    services, worker, recorder = running(postgres_url, poll_seconds=30.0)
    assert isinstance(worker.wakeup, wakeup.Listening)
    assert _until(lambda: worker.wakeup.listening, 5)
    time.sleep(0.3)  # idle, in its 30 s wait
    for n in range(3):
        delivery_id, stored_at = _store(services, f"k{n}")
        assert _until(lambda d=delivery_id: d in recorder.claimed, 1.0), "not claimed within a second"
        assert recorder.claimed[delivery_id] - stored_at < 1.0


@pytest.mark.postgres
def test_storing_notifies_on_commit_only_and_only_for_pending_rows(postgres_url, helpdesk):
    services = build_services(make_settings(postgres_url), helpdesk=helpdesk)
    with services.db.engine.connect() as conn:
        schema = conn.scalar(text("SELECT current_schema()"))

    def ours(timeout: float) -> list[str]:  # other schemas' tests on the server notify the channel too
        return [n.channel for n in listener.notifies(timeout=timeout) if n.payload == schema]

    with psycopg.connect(wakeup.conninfo_of(postgres_url), autocommit=True) as listener:
        listener.execute(f"LISTEN {wakeup.CHANNEL}")
        with services.db.transaction() as session:
            inbox.store(session, delivery_key="p", event_type="ticket.changed", ticket_id=1, payload="{}")
            inbox.store(session, delivery_key="q", event_type="ticket.changed", ticket_id=2, payload="{}")
            assert ours(0.2) == []
        assert ours(0.5) == [wakeup.CHANNEL]  # one transaction, one notification
        with services.db.transaction() as session:
            inbox.store(session, delivery_key="i", event_type="x", ticket_id=1, payload="{}", state="ignored")
        assert ours(0.3) == []
    services.db.dispose()


@pytest.mark.postgres
def test_a_broken_listening_connection_falls_back_to_polling_then_listens_again(
    postgres_url, running, caplog
):
    caplog.set_level(logging.INFO, logger="incidentdesk.worker")
    # Reconnecting waits 4 s, so a claim within 3 s of the drop is the polling's.
    listener = wakeup.Listening(wakeup.conninfo_of(postgres_url), reconnect_seconds=4)
    services, worker, recorder = running(postgres_url, poll_seconds=0.3, listener=listener)
    assert _until(lambda: listener.listening, 5)
    with services.db.engine.connect() as conn:  # the server drops the listening connection
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": listener._conn.info.backend_pid})
    assert _until(lambda: not listener.listening, 3)
    delivery_id, _ = _store(services, "while-polling")
    assert _until(lambda d=delivery_id: d in recorder.claimed, 3), "polling did not claim it"
    assert _until(lambda: listener.listening, 10), "it did not listen again"
    warnings = [r for r in caplog.records if "cannot listen" in r.getMessage()]
    assert len(warnings) == 1
    assert any("listening for deliveries again" in r.getMessage() for r in caplog.records)


def test_an_unreachable_server_is_said_once_and_polled(running, caplog, sqlite_url):
    """The listening address refuses connections (the inbox itself is fine): the worker polls."""
    caplog.set_level(logging.INFO, logger="incidentdesk.worker")
    listener = wakeup.Listening("postgresql://postgres@127.0.0.1:1/test", reconnect_seconds=0.1)
    services, _worker, recorder = running(sqlite_url, poll_seconds=0.05, listener=listener)
    for n in range(3):
        delivery_id, _ = _store(services, f"k{n}")
        assert _until(lambda d=delivery_id: d in recorder.claimed, 1.0)
    assert not listener.listening
    assert len([r for r in caplog.records if "cannot listen" in r.getMessage()]) == 1


def test_sqlite_polls(sqlite_url, running):
    services, worker, recorder = running(sqlite_url, poll_seconds=0.1)
    assert isinstance(worker.wakeup, wakeup.Polling)
    delivery_id, stored_at = _store(services, "k")
    assert _until(lambda d=delivery_id: d in recorder.claimed, 1.0)


@pytest.mark.postgres
def test_a_worker_process_is_woken_and_stops_at_sigterm_within_its_long_poll(postgres_url, sandbox, helpdesk):
    """`incidentdesk worker` idle with a 30 s poll interval: a stored delivery is claimed within
    seconds, and SIGTERM ends it at once."""
    services = build_services(make_settings(postgres_url), helpdesk=helpdesk)
    ticket_id = sandbox_create(sandbox, "Hello", "a question about my invoice")
    app_name = f"wakeup-test-{uuid.uuid4().hex[:8]}"  # libpq names the process's connections after it
    env = {
        **os.environ,
        "PGAPPNAME": app_name,
        "INCIDENTDESK_SECRET_KEY": "s" * 40,
        "INCIDENTDESK_DATABASE_URL": postgres_url,
        "ZENDESK_BASE_URL": sandbox.url,
        "ZENDESK_EMAIL": DEMO_AGENT_EMAIL,
        "ZENDESK_API_TOKEN": DEMO_API_TOKEN,
        "INCIDENTDESK_WORKER_POLL_SECONDS": "30",
        "INCIDENTDESK_WORKER_BATCH_WINDOW_SECONDS": "0",
        "INCIDENTDESK_RECONCILE_SECONDS": "0",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "--log-level", "WARNING", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    listening = text(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name AND query = :listen"
    )

    def is_listening() -> int:  # a transaction of its own: pg_stat_activity is read once per transaction
        with services.db.engine.connect() as conn:
            return conn.execute(listening, {"name": app_name, "listen": f"LISTEN {wakeup.CHANNEL}"}).scalar()

    try:
        wait_for(is_listening, timeout=30)
        time.sleep(0.5)  # idle, in its 30 s wait
        delivery_id, _ = _store(services, "process", ticket_id)
        # Both bounds are a third of the 30 s poll: far from it (woken, not polled; stopped, not
        # waited out), and wide enough for a loaded machine.
        wait_for(lambda: _state(services, delivery_id) != "pending", timeout=10, interval=0.02)
        stopping = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=15)
        assert worker.returncode == 0, stderr
        assert time.monotonic() - stopping < 10
    finally:
        if worker.poll() is None:
            worker.kill()
    assert _state(services, delivery_id) == "done"
    services.db.dispose()


def _state(services, delivery_id: int) -> str:
    with services.db.transaction() as session:
        return session.get(InboxDelivery, delivery_id).state
