"""App-wide web setup, once: every blueprint, which of them skip CSRF, headers, i18n, errors."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, redirect, url_for
from flask_wtf.csrf import CSRFProtect

from service.domain.text.customer_locales import CUSTOMER_LOCALES
from service.domain.text.locales import direction
from service.web.admin import api_docs, backfill, dashboard, lifecycle, report, rules_editor, triage
from service.web.admin import incidents as admin_incidents
from service.web.admin import merges as admin_merges
from service.web.admin import outreach as admin_outreach
from service.web.admin import sources as admin_sources
from service.web.api import backfill as api_backfill
from service.web.api import backlog as api_backlog
from service.web.api import incidents as api_incidents
from service.web.api import lifecycle as api_lifecycle
from service.web.api import merges as api_merges
from service.web.api import outreach as api_outreach
from service.web.api import sources as api_sources
from service.web.api import triage as api_triage
from service.web.auth import bp as auth_bp
from service.web.errors import register_error_handlers
from service.web.health import bp as health_bp
from service.web.i18n import register_i18n
from service.web.metrics import bp as metrics_bp
from service.web.request_log import register_request_log
from service.web.source_webhooks import bp as source_webhooks_bp
from service.web.status_page import bp as status_page_bp
from service.web.webhooks import bp as webhooks_bp
from service.web.zendesk_app import merge_suggestions, sidebar

# Pages use only our own CSS and script; nothing inline, nothing from elsewhere; and no site may
# frame them (clickjacking). The Zendesk app's pages set their own policy, framable by the account.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)

# Browser pages: a session cookie, so every form carries a CSRF token.
PAGES: tuple[Blueprint, ...] = (
    auth_bp,
    admin_incidents.bp,
    lifecycle.bp,
    rules_editor.bp,
    backfill.bp,
    dashboard.bp,
    admin_merges.pages,
    admin_outreach.pages,
    api_docs.bp,
    triage.pages,
    report.pages,
    admin_sources.pages,
)
# Machine-to-machine routes authenticate by signature or token, not by a browser session.
MACHINE_ROUTES: tuple[Blueprint, ...] = (
    health_bp,
    metrics_bp,
    webhooks_bp,
    source_webhooks_bp,
    api_incidents.bp,
    api_lifecycle.bp,
    api_merges.bp,
    api_outreach.bp,
    api_sources.bp,
    api_triage.bp,
    api_backlog.bp,
    api_backfill.bp,
    sidebar.bp,
    merge_suggestions.bp,
)
# Public pages for anyone: GET only, no session, no cookie, so no form to protect.
PUBLIC_PAGES: tuple[Blueprint, ...] = (status_page_bp,)


def _protect_pages(response: Response) -> Response:
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY:
            # For browsers without frame-ancestors; the Zendesk app's pages keep theirs.
            response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def register_blueprints(app: Flask) -> None:
    csrf: CSRFProtect = app.extensions["csrf"]
    register_request_log(app)  # first: every other hook's log lines carry the request id
    register_i18n(app)
    app.after_request(_protect_pages)
    zendesk = app.extensions["incidentdesk"].settings.zendesk_url.rstrip("/")
    app.jinja_env.globals.update(
        locale_names=CUSTOMER_LOCALES,
        text_direction=direction,
        # Where an agent opens a ticket in the helpdesk.
        ticket_url=lambda ticket_id: f"{zendesk}/agent/tickets/{int(ticket_id)}",
    )
    for blueprint in (*MACHINE_ROUTES, *PUBLIC_PAGES):
        csrf.exempt(blueprint)
        app.register_blueprint(blueprint)
    for blueprint in PAGES:
        app.register_blueprint(blueprint)
    app.add_url_rule("/", "index", lambda: redirect(url_for("admin.incidents")))
    register_error_handlers(app)
