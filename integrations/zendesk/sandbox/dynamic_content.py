"""Dynamic content items (``{{dc.name}}``) with per-locale variants."""
from __future__ import annotations

from flask import Blueprint

from .common import base_url, current_state, invalid, json_body, not_found
from .locales import locale_id_for
from .state import SandboxState

bp = Blueprint("sandbox_dynamic_content", __name__)


def resolver(state: SandboxState, user: dict | None):
    """A function ``name -> text`` picking the variant for ``user``'s locale."""
    locale_id = (user or {}).get("locale_id")

    def lookup(name: str) -> str:
        for item in state.dynamic_content.values():
            if item["placeholder"] == "{{dc.%s}}" % name:
                active = [v for v in item["variants"] if v["active"]]
                chosen = next((v for v in active if v["locale_id"] == locale_id), None)
                chosen = chosen or next((v for v in active if v["default"]), None)
                return chosen["content"] if chosen else ""
        return ""
    return lookup


def _variant(state: SandboxState, spec: dict, default_locale_id: int, now: str) -> dict:
    locale_id = spec.get("locale_id") or locale_id_for(spec.get("locale", "en-US"))
    return {"id": state.next_id(), "content": spec.get("content", ""), "locale_id": locale_id,
            "outdated": False, "active": spec.get("active", True),
            "default": bool(spec.get("default", locale_id == default_locale_id)),
            "created_at": now, "updated_at": now}


def _render(item: dict) -> dict:
    base = base_url() + "/api/v2/dynamic_content/items"
    variants = [{"url": f"{base}/{item['id']}/variants/{v['id']}.json", **v}
                for v in item["variants"]]
    return {"url": f"{base}/{item['id']}.json", **item, "variants": variants}


@bp.get("/api/v2/dynamic_content/items")
def list_items():
    state = current_state()
    with state.lock:
        items = [_render(i) for i in state.dynamic_content.values()]
    return {"items": items, "next_page": None, "previous_page": None, "count": len(items)}


@bp.get("/api/v2/dynamic_content/items/<int:item_id>")
def show_item(item_id: int):
    state = current_state()
    with state.lock:
        if item_id not in state.dynamic_content:
            raise not_found()
        return {"item": _render(state.dynamic_content[item_id])}


@bp.post("/api/v2/dynamic_content/items")
def create_item():
    state = current_state()
    spec = json_body().get("item") or {}
    if not spec.get("name"):
        raise invalid("name", "Name: cannot be blank", "BlankValue")
    with state.lock:
        now = state.now()
        default_locale = spec.get("default_locale_id") or 1
        placeholder_name = "_".join(spec["name"].lower().split())
        item = {"id": state.next_id(), "name": spec["name"],
                "placeholder": "{{dc.%s}}" % placeholder_name,
                "default_locale_id": default_locale, "outdated": False,
                "created_at": now, "updated_at": now,
                "variants": [_variant(state, v, default_locale, now)
                             for v in spec.get("variants") or []]}
        state.dynamic_content[item["id"]] = item
        return {"item": _render(item)}, 201


@bp.put("/api/v2/dynamic_content/items/<int:item_id>")
def update_item(item_id: int):
    state = current_state()
    spec = json_body().get("item") or {}
    with state.lock:
        item = state.dynamic_content.get(item_id)
        if item is None:
            raise not_found()
        for key in ("name", "default_locale_id"):
            if key in spec:
                item[key] = spec[key]
        item["updated_at"] = state.now()
        return {"item": _render(item)}


@bp.put("/api/v2/dynamic_content/items/<int:item_id>/variants/<int:variant_id>")
def update_variant(item_id: int, variant_id: int):
    state = current_state()
    spec = json_body().get("variant") or {}
    with state.lock:
        item = state.dynamic_content.get(item_id)
        variant = next((v for v in (item or {}).get("variants", []) if v["id"] == variant_id), None)
        if variant is None:
            raise not_found()
        for key in ("content", "active", "default", "locale_id"):
            if key in spec:
                variant[key] = spec[key]
        variant["updated_at"] = item["updated_at"] = state.now()
        base = base_url() + "/api/v2/dynamic_content/items"
        return {"variant": {"url": f"{base}/{item_id}/variants/{variant_id}.json", **variant}}


@bp.delete("/api/v2/dynamic_content/items/<int:item_id>")
def delete_item(item_id: int):
    state = current_state()
    with state.lock:
        if state.dynamic_content.pop(item_id, None) is None:
            raise not_found()
    return "", 204
