"""``create_app``: the Flask application around the services built in ``service.wiring``."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from flask import Blueprint, Flask
from flask_wtf.csrf import CSRFProtect

from service.settings import Settings
from service.web.api.json_input import BoundedJSONProvider
from service.web.blueprints import register_blueprints
from service.web.proxies import TrustedProxies
from service.wiring import Services, build_services

log = logging.getLogger("incidentdesk")
# Room for a 5 MB outreach CSV plus the form around it; the webhook endpoint keeps its own,
# smaller limit.
MAX_REQUEST_BYTES = 6 * 1024 * 1024


def create_app(
    settings: Settings | None = None,
    services: Services | None = None,
    extra_pages: Sequence[Blueprint] = (),
) -> Flask:
    """``extra_pages``: browser pages only some compositions serve (the demo's stand-in for
    Zendesk's agent workspace); a real install passes none."""
    if services is None:
        services = build_services(settings or Settings.from_env())
    settings = services.settings
    if settings.insecure_skip_webhook_signature:
        log.warning(
            "!!! INCIDENTDESK_INSECURE_SKIP_WEBHOOK_SIGNATURE is on: webhook signatures are NOT "
            "verified. Never run like this outside a laptop. !!!"
        )

    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=max(settings.max_webhook_bytes, MAX_REQUEST_BYTES),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.json = BoundedJSONProvider(app)  # get_json refuses absurd nesting as unreadable (400)
    app.extensions["incidentdesk"] = services
    CSRFProtect(app)
    register_blueprints(app)
    for blueprint in extra_pages:  # behind the session login and CSRF, as every page
        app.register_blueprint(blueprint)
    app.wsgi_app = TrustedProxies(  # type: ignore[method-assign]
        app.wsgi_app, proxies=settings.trusted_proxies, hops=settings.trusted_proxy_hops
    )
    return app
