"""HTTP surface: webhooks, health, the admin UI and the REST API."""
from __future__ import annotations

from flask import Flask, current_app

from service import Services


def services() -> Services:
    return current_app.extensions["incidentdesk"]


def register_blueprints(app: Flask) -> None:
    from flask_wtf.csrf import CSRFProtect

    from service.web.admin import register as register_admin
    from service.web.api import bp as api_bp
    from service.web.app_sidebar import register as register_app_sidebar
    from service.web.errors import register_error_handlers
    from service.web.health import bp as health_bp
    from service.web.lifecycle_app import register_lifecycle
    from service.web.merges import register as register_merges
    from service.web.outreach import register as register_outreach
    from service.web.webhooks import bp as webhooks_bp

    csrf: CSRFProtect = app.extensions["csrf"]
    # Machine-to-machine routes authenticate by signature or token, not by a browser session.
    csrf.exempt(webhooks_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(webhooks_bp)
    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
    register_admin(app)
    register_lifecycle(app)
    register_merges(app)
    register_outreach(app)
    register_app_sidebar(app)
    register_error_handlers(app)
