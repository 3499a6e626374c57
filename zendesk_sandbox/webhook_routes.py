"""``/api/v2/webhooks``: CRUD, signing secret, test requests, invocations and attempts."""

from __future__ import annotations

from flask import Blueprint, request

from . import delivery, events
from .common import current_state, current_user_id, json_body, webhook_error
from .pagination import paginate
from .state import SandboxState, ulid

bp = Blueprint("sandbox_webhooks", __name__)
STATIC_TEST_SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
_FIELDS = (
    "name",
    "description",
    "status",
    "subscriptions",
    "endpoint",
    "http_method",
    "request_format",
    "custom_headers",
)


def render(webhook: dict) -> dict:
    body = {k: v for k, v in webhook.items() if not k.startswith("_")}
    auth = webhook.get("_auth")
    if auth:
        shown = {"type": auth.get("type"), "add_position": auth.get("add_position", "header")}
        if auth.get("type") == "basic_auth":
            shown = {
                "type": "basic_auth",
                "data": {"username": (auth.get("data") or {}).get("username")},
                "add_position": shown["add_position"],
            }
        body["authentication"] = shown
    return body


def _get(state: SandboxState, webhook_id: str) -> dict:
    webhook = state.webhooks.get(webhook_id)
    if webhook is None:
        raise webhook_error(404, "WebhookNotFound", "Webhook not found", f"No webhook with id {webhook_id}")
    return webhook


def _validate(spec: dict) -> None:
    missing = [k for k in ("name", "endpoint", "status", "subscriptions") if not spec.get(k)]
    if missing:
        raise webhook_error(
            400, "InvalidInput", "Invalid input", f"Missing required field(s): {', '.join(missing)}"
        )
    if spec["status"] not in ("active", "inactive"):
        raise webhook_error(400, "InvalidInput", "Invalid input", "status must be active or inactive")
    if spec.get("http_method", "POST") not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        raise webhook_error(
            400, "InvalidInput", "Invalid input", "http_method must be GET, POST, PUT, PATCH or DELETE"
        )
    _validate_subscriptions(spec)
    if not str(spec["endpoint"]).startswith(("http://", "https://")):
        raise webhook_error(400, "InvalidInput", "Invalid input", "endpoint must be a URL")


def _validate_subscriptions(spec: dict) -> None:
    """Zendesk events or triggers, never both; events are sent only as JSON POSTs."""
    subscriptions = spec["subscriptions"]
    if not isinstance(subscriptions, list):
        raise webhook_error(400, "InvalidInput", "Invalid input", "subscriptions must be a list")
    unknown = events.unknown_event_types(subscriptions)
    if unknown:
        raise webhook_error(
            400, "InvalidInput", "Invalid input", f"Unknown event type(s) in subscriptions: {unknown}"
        )
    if events.TRIGGER_CONNECTED in subscriptions:
        if len(subscriptions) > 1:
            raise webhook_error(
                400,
                "InvalidInput",
                "Invalid input",
                f"{events.TRIGGER_CONNECTED} cannot be combined with Zendesk event subscriptions",
            )
        return
    if spec.get("http_method", "POST") != "POST" or spec.get("request_format", "json") != "json":
        raise webhook_error(
            400,
            "InvalidInput",
            "Invalid input",
            "A webhook subscribed to Zendesk events must use http_method POST and request_format json",
        )


def create_webhook(state: SandboxState, spec: dict, actor_id: int) -> dict:
    _validate(spec)
    if state.plan == events.TRIAL_PLAN and len(state.webhooks) >= events.TRIAL_MAX_WEBHOOKS:
        raise webhook_error(
            403,
            "Forbidden",
            "Webhook limit reached",
            f"Trial accounts can have at most {events.TRIAL_MAX_WEBHOOKS} webhooks",
        )
    webhook = {
        "id": ulid(),
        "name": spec["name"],
        "status": spec["status"],
        "subscriptions": list(spec["subscriptions"]),
        "created_at": state.now(),
        "created_by": str(actor_id),
        "endpoint": spec["endpoint"],
        "http_method": spec.get("http_method", "POST"),
        "request_format": spec.get("request_format", "json"),
        "_auth": spec.get("authentication"),
    }
    if spec.get("description"):
        webhook["description"] = spec["description"]
    state.webhooks[webhook["id"]] = webhook
    state.webhook_secrets[webhook["id"]] = state.new_signing_secret()
    return webhook


@bp.get("/api/v2/webhooks")
def list_webhooks():
    state = current_state()
    contains = (request.args.get("filter[name_contains]") or "").lower()
    status = request.args.get("filter[status]")
    with state.lock:
        found = [
            render(w)
            for w in sorted(state.webhooks.values(), key=lambda w: w["id"], reverse=True)
            if contains in w["name"].lower() and (not status or w["status"] == status)
        ]
    return {"meta": {"has_more": False}, "webhooks": found}


@bp.post("/api/v2/webhooks")
def create():
    state = current_state()
    with state.lock:
        if request.args.get("clone_webhook_id"):
            source = _get(state, request.args["clone_webhook_id"])
            spec = {k: v for k, v in source.items() if k in _FIELDS}
            spec["name"] = f"{source['name']} (copy)"
            spec["authentication"] = source.get("_auth")
        else:
            spec = json_body().get("webhook") or {}
        return {"webhook": render(create_webhook(state, spec, current_user_id()))}, 201


