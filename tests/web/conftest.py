"""Fixtures for the admin UI and REST API: an app on a fresh database, an admin, a logged-in client."""
from __future__ import annotations

import re

import pytest

from service import Services, build_services, create_app
from service.db import Database
from service.users import create_admin
from tests.conftest import make_settings

ADMIN_USERNAME = "ada"
ADMIN_PASSWORD = "correct-horse-battery"
API_TOKEN = "test-api-token"  # make_settings' api_token


@pytest.fixture
def helpdesk():
    """TEMPORARY until tests/conftest.py provides the sandbox-backed adapter: no helpdesk."""
    return None


def build_app(database_url: str, helpdesk, **overrides):
    settings = make_settings(database_url, **overrides)
    if helpdesk is None:  # TEMPORARY, goes with the fixture above
        services = Services(settings=settings, db=Database(database_url), helpdesk=None)
    else:
        services = build_services(settings, helpdesk=helpdesk)
    return create_app(services=services)


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
