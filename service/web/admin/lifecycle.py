"""The incident page and what a support lead does on it: post a status update, resolve, reopen,
switch shadow mode, cancel a broadcast, unlink a ticket. Every change goes through the use cases in
``service.incidents.status``; a refused form is shown again with the messages next to the fields and the
input kept; a done one redirects back with a notice (post/redirect/get)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from integrations.base import HelpdeskError
from service.domain.errors import Conflict
from service.domain.incidents import STAGES, InvalidIncident
from service.domain.states import LinkState
from service.domain.status_page.pages import InvalidSlug, slug_for_title
from service.incidents.lifecycle_reads import (
    find_link,
    find_status,
    incident_health,
    resolve_result,
    shadow_decisions,
    unlinks_per_phrase,
    unsolved_tickets,
)
from service.incidents.reads import MAX_ROW_ID, audit_page, links_per_hour
from service.incidents.rules import PHRASE_KINDS
from service.incidents.status import (
    IncidentStateError,
    cancel_broadcast,
    post_status_update,
    reopen_incident,
    resolve_incident,
    set_shadow_mode,
    unlink_in_helpdesk,
)
from service.incidents.store import get_incident, linked_tickets
from service.sources.store import declared_by_a_source, waiting_translations
from service.status_page.publishing import set_public
from service.web.admin.chart import MAX_HOURS, hourly_chart
from service.web.admin.rules_form import rule_text
from service.web.admin.text_locales import blank_texts, texts_from
from service.web.auth import login_required
from service.web.context import services
from service.web.i18n import say, translate
from service.web.status_page import public_base_url

log = logging.getLogger("incidentdesk.web.lifecycle")
bp = Blueprint("lifecycle", __name__, url_prefix="/admin/incidents")
INCIDENT = f"<int(max={MAX_ROW_ID}):incident_id>"
NOTICES = (
    "declared",
    "status_posted",
    "resolved",
    "reopened",
    "shadow_on",
    "shadow_off",
    "unlinked",
    "broadcast_cancelled",
    "rules_saved",
    "public_on",
    "public_off",
)
UPDATE_STAGES = tuple(stage for stage in STAGES if stage != "resolved")


def _text(form: MultiDict, name: str, default: str = "") -> str:
    return form.get(name, default).replace("\x00", "")  # NUL cannot be stored; never a 500


@dataclass
class StatusForm:
    """The "post status update" and "resolve" forms: a text per language and a checkbox."""

    stage: str = "investigating"
    texts: dict[str, str] = field(default_factory=blank_texts)
    checked: bool = False
    # The resolve form's report texts: what happened, and what is done so it won't again.
    happened: dict[str, str] = field(default_factory=blank_texts)
    prevention: dict[str, str] = field(default_factory=blank_texts)

    stages = UPDATE_STAGES

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(self.texts)

    @classmethod
    def from_request(cls, form: MultiDict, prefix: str, checkbox: str) -> StatusForm:
        return cls(
            stage=_text(form, "stage", "investigating"),
            texts=texts_from(form, prefix),
            checked=form.get(checkbox) == "on",
            happened=texts_from(form, "happened"),
            prevention=texts_from(form, "prevention"),
        )


def rule_rows(incident) -> list[tuple[str, str]]:
    """(kind, value as typed) per stored rule; kinds other than phrases store their value as JSON."""
    return [
        (rule.kind, rule.value if rule.kind in PHRASE_KINDS else rule_text(json.loads(rule.value)))
        for rule in incident.rules
    ]


def _actor() -> str:
    return f"admin:{g.admin}"


def render_detail(
    incident_id: int,
    *,
    notice: str | None = None,
    status_form: StatusForm | None = None,
    resolve_form: StatusForm | None = None,
    errors: dict | None = None,
    state_error: str | None = None,
    code: int = 200,
):
    audit_before = request.args.get("audit_before", type=int)
    audit_before = audit_before if audit_before and 0 < audit_before <= MAX_ROW_ID else None
    with services().db.transaction() as db:
        incident = get_incident(db, incident_id)
        if incident is None:
            abort(404)
        audit, older_audit = audit_page(db, incident_id, audit_before)
        context = dict(
            audit=audit,
            older_audit=older_audit,
            waiting_translations=(
                waiting_translations(incident) if declared_by_a_source(db, incident_id) else ()
            ),
            incident=incident,
            links=linked_tickets(db, incident_id),
            linked_count=incident.linked_count,
            unsolved_count=incident_health(db, [incident])[0].unsolved,
            chart=hourly_chart(links_per_hour(db, [incident_id], MAX_HOURS)),
            audit_before=audit_before,
            shadow_entries=shadow_decisions(db, incident_id),
            feedback=unlinks_per_phrase(db, incident_id),
            rules=rule_rows(incident),
            broadcasts=_results(db, incident),
        )
        status = incident.current_status
        in_use = [*(status.texts if status else {}), incident.default_locale]
    return render_template(
        "incidents/detail.html",
        **context,
        notice=notice if notice in NOTICES else None,
        status_form=status_form or StatusForm(stage=_next_stage(incident), texts=blank_texts(in_use)),
        resolve_form=resolve_form or StatusForm(checked=False, texts=blank_texts(in_use)),
        errors=errors or {},
        state_error=state_error,
        suggested_slug=incident.public_slug or slug_for_title(incident.title),
    ), code


def _next_stage(incident) -> str:
    current = incident.current_status.stage if incident.current_status else "investigating"
    return current if current in UPDATE_STAGES else "investigating"


def _done(incident_id: int, notice: str):
    return redirect(url_for("admin.incident", incident_id=incident_id, done=notice))


def _load(db, incident_id: int):
    incident = get_incident(db, incident_id)
    if incident is None:
        abort(404)
    return incident


@bp.post(f"/{INCIDENT}/status")
@login_required
def post_status(incident_id: int):
    form = StatusForm.from_request(request.form, "status", "broadcast")
    try:
        with services().db.transaction() as db:
            post_status_update(
                db,
                services().helpdesk,
                _load(db, incident_id),
                form.stage,
                form.texts,
                broadcast=form.checked,
                actor=_actor(),
            )
    except InvalidIncident as invalid:
        return render_detail(incident_id, status_form=form, errors=invalid.errors, code=422)
    except IncidentStateError as refused:
        return render_detail(incident_id, status_form=form, state_error=say(refused), code=409)
    return _done(incident_id, "status_posted")


@bp.post(f"/{INCIDENT}/resolve")
@login_required
def resolve(incident_id: int):
    form = StatusForm.from_request(request.form, "final", "survey")
    try:
        with services().db.transaction() as db:
            resolve_incident(
                db,
                services().helpdesk,
                _load(db, incident_id),
                form.texts,
                actor=_actor(),
                survey=form.checked,
                what_happened=form.happened,
                prevention=form.prevention,
            )
    except InvalidIncident as invalid:
        errors = {
            "final_texts" if name == "status_texts" else name: messages
            for name, messages in invalid.errors.items()
        }
        return render_detail(incident_id, resolve_form=form, errors=errors, code=422)
    except IncidentStateError as refused:
        return render_detail(incident_id, resolve_form=form, state_error=say(refused), code=409)
    return _done(incident_id, "resolved")


@bp.post(f"/{INCIDENT}/reopen")
@login_required
def reopen(incident_id: int):
    try:
        with services().db.transaction() as db:
            reopen_incident(db, _load(db, incident_id), actor=_actor(), helpdesk=services().helpdesk)
    except IncidentStateError as refused:
        return render_detail(incident_id, state_error=say(refused), code=409)
    return _done(incident_id, "reopened")


@bp.post(f"/{INCIDENT}/shadow")
@login_required
def shadow(incident_id: int):
    on = request.form.get("shadow_mode") == "on"
    with services().db.transaction() as db:
        set_shadow_mode(db, _load(db, incident_id), on, actor=_actor(), helpdesk=services().helpdesk)
    return _done(incident_id, "shadow_on" if on else "shadow_off")


@bp.post(f"/{INCIDENT}/public")
@login_required
def public(incident_id: int):
    """Show or hide the incident's public status page, at the address typed."""
    on = request.form.get("public") == "on"
    try:
        with services().db.transaction() as db:
            set_public(
                db,
                services().helpdesk,
                _load(db, incident_id),
                public=on,
                slug=_text(request.form, "slug"),
                base_url=public_base_url(),
                actor=_actor(),
            )
    except InvalidSlug as invalid:
        return render_detail(incident_id, errors=dict(invalid.errors), code=422)
    except Conflict as taken:
        return render_detail(incident_id, errors={"slug": [str(taken)]}, code=409)
    return _done(incident_id, "public_on" if on else "public_off")