@bp.get("/api/v2/webhooks/<webhook_id>")
def show(webhook_id: str):
    state = current_state()
    with state.lock:
        return {"webhook": render(_get(state, webhook_id))}


@bp.route("/api/v2/webhooks/<webhook_id>", methods=["PUT", "PATCH"])
def update(webhook_id: str):
    state = current_state()
    spec = json_body().get("webhook") or {}
    with state.lock:
        webhook = _get(state, webhook_id)
        merged = {k: v for k, v in webhook.items() if k in _FIELDS}
        merged.update({k: v for k, v in spec.items() if k in _FIELDS})
        if request.method == "PUT" or "subscriptions" in spec or "http_method" in spec:
            _validate(merged)
        if events.is_event_webhook(merged) != events.is_event_webhook(webhook):
            raise webhook_error(
                400, "InvalidInput", "Invalid input", "A webhook's connection method cannot be changed"
            )
        for key in _FIELDS:
            if key in merged:
                webhook[key] = merged[key]
        if "authentication" in spec:
            webhook["_auth"] = spec["authentication"]
        webhook["updated_at"] = state.now()
        webhook["updated_by"] = str(current_user_id())
    return "", 204


@bp.delete("/api/v2/webhooks/<webhook_id>")
def delete(webhook_id: str):
    state = current_state()
    with state.lock:
        _get(state, webhook_id)
        del state.webhooks[webhook_id]
        state.webhook_secrets.pop(webhook_id, None)
    return "", 204


@bp.route("/api/v2/webhooks/<webhook_id>/signing_secret", methods=["GET", "POST"])
def signing_secret(webhook_id: str):
    state = current_state()
    with state.lock:
        _get(state, webhook_id)
        if request.method == "POST":
            state.webhook_secrets[webhook_id] = state.new_signing_secret()
        body = {"signing_secret": {"secret": state.webhook_secrets[webhook_id], "algorithm": "SHA256"}}
    return body, 201 if request.method == "POST" else 200


@bp.post("/api/v2/webhooks/test")
def test_webhook():
    """Send one request now and report the receiver's answer (Zendesk's Test Webhook)."""
    state = current_state()
    body = json_body()
    with state.lock:
        if request.args.get("webhook_id"):
            webhook = dict(_get(state, request.args["webhook_id"]))
            secret = state.webhook_secrets[webhook["id"]]
        else:
            spec = {**(body.get("webhook") or {}), **(body.get("request") or {})}
            if not str(spec.get("endpoint", "")).startswith(("http://", "https://")):
                raise webhook_error(400, "InvalidInput", "Invalid input", "endpoint must be a URL")
            webhook = {
                "id": "test",
                "endpoint": spec["endpoint"],
                "http_method": spec.get("http_method", "POST"),
                "_auth": spec.get("authentication"),
            }
            secret = STATIC_TEST_SECRET
    req = body.get("request") or {}
    payload = req.get("payload") or ""
    webhook["endpoint"] = req.get("endpoint", webhook["endpoint"])
    webhook["http_method"] = req.get("http_method", webhook.get("http_method", "POST"))
    status, text, headers = delivery.send(
        delivery.new_session(), webhook, secret, ulid(), payload, delivery.TIMEOUT_SECONDS
    )
    response_headers = headers.pop("_response_headers", {})
    return {
        "response": {
            "headers": [{"key": k, "value": v} for k, v in response_headers.items()],
            "status_code": status or 504,
            "payload": text,
        }
    }


@bp.get("/api/v2/webhooks/<webhook_id>/invocations")
def invocations(webhook_id: str):
    """The webhook's invocations, newest first, cursor-paginated."""
    state = current_state()
    with state.lock:
        _get(state, webhook_id)
        mine = [
            dict(i, _order=-n)
            for n, i in enumerate(state.invocations.values())
            if i["webhook_id"] == webhook_id
        ]
    body = paginate(
        mine, "invocations", _render_invocation, sort_key=lambda i: i["_order"], force_cursor=True
    )
    return body


def _render_invocation(invocation: dict) -> dict:
    shown = {"id": invocation["id"], "status": invocation["status"]}
    if invocation.get("status_code"):
        shown["status_code"] = invocation["status_code"]
    shown["latest_completed_at"] = invocation.get("latest_completed_at")
    return shown


@bp.get("/api/v2/webhooks/<webhook_id>/invocations/<invocation_id>/attempts")
def attempts(webhook_id: str, invocation_id: str):
    state = current_state()
    with state.lock:
        _get(state, webhook_id)
        found = [
            {
                "id": webhook_id,
                "invocation_id": invocation_id,
                "status_code": d["status"],
                "status": "success" if d["status"] and 200 <= d["status"] < 300 else "failed",
                "request": {
                    "headers": [{"key": k, "value": v} for k, v in d["headers"].items()],
                    "payload": d["body"],
                },
                "response": {"headers": [], "payload": d["response"] or ""},
                "completed_at": d["at"],
            }
            for d in state.deliveries
            if d["invocation_id"] == invocation_id
        ]
    return {"attempts": found}
