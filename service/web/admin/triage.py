"""Triage in the admin UI: what counts as serious for every incident (one incident's own rules
are set through the API), and what each signal does."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request
from flask.typing import ResponseReturnValue

from service.domain.linking.triage_rules import PRIORITIES
from service.triage import store
from service.web.auth import login_required
from service.web.context import services

pages = Blueprint("triage", __name__, url_prefix="/admin")
FIELDS = (
    "vip_tags",
    "vip_priority",
    "threat_phrases",
    "threat_priority",
    "repeat_contacts",
    "repeat_priority",
    "value_field",
    "value_at_least",
    "value_priority",
    "waiting_hours",
    "waiting_priority",
    "group_id",
)


@pages.route("/triage", methods=["GET", "POST"])
@login_required
def settings() -> ResponseReturnValue:
    vip_tags = services().settings.vip_tags
    errors: dict[str, list[str]] = {}
    sent: dict[str, str] = {}
    if request.method == "POST":
        sent = {name: request.form.get(name, "") for name in FIELDS}
        try:
            with services().db.transaction() as db:
                store.change(
                    db,
                    None,
                    sent,
                    actor=f"admin:{g.admin}",
                    default_vip_tags=vip_tags,
                    helpdesk=services().helpdesk,
                )
            return redirect(request.path + "?saved=1")
        except store.InvalidTriage as invalid:
            errors = {name: [message] for name, message in invalid.errors.items() if isinstance(message, str)}
    with services().db.transaction() as db:
        current = store.current(db, None, vip_tags)
    shown = {
        **{
            k: "\n".join(v) if isinstance(v, list) else ("" if v is None else str(v))
            for k, v in current.items()
        },
        **sent,
    }
    page = render_template(
        "triage/settings.html",
        form=shown,
        errors=errors,
        priorities=PRIORITIES,
        saved=request.args.get("saved") == "1",
    )
    return page, 422 if errors else 200
