"""``/api/v2/triggers``: CRUD. Evaluation lives in ``triggers``."""

from __future__ import annotations

from flask import Blueprint

from . import events
from .common import base_url, current_state, invalid, json_body, not_found
from .pagination import paginate
from .state import SandboxState

bp = Blueprint("sandbox_triggers", __name__)
CATEGORY_ID = "360000000000"


def render(trigger: dict) -> dict:
    return {"url": f"{base_url()}/api/v2/triggers/{trigger['id']}.json", **trigger}


def _conditions(spec: dict, current: dict | None) -> dict:
    given = spec.get("conditions")
    if given is None and ("all" in spec or "any" in spec):
        given = {"all": spec.get("all") or [], "any": spec.get("any") or []}
    if given is None:
        return current or {"all": [], "any": []}
    if not isinstance(given, dict):
        raise invalid("conditions", "Conditions: must be an object with all/any lists")
    return {"all": list(given.get("all") or []), "any": list(given.get("any") or [])}


def _check_actions(state: SandboxState, actions) -> list:
    if not isinstance(actions, list) or not actions:
        raise invalid("actions", "Actions: cannot be blank", "BlankValue")
    for action in actions:
        if not isinstance(action, dict) or "field" not in action:
            raise invalid("actions", "Actions: each action needs a field and a value")
        if action["field"] == "notification_webhook":
            value = action.get("value")
            webhook_id = value[0] if isinstance(value, list) and value else value
            webhook = state.webhooks.get(str(webhook_id))
            if webhook is None:
                raise invalid("actions", f"Actions: webhook {webhook_id} does not exist")
            if events.is_event_webhook(webhook):
                raise invalid(
                    "actions",
                    f"Actions: webhook {webhook_id} is subscribed to Zendesk events"
                    " and cannot be connected to a trigger",
                )
    return actions


def create_trigger(state: SandboxState, spec: dict) -> dict:
    if not str(spec.get("title") or "").strip():
        raise invalid("title", "Title: cannot be blank", "BlankValue")
    now = state.now()
    position = spec.get("position") or (max((t["position"] for t in state.triggers.values()), default=0) + 1)
    trigger = {
        "id": state.next_id(),
        "title": spec["title"],
        "active": spec.get("active", True),
        "updated_at": now,
        "created_at": now,
        "default": False,
        "actions": _check_actions(state, spec.get("actions")),
        "conditions": _conditions(spec, None),
        "description": spec.get("description"),
        "position": position,
        "raw_title": spec["title"],
        "category_id": str(spec.get("category_id") or CATEGORY_ID),
    }
    state.triggers[trigger["id"]] = trigger
    return trigger


def _get(state: SandboxState, trigger_id: int) -> dict:
    trigger = state.triggers.get(trigger_id)
    if trigger is None:
        raise not_found()
    return trigger


@bp.get("/api/v2/triggers")
def list_triggers():
    state = current_state()
    with state.lock:
        return paginate(
            list(state.triggers.values()), "triggers", render, sort_key=lambda t: (t["position"], t["id"])
        )


@bp.get("/api/v2/triggers/active")
def list_active():
    state = current_state()
    with state.lock:
        found = [t for t in state.triggers.values() if t["active"]]
        return paginate(found, "triggers", render, sort_key=lambda t: (t["position"], t["id"]))


@bp.get("/api/v2/triggers/<int:trigger_id>")
def show(trigger_id: int):
    state = current_state()
    with state.lock:
        return {"trigger": render(_get(state, trigger_id))}


@bp.post("/api/v2/triggers")
def create():
    state = current_state()
    spec = json_body().get("trigger") or {}
    with state.lock:
        return {"trigger": render(create_trigger(state, spec))}, 201


@bp.put("/api/v2/triggers/<int:trigger_id>")
def update(trigger_id: int):
    state = current_state()
    spec = json_body().get("trigger") or {}
    with state.lock:
        trigger = _get(state, trigger_id)
        if "actions" in spec:
            trigger["actions"] = _check_actions(state, spec["actions"])
        trigger["conditions"] = _conditions(spec, trigger["conditions"])
        for key in ("title", "active", "description", "position", "category_id"):
            if key in spec:
                trigger[key] = spec[key]
        trigger["raw_title"] = trigger["title"]
        trigger["updated_at"] = state.now()
        body = {"trigger": render(trigger)}
    return body, 200, {"Location": body["trigger"]["url"]}


@bp.delete("/api/v2/triggers/<int:trigger_id>")
def delete(trigger_id: int):
    state = current_state()
    with state.lock:
        _get(state, trigger_id)
        del state.triggers[trigger_id]
    return "", 204
