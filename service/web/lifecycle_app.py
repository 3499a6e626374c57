"""Registers the incident lifecycle's pages (incident actions, rules editor, dashboard) and its API."""
from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect


def register_lifecycle(app: Flask) -> None:
    from service.web.api_lifecycle import bp as api_bp
    from service.web.dashboard import bp as dashboard_bp
    from service.web.lifecycle import bp as lifecycle_bp
    from service.web.rules_editor import bp as rules_bp

    csrf: CSRFProtect = app.extensions["csrf"]
    csrf.exempt(api_bp)  # bearer token, not a browser session
    for blueprint in (lifecycle_bp, rules_bp, dashboard_bp, api_bp):
        app.register_blueprint(blueprint)