@bp.post(f"/{INCIDENT}/tickets/<int(max={2**63 - 1}):ticket_id>/unlink")
@login_required
def unlink(incident_id: int, ticket_id: int):
    with services().db.transaction() as db:
        _load(db, incident_id)
        link = find_link(db, incident_id, ticket_id)
        if link is None:
            abort(404)
        if link.state == LinkState.UNLINKED:
            return _done(incident_id, "unlinked")
        reason = (
            " ".join(_text(request.form, "reason").split())[:500] or f"unlinked by {_actor()} in IncidentDesk"
        )
        try:
            unlink_in_helpdesk(
                db, services().helpdesk, link, _load(db, incident_id), reason=reason, actor=_actor()
            )
        except HelpdeskError as failure:
            log.warning("unlink of ticket %s refused by the helpdesk: %s", ticket_id, failure)
            abort(503, description="The helpdesk did not accept the unlink; nothing was changed. Try again.")
    return _done(incident_id, "unlinked")


@bp.post(f"/{INCIDENT}/status/<int(max={MAX_ROW_ID}):version>/cancel")
@login_required
def cancel(incident_id: int, version: int):
    with services().db.transaction() as db:
        status = find_status(db, incident_id, version)
        if status is None:
            abort(404)
        cancel_broadcast(db, status, actor=_actor())
    return _done(incident_id, "broadcast_cancelled")


@bp.get(f"/{INCIDENT}/broadcasts")
@login_required
def broadcasts(incident_id: int):
    """The progress bars' data, polled by lifecycle.js while a broadcast runs."""
    with services().db.transaction() as db:
        incident = _load(db, incident_id)
        results = _results(db, incident)
        rows = [results[s.version] for s in incident.status_updates if s.broadcast_state != "none"]
    for row in rows:  # counted in the visitor's language, with its plural rule, for the script to show
        row["count_text"] = translate("lifecycle.broadcast_count", done=row["done"], total=row["total"])
    return jsonify({"incident_id": incident_id, "broadcasts": rows})


def _results(db, incident) -> dict[int, dict]:
    """Each version's broadcast progress; a resolution's also lists the tickets left unsolved."""
    unsolved = unsolved_tickets(db, incident.id)
    return {s.version: resolve_result(s, unsolved) for s in incident.status_updates}
