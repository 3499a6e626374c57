"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, settings, the Flask app."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from service.migrate import upgrade
from service.settings import Settings

# The Zendesk sandbox lives beside the service in the checkout and is not installed with it (it
# ships in no wheel or image): programs the tests start (the demo, the sandbox's own server) find
# it through PYTHONPATH, as `make run` does.
ROOT = str(Path(__file__).resolve().parent.parent)
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)

POSTGRES_URL = os.environ.get(
    "INCIDENTDESK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_schema_url(schema: str) -> str:
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"


@contextlib.contextmanager
def _postgres_schema():
    """A freshly migrated private schema on the PostgreSQL server, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _postgres_schema_url(schema)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A freshly migrated database: a file on SQLite, a private schema on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'incidentdesk.db'}"
        upgrade(url)
        yield url
        return
    with _postgres_schema() as url:
        yield url


@pytest.fixture
def postgres_url():
    """A freshly migrated private schema on PostgreSQL only."""
    with _postgres_schema() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'incidentdesk.db'}"
    upgrade(url)
    return url


def make_settings(database_url: str, **overrides) -> Settings:
    base = Settings(
        database_url=database_url,
        secret_key="test-secret-key-" + "x" * 32,
        api_token="test-api-token",
        zendesk_subdomain="sandbox",
        zendesk_email="agent@example.com",
        zendesk_api_token="test-zendesk-token",
        zendesk_webhook_secret="test-webhook-secret",
        worker_poll_seconds=0.05,
        worker_batch_window_seconds=0.05,
        job_poll_seconds=0.05,
        reconcile_seconds=0,  # the reconciler's own tests turn it on
    )
    return base.with_overrides(**overrides)


@pytest.fixture
def sandbox():
    """A Zendesk sandbox on a free loopback port, fresh for each test. Functional tests run on
    the Enterprise plan's budget so that the tests' own polling does not starve the service;
    rate limiting itself is tested in tests/sandbox and measured in bench/."""
    from zendesk_sandbox import SandboxServer

    with SandboxServer(plan="enterprise") as server:
        yield server


@pytest.fixture
def zendesk_client(sandbox):
    """Unmodified zenpy, pointed at the sandbox through configuration."""
    from integrations.zendesk.transport import zenpy_client
    from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN

    return zenpy_client("sandbox", DEMO_AGENT_EMAIL, DEMO_API_TOKEN, sandbox.url)


@pytest.fixture
def helpdesk(sandbox):
    """The real helpdesk adapter over HTTP against the sandbox."""
    from integrations.zendesk.adapter import ZendeskAdapter
    from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN

    return ZendeskAdapter.connect("sandbox", DEMO_AGENT_EMAIL, DEMO_API_TOKEN, sandbox.url)
