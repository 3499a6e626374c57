"""``/api/v2/ticket_fields``: custom ticket fields whose values tickets carry."""

from __future__ import annotations

from flask import Blueprint

from .common import base_url, current_state, invalid, json_body, not_found
from .pagination import paginate
from .state import SandboxState

bp = Blueprint("sandbox_ticket_fields", __name__)
TYPES = (
    "text",
    "textarea",
    "checkbox",
    "date",
    "integer",
    "decimal",
    "regexp",
    "tagger",
    "multiselect",
    "partialcreditcard",
    "lookup",
)


def render(field: dict) -> dict:
    return {"url": f"{base_url()}/api/v2/ticket_fields/{field['id']}.json", **field}


def _options(state: SandboxState, given) -> list[dict]:
    options = []
    for option in given or []:
        options.append(
            {
                "id": option.get("id") or state.next_id(),
                "name": option["name"],
                "raw_name": option["name"],
                "value": option["value"],
                "default": bool(option.get("default", False)),
            }
        )
    return options


def create_field(state: SandboxState, spec: dict) -> dict:
    if not str(spec.get("title") or "").strip():
        raise invalid("title", "Title: cannot be blank", "BlankValue")
    if spec.get("type") not in TYPES:
        raise invalid("type", f"Type: is not one of {', '.join(TYPES)}")
    now = state.now()
    title = spec["title"]
    field = {
        "id": state.next_id(),
        "type": spec["type"],
        "title": title,
        "raw_title": title,
        "description": spec.get("description", title),
        "raw_description": spec.get("description", title),
        "position": spec.get("position", 9999),
        "active": spec.get("active", True),
        "required": spec.get("required", False),
        "collapsed_for_agents": False,
        "regexp_for_validation": spec.get("regexp_for_validation"),
        "title_in_portal": spec.get("title_in_portal", title),
        "raw_title_in_portal": spec.get("title_in_portal", title),
        "visible_in_portal": spec.get("visible_in_portal", False),
        "editable_in_portal": spec.get("editable_in_portal", False),
        "required_in_portal": spec.get("required_in_portal", False),
        "tag": spec.get("tag"),
        "created_at": now,
        "updated_at": now,
        "removable": True,
        "key": spec.get("key"),
        "agent_description": spec.get("agent_description"),
    }
    if spec["type"] in ("tagger", "multiselect"):
        field["custom_field_options"] = _options(state, spec.get("custom_field_options"))
    state.ticket_fields[field["id"]] = field
    return field


def _get(state: SandboxState, field_id: int) -> dict:
    field = state.ticket_fields.get(field_id)
    if field is None:
        raise not_found()
    return field


@bp.get("/api/v2/ticket_fields")
def list_fields():
    state = current_state()
    with state.lock:
        return paginate(list(state.ticket_fields.values()), "ticket_fields", render)


@bp.get("/api/v2/ticket_fields/<int:field_id>")
def show(field_id: int):
    state = current_state()
    with state.lock:
        return {"ticket_field": render(_get(state, field_id))}


@bp.post("/api/v2/ticket_fields")
def create():
    state = current_state()
    spec = json_body().get("ticket_field") or {}
    with state.lock:
        return {"ticket_field": render(create_field(state, spec))}, 201


@bp.put("/api/v2/ticket_fields/<int:field_id>")
def update(field_id: int):
    state = current_state()
    spec = json_body().get("ticket_field") or {}
    with state.lock:
        field = _get(state, field_id)
        for key in (
            "title",
            "description",
            "position",
            "active",
            "required",
            "tag",
            "agent_description",
            "visible_in_portal",
            "editable_in_portal",
        ):
            if key in spec:
                field[key] = spec[key]
        field["raw_title"] = field["title"]
        if "custom_field_options" in spec and "custom_field_options" in field:
            field["custom_field_options"] = _options(state, spec["custom_field_options"])
        field["updated_at"] = state.now()
        return {"ticket_field": render(field)}


@bp.delete("/api/v2/ticket_fields/<int:field_id>")
def delete(field_id: int):
    state = current_state()
    with state.lock:
        _get(state, field_id)
        del state.ticket_fields[field_id]
    return "", 204
