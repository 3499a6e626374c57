"""``/api/v2/macros``: CRUD, and the ``apply`` preview that changes nothing."""

from __future__ import annotations

from flask import Blueprint

from . import comments, placeholders, tickets
from .common import base_url, current_state, current_user_id, invalid, json_body, normalise_tags, not_found
from .pagination import paginate
from .state import SandboxState

bp = Blueprint("sandbox_macros", __name__)


def render(macro: dict) -> dict:
    return {"url": f"{base_url()}/api/v2/macros/{macro['id']}.json", **macro}


def _check(spec: dict, creating: bool) -> None:
    if creating and not str(spec.get("title") or "").strip():
        raise invalid("title", "Title: cannot be blank", "BlankValue")
    actions = spec.get("actions")
    if (creating or actions is not None) and (not isinstance(actions, list) or not actions):
        raise invalid("actions", "Actions: cannot be blank", "BlankValue")


def _get(state: SandboxState, macro_id: int) -> dict:
    macro = state.macros.get(macro_id)
    if macro is None:
        raise not_found()
    return macro


@bp.get("/api/v2/macros")
def list_macros():
    state = current_state()
    with state.lock:
        return paginate(list(state.macros.values()), "macros", render)


@bp.get("/api/v2/macros/active")
def list_active():
    state = current_state()
    with state.lock:
        return paginate([m for m in state.macros.values() if m["active"]], "macros", render)


@bp.get("/api/v2/macros/<int:macro_id>")
def show(macro_id: int):
    state = current_state()
    with state.lock:
        return {"macro": render(_get(state, macro_id))}


@bp.post("/api/v2/macros")
def create():
    spec = json_body().get("macro") or {}
    _check(spec, creating=True)
    state = current_state()
    with state.lock:
        now = state.now()
        macro = {
            "id": state.next_id(),
            "title": spec["title"],
            "active": spec.get("active", True),
            "updated_at": now,
            "created_at": now,
            "default": False,
            "position": spec.get("position", 10000),
            "description": spec.get("description"),
            "actions": spec["actions"],
            "restriction": spec.get("restriction"),
            "raw_title": spec["title"],
        }
        state.macros[macro["id"]] = macro
        return {"macro": render(macro)}, 201


@bp.put("/api/v2/macros/<int:macro_id>")
def update(macro_id: int):
    spec = json_body().get("macro") or {}
    state = current_state()
    with state.lock:
        macro = _get(state, macro_id)
        _check(spec, creating=False)
        for key in ("title", "active", "position", "description", "actions", "restriction"):
            if key in spec:
                macro[key] = spec[key]
        macro["raw_title"] = macro["title"]
        macro["updated_at"] = state.now()
        return {"macro": render(macro)}


@bp.delete("/api/v2/macros/<int:macro_id>")
def delete(macro_id: int):
    state = current_state()
    with state.lock:
        _get(state, macro_id)
        del state.macros[macro_id]
    return "", 204


def _comment_text(value) -> str:
    if isinstance(value, list):  # ["channel:all", "text"]
        return str(value[-1]) if value else ""
    return str(value or "")


def preview(state: SandboxState, macro: dict, ticket: dict | None, actor_id: int) -> dict:
    """What applying ``macro`` would do: the ticket fields it sets and the comment, as
    ``{"result": {"ticket": {..., "comment": {...}}}}``. Nothing is saved."""
    tags = list(ticket["tags"]) if ticket else []
    changes: dict = {}
    fields: list = []
    comment = {"body": "", "public": True}
    for action in macro["actions"]:
        field, value = action.get("field"), action.get("value")
        if field in ("comment_value", "comment_value_html"):
            text = _comment_text(value)
            if ticket:
                text = placeholders.render_text(state, ticket, actor_id, text)
            key = "html_body" if field == "comment_value_html" else "body"
            comment[key] = (comment[key] + "\n" + text).strip() if comment.get(key) else text
        elif field == "comment_mode_is_public":
            comment["public"] = str(value).lower() == "true"
        elif field in ("set_tags", "current_tags", "remove_tags"):
            given = normalise_tags(value)
            if field == "set_tags":
                tags = given
            elif field == "current_tags":
                tags += [t for t in given if t not in tags]
            else:
                tags = [t for t in tags if t not in given]
            changes["tags"] = tags
        elif field.startswith("custom_fields_"):
            fields.append({"id": int(field.rsplit("_", 1)[-1]), "value": value})
        else:
            changes[field] = value
    result: dict = {}
    if ticket:
        result = {"id": ticket["id"], "url": f"{base_url()}/api/v2/tickets/{ticket['id']}.json"}
    result.update(changes)
    if fields:
        result["fields"] = fields
    if comment["body"] or comment.get("html_body"):
        if not comment.get("html_body"):
            comment["html_body"] = comments.html_body(comment["body"])
        comment["scoped_body"] = [["channel:all", comment["body"]]]
        result["comment"] = comment
    return {"result": {"ticket": result}}


@bp.get("/api/v2/macros/<int:macro_id>/apply")
def apply_without_ticket(macro_id: int):
    state = current_state()
    with state.lock:
        return preview(state, _get(state, macro_id), None, current_user_id())


@bp.get("/api/v2/tickets/<int:ticket_id>/macros/<int:macro_id>/apply")
def apply_to_ticket(ticket_id: int, macro_id: int):
    state = current_state()
    with state.lock:
        ticket = tickets.get(state, ticket_id)
        return preview(state, _get(state, macro_id), ticket, current_user_id())
