"""IncidentDesk. ``create_app`` and ``build_services`` are the one composition root."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Flask

from integrations.base import HelpdeskPort
from service.db import Database
from service.settings import Settings

log = logging.getLogger("incidentdesk")
# Room for a 5 MB outreach CSV plus the form around it; the webhook endpoint keeps its own,
# smaller limit.
MAX_REQUEST_BYTES = 6 * 1024 * 1024


@dataclass
class Services:
    """Everything a request handler or the worker needs, built once per process."""

    settings: Settings
    db: Database
    helpdesk: HelpdeskPort


def build_services(settings: Settings, helpdesk: HelpdeskPort | None = None) -> Services:
    """``helpdesk`` is given by tests and the demo; otherwise the Zendesk adapter is built here,
    pacing every request through the account's budget shared in the database."""
    db = Database(settings.database_url)
    if helpdesk is None:
        from integrations.zendesk.adapter import ZendeskAdapter
        from service.rate_budget import rate_budget_for

        budget = rate_budget_for(db, settings.our_requests_per_minute)
        helpdesk = ZendeskAdapter.from_settings(settings, budget=budget)
    return Services(settings=settings, db=db, helpdesk=helpdesk)


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    from flask_wtf.csrf import CSRFProtect

    from service.web import register_blueprints

    if services is None:
        services = build_services(settings or Settings.from_env())
    settings = services.settings
    if settings.insecure_skip_webhook_signature:
        log.warning("!!! INCIDENTDESK_INSECURE_SKIP_WEBHOOK_SIGNATURE is on: webhook signatures are NOT "
                    "verified. Never run like this outside a laptop. !!!")

    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=max(settings.max_webhook_bytes, MAX_REQUEST_BYTES),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.extensions["incidentdesk"] = services
    CSRFProtect(app)
    register_blueprints(app)
    return app
