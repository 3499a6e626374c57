"""Fixtures for the admin UI and REST API: an app on a fresh database, an admin, a logged-in client."""

from __future__ import annotations

import re

import pytest
import requests

from service.app import create_app
from service.users import create_admin
from service.wiring import build_services
from tests.conftest import make_settings
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN

ADMIN_USERNAME = "ada"
ADMIN_PASSWORD = "correct-horse-battery"
API_TOKEN = "test-api-token"  # make_settings' api_token


def build_app(database_url: str, helpdesk, **overrides):
    """The app on the given database, talking to the sandbox helpdesk (tests/conftest.py)."""
    return create_app(services=build_services(make_settings(database_url, **overrides), helpdesk=helpdesk))


@pytest.fixture
def app(database_url, helpdesk):
    app = build_app(database_url, helpdesk)
    yield app
    app.extensions["incidentdesk"].db.dispose()


@pytest.fixture
def db(app):
    return app.extensions["incidentdesk"].db


@pytest.fixture
def admin(db):
    with db.transaction() as session:
        create_admin(session, ADMIN_USERNAME, ADMIN_PASSWORD)
    return ADMIN_USERNAME


@pytest.fixture
def client(app):
    return app.test_client()


def sandbox_ticket(sandbox, ticket_id: int) -> dict:
    """A ticket as the sandbox's Zendesk API returns it, read over HTTP."""
    response = requests.get(
        f"{sandbox.url}/api/v2/tickets/{ticket_id}.json",
        timeout=5,
        auth=(f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN),
    )
    response.raise_for_status()
    return response.json()["ticket"]


def csrf_token(html: bytes | str) -> str:
    text = html.decode() if isinstance(html, bytes) else html
    match = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert match, "page has no CSRF token"
    return match.group(1)


def log_in(client, username=ADMIN_USERNAME, password=ADMIN_PASSWORD, next_url=None):
    token = csrf_token(client.get("/login").data)
    data = {"csrf_token": token, "username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/login", data=data)


@pytest.fixture
def logged_in(client, admin):
    response = log_in(client)
    assert response.status_code == 302
    return client


def declare_form(**overrides) -> dict:
    form = {
        "title": "Checkout is down",
        "severity": "critical",
        "default_locale": "en",
        "phrases": "checkout fails\nהתשלום באתר לא עובד\nплащането на сайта не работи",
        "status_en": "We know checkout is failing and are fixing it.",
        "status_he": "אנחנו יודעים שהתשלום באתר לא עובד ומתקנים זאת.",
        "status_bg": "Знаем, че плащането на сайта не работи, и го поправяме.",
    }
    form.update(overrides)
    return form


def post_form(client, path: str, data: dict, **kwargs):
    """POST a form the way the browser does: with the CSRF token from an admin page."""
    token = csrf_token(client.get("/admin/incidents").data)
    return client.post(path, data={"csrf_token": token, **data}, **kwargs)
