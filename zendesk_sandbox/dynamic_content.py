"""Dynamic content items (``{{dc.name}}``) with per-locale variants."""

from __future__ import annotations

from flask import Blueprint

from .common import base_url, current_state, invalid, json_body, not_found
from .locales import locale_id_for
from .state import SandboxState

bp = Blueprint("sandbox_dynamic_content", __name__)
_ITEMS = "/api/v2/dynamic_content/items"


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


def _item(state: SandboxState, item_id: int) -> dict:
    item = state.dynamic_content.get(item_id)
    if item is None:
        raise not_found()
    return item


def _render_variant(item_id: int, variant: dict) -> dict:
    return {"url": f"{base_url()}{_ITEMS}/{item_id}/variants/{variant['id']}.json", **variant}


def _render(item: dict) -> dict:
    return {
        "url": f"{base_url()}{_ITEMS}/{item['id']}.json",
        **item,
        "variants": [_render_variant(item["id"], v) for v in item["variants"]],
    }


def _add_variants(state: SandboxState, item: dict, specs) -> list[dict]:
    """Append variants, one per locale; the default locale's is the default variant."""
    now = state.now()
    taken = {v["locale_id"] for v in item["variants"]}
    added = []
    for spec in specs or []:
        locale_id = spec.get("locale_id") or locale_id_for(spec.get("locale", "en-US"))
        if locale_id in taken:
            raise invalid("locale_id", "Locale: a variant for this locale already exists", "DuplicateValue")
        taken.add(locale_id)
        variant = {
            "id": state.next_id(),
            "content": spec.get("content", ""),
            "locale_id": locale_id,
            "outdated": False,
            "active": spec.get("active", True),
            "default": bool(spec.get("default", locale_id == item["default_locale_id"])),
            "created_at": now,
            "updated_at": now,
        }
        item["variants"].append(variant)
        added.append(variant)
    item["updated_at"] = now
    return added


@bp.get(_ITEMS)
def list_items():
    state = current_state()
    with state.lock:
        items = [_render(i) for i in state.dynamic_content.values()]
    return {"items": items, "next_page": None, "previous_page": None, "count": len(items)}


@bp.get(f"{_ITEMS}/<int:item_id>")
def show_item(item_id: int):
    state = current_state()
    with state.lock:
        return {"item": _render(_item(state, item_id))}


@bp.post(_ITEMS)
def create_item():
    state = current_state()
    spec = json_body().get("item") or {}
    if not spec.get("name"):
        raise invalid("name", "Name: cannot be blank", "BlankValue")
    with state.lock:
        now = state.now()
        item = {
            "id": state.next_id(),
            "name": spec["name"],
            "placeholder": "{{dc.%s}}" % "_".join(spec["name"].lower().split()),
            "default_locale_id": spec.get("default_locale_id") or 1,
            "outdated": False,
            "created_at": now,
            "updated_at": now,
            "variants": [],
        }
        _add_variants(state, item, spec.get("variants"))
        state.dynamic_content[item["id"]] = item
        return {"item": _render(item)}, 201


@bp.put(f"{_ITEMS}/<int:item_id>")
def update_item(item_id: int):
    state = current_state()
    spec = json_body().get("item") or {}
    with state.lock:
        item = _item(state, item_id)
        for key in ("name", "default_locale_id"):
            if key in spec:
                item[key] = spec[key]
        item["updated_at"] = state.now()
        return {"item": _render(item)}


@bp.delete(f"{_ITEMS}/<int:item_id>")
def delete_item(item_id: int):
    state = current_state()
    with state.lock:
        _item(state, item_id)
        del state.dynamic_content[item_id]
    return "", 204


@bp.get(f"{_ITEMS}/<int:item_id>/variants")
def list_variants(item_id: int):
    state = current_state()
    with state.lock:
        item = _item(state, item_id)
        return {"variants": [_render_variant(item_id, v) for v in item["variants"]]}


@bp.post(f"{_ITEMS}/<int:item_id>/variants")
def create_variant(item_id: int):
    state = current_state()
    spec = json_body().get("variant") or {}
    with state.lock:
        added = _add_variants(state, _item(state, item_id), [spec])
        return {"variant": _render_variant(item_id, added[0])}, 201


@bp.post(f"{_ITEMS}/<int:item_id>/variants/create_many")
def create_variants(item_id: int):
    state = current_state()
    specs = json_body().get("variants") or []
    with state.lock:
        added = _add_variants(state, _item(state, item_id), specs)
        return {"variants": [_render_variant(item_id, v) for v in added]}, 201


@bp.put(f"{_ITEMS}/<int:item_id>/variants/<int:variant_id>")
def update_variant(item_id: int, variant_id: int):
    state = current_state()
    spec = json_body().get("variant") or {}
    with state.lock:
        item = _item(state, item_id)
        variant = next((v for v in item["variants"] if v["id"] == variant_id), None)
        if variant is None:
            raise not_found()
        for key in ("content", "active", "default", "locale_id"):
            if key in spec:
                variant[key] = spec[key]
        variant["updated_at"] = item["updated_at"] = state.now()
        return {"variant": _render_variant(item_id, variant)}
