"""``create_sandbox_app``: the Flask app, its request pipeline and background workers.

Every ``/api/v2`` request goes: count -> injected faults -> authenticate -> rate limits ->
route; responses carry Zendesk's rate-limit headers. ``/_sandbox`` is the control API.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (
    account_routes,
    apps,
    audit_routes,
    auth,
    control,
    dynamic_content,
    jobs,
    locale_routes,
    macros,
    merge,
    organizations,
    satisfaction,
    search,
    ticket_fields,
    ticket_routes,
    traffic,
    trigger_routes,
    users,
    webhook_routes,
)
from .common import ApiError
from .delivery import Deliverer
from .state import SandboxState

_BLUEPRINTS = (
    ticket_routes.bp,
    audit_routes.bp,
    merge.bp,
    users.bp,
    organizations.bp,
    jobs.bp,
    webhook_routes.bp,
    trigger_routes.bp,
    macros.bp,
    dynamic_content.bp,
    ticket_fields.bp,
    search.bp,
    satisfaction.bp,
    locale_routes.bp,
    account_routes.bp,
    apps.bp,
    control.bp,
)
JOB_HANDLERS = {
    **ticket_routes.JOB_HANDLERS,
    **merge.JOB_HANDLERS,
    **users.JOB_HANDLERS,
    **organizations.JOB_HANDLERS,
}


class _StripJsonSuffix:
    """Zendesk serves every API path with and without ``.json``."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/api/") and path.endswith(".json"):
            environ["PATH_INFO"] = path[:-5]
        return self.wsgi_app(environ, start_response)


class SandboxRuntime:
    """The app's background workers: the job runner and the webhook deliverer."""

    def __init__(self, state: SandboxState, webhook_delivery: bool):
        self.state = state
        self.jobs = jobs.JobRunner(state, JOB_HANDLERS)
        self.deliverer = Deliverer(state) if webhook_delivery else None

    def start(self) -> None:
        self.jobs.start()
        if self.deliverer:
            self.deliverer.start()

    def stop(self) -> None:
        self.jobs.stop()
        if self.deliverer:
            self.deliverer.stop()


def _is_ticket_update() -> bool:
    parts = request.path.strip("/").split("/")
    return request.method == "PUT" and len(parts) == 4 and parts[2] == "tickets" and parts[3].isdigit()


def _set_location(response) -> None:
    """Zendesk answers a creation with the new resource's URL in ``Location``."""
    body = response.get_json(silent=True) or {}
    created = next(iter(body.values()), None) if len(body) == 1 else None
    if isinstance(created, dict) and created.get("url"):
        response.headers["Location"] = created["url"]


def create_sandbox_app(
    *, plan: str = "team", state: SandboxState | None = None, webhook_delivery: bool = True
) -> Flask:
    state = state or SandboxState(plan=plan)
    app = Flask(__name__)
    app.config["SANDBOX_STATE"] = state
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.json.mimetype = "application/json; charset=utf-8"
    app.wsgi_app = _StripJsonSuffix(ProxyFix(app.wsgi_app, x_proto=1))
    for blueprint in _BLUEPRINTS:
        app.register_blueprint(blueprint)

    @app.before_request
    def api_pipeline():
        if not request.path.startswith("/api/"):
            return None
        state.base_url = request.host_url.rstrip("/")
        traffic.count(state, request.method, request.path)
        traffic.apply_faults(state)
        request.environ["sandbox.user_id"] = auth.authenticate(state, request.headers.get("Authorization"))
        with state.lock:
            state.rate_limits.admit(_is_ticket_update(), request.path)
        return None

    @app.after_request
    def api_headers(response):
        if request.path.startswith("/api/"):
            with state.lock:
                response.headers.update(state.rate_limits.headers())
            response.headers["X-Zendesk-API-Version"] = "v2"
            if response.status_code == 201 and "Location" not in response.headers:
                _set_location(response)
        return response

    @app.errorhandler(ApiError)
    def api_error(exc: ApiError):
        return exc.response()

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code == 404:
            return ApiError(404, {"error": "InvalidEndpoint", "description": "Not found"}).response()
        return ApiError(exc.code or 500, {"error": exc.name, "description": exc.description}).response()

    runtime = SandboxRuntime(state, webhook_delivery)
    runtime.start()
    app.extensions["zendesk_sandbox"] = runtime
    return app
