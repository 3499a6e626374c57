"""``/api/v2/account/settings``: the account settings the sandbox models (``tickets`` only).

Shown to agents, changed by admins, as Zendesk's Account Settings API does; the control API's
``/_sandbox/account_settings`` changes the same settings without credentials.
"""

from __future__ import annotations

from flask import Blueprint

from .common import bad_request, current_state, current_user_id, forbidden, json_body
from .state import SandboxState

bp = Blueprint("sandbox_account", __name__)
TICKET_SETTINGS = ("assign_tickets_upon_solve",)


def change_ticket_settings(state: SandboxState, given: object) -> None:
    """Apply ``{"assign_tickets_upon_solve": bool}``; anything else is a 400 naming what is wrong."""
    if not isinstance(given, dict):
        raise bad_request("'tickets' must be an object of ticket settings")
    unknown = sorted(set(given) - set(TICKET_SETTINGS))
    if unknown:
        raise bad_request(f"unknown ticket setting(s) {unknown}; the sandbox models {list(TICKET_SETTINGS)}")
    for key, value in given.items():
        if not isinstance(value, bool):
            raise bad_request(f"'{key}' must be true or false")
    state.account_settings["tickets"].update(given)


def settings_body(state: SandboxState) -> dict:
    return {"settings": {"tickets": dict(state.account_settings["tickets"])}}


@bp.get("/api/v2/account/settings")
def show():
    state = current_state()
    with state.lock:
        return settings_body(state)


@bp.put("/api/v2/account/settings")
def update():
    state = current_state()
    settings = json_body().get("settings")
    if not isinstance(settings, dict):
        raise bad_request("The request must contain a 'settings' object")
    with state.lock:
        if state.users.get(current_user_id(), {}).get("role") != "admin":
            raise forbidden()
        unknown = sorted(set(settings) - {"tickets"})
        if unknown:
            raise bad_request(f"unknown setting group(s) {unknown}; the sandbox models 'tickets'")
        change_ticket_settings(state, settings.get("tickets", {}))
        return settings_body(state)
