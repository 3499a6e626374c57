"""Optional persistence of the sandbox's account to a JSON file."""

from __future__ import annotations

import json
import os
import tempfile

from .state import SandboxState

_STORES = (
    "users",
    "organizations",
    "groups",
    "tickets",
    "comments",
    "audits",
    "satisfaction_ratings",
    "triggers",
    "macros",
    "dynamic_content",
    "ticket_fields",
)
_STRING_KEYED = ("webhooks", "webhook_secrets")
_ACCOUNT = (
    "admin_id",
    "default_group_id",
    "brand_id",
    "ticket_form_id",
    "custom_status_ids",
    "account_settings",
)


def save_state(state: SandboxState, path: str) -> None:
    with state.lock:
        data = {name: list(getattr(state, name).items()) for name in _STORES + _STRING_KEYED}
        data["next_id"] = state.next_id()
        data["next_ticket_id"] = state.next_ticket_id()
        data["api_tokens"] = sorted(state.api_tokens)
        data["account"] = {name: getattr(state, name) for name in _ACCOUNT}
    directory = os.path.dirname(os.path.abspath(path))
    with tempfile.NamedTemporaryFile("w", dir=directory, delete=False, suffix=".tmp") as handle:
        json.dump(data, handle, ensure_ascii=False)
    os.replace(handle.name, path)


def load_state(state: SandboxState, path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    with state.lock:
        state.reset()
        for name in _STORES + _STRING_KEYED:
            store = getattr(state, name)
            store.clear()
            store.update(dict(data[name]))
        for ticket in state.tickets.values():
            ticket["_custom"] = {int(k): v for k, v in ticket["_custom"].items()}
        state.restart_ids(data["next_id"], data["next_ticket_id"])
        state.api_tokens = set(data["api_tokens"])
        for name, value in data["account"].items():
            setattr(state, name, value)
