"""Incident sources in the admin UI: the sources, adding one (its delivery URL and any secret
made here shown once), deleting one, and the one click on what they propose."""

from __future__ import annotations

import logging

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from integrations.base import HelpdeskError
from service.domain.errors import Conflict, NotFound
from service.domain.sources.drafts import InvalidSource, clean_source
from service.domain.sources.events import SourceKind
from service.domain.text.customer_locales import CUSTOMER_LOCALES
from service.incidents.reads import MAX_ROW_ID
from service.incidents.store import list_incidents
from service.sources import flow, store
from service.sources.store import NewSource
from service.web.api.sources import delivery_url
from service.web.auth import login_required
from service.web.context import services

log = logging.getLogger("incidentdesk.web")
pages = Blueprint("sources", __name__, url_prefix="/admin")
ROW = f"<int(max={MAX_ROW_ID})"
CHECKBOXES = ("auto_declare", "auto_resolve", "broadcast_updates")
DONE = {"confirm": "confirmed", "dismiss": "dismissed"}


def _page(
    *,
    form: dict[str, str],
    errors: dict[str, object],
    shown_once: dict[str, str | None] | None = None,
    notice: str = "",
) -> ResponseReturnValue:
    with services().db.transaction() as db:
        sources = store.list_sources(db)
        proposals = store.waiting_for_a_click(db)
        declared = store.declared_active(db)
        incidents = [(i.id, i.title) for i in list_incidents(db)]
        names = {s.id: s.name for s in sources}
        html = render_template(
            "sources/list.html",
            sources=sources,
            proposals=proposals,
            declared=declared,
            source_names=names,
            incidents=incidents,
            kinds=[k.value for k in SourceKind],
            locales=list(CUSTOMER_LOCALES),
            form=form,
            errors=errors,
            shown_once=shown_once,
            notice=notice,
        )
    return html, 422 if errors else 200


@pages.get("/sources")
@login_required
def overview() -> ResponseReturnValue:
    default = {"kind": "pagerduty", "locale": "en", "auto_resolve": "1", "broadcast_updates": "1"}
    return _page(form=default, errors={}, notice=request.args.get("done", ""))


@pages.post("/sources")
@login_required
def add() -> ResponseReturnValue:
    form = request.form.to_dict(flat=True)
    form.pop("csrf_token", None)
    try:
        draft = clean_source(
            kind=form.get("kind"),
            name=form.get("name"),
            template_incident_id=form.get("template_incident_id"),
            covers=form.get("covers", ""),
            locale=form.get("locale", "en"),
            signing_secret=form.get("signing_secret", ""),
            notes_api_token=form.get("notes_api_token", ""),
            notes_from=form.get("notes_from", ""),
            notes_api_url=form.get("notes_api_url", ""),
            **{name: form.get(name) == "1" for name in CHECKBOXES},
        )
        with services().db.transaction() as db:
            created = store.add_source(db, draft, actor=f"admin:{g.admin}")
            shown_once = _shown_once(created)
    except InvalidSource as invalid:
        for secret in ("signing_secret", "notes_api_token"):  # a secret is never sent back to the browser
            form.pop(secret, None)
        return _page(form=form, errors=dict(invalid.fields))
    return _page(form={"kind": "pagerduty", "locale": "en"}, errors={}, shown_once=shown_once)


def _shown_once(created: NewSource) -> dict[str, str | None]:
    """The delivery URL and a secret made here: on this page once, then never again."""
    return {
        "name": created.source.name,
        "url": delivery_url(created.path_token),
        "secret": created.generated_secret,
    }


@pages.post(f"/sources/{ROW}:source_id>/delete")
@login_required
def delete(source_id: int) -> ResponseReturnValue:
    try:
        with services().db.transaction() as db:
            store.delete_source(db, source_id, actor=f"admin:{g.admin}")
    except NotFound:
        return redirect(url_for("sources.overview", done="gone"))
    return redirect(url_for("sources.overview", done="deleted"))


@pages.post(f"/sources/declared/{ROW}:seen_id>/broadcast")
@login_required
def broadcast_choice(seen_id: int) -> ResponseReturnValue:
    """At once, wait for the translations, or the source's default, for one declared incident."""
    choice = {"now": True, "wait": False}.get(request.form.get("broadcast", ""))
    try:
        with services().db.transaction() as db:
            flow.set_broadcast(db, seen_id, choice, actor=f"admin:{g.admin}")
    except NotFound:
        return redirect(url_for("sources.overview", done="gone"))
    return redirect(url_for("sources.overview", done="broadcast_saved"))


@pages.post(f"/sources/proposals/{ROW}:proposal_id>/<any(confirm, dismiss):action>")
@login_required
def decide(proposal_id: int, action: str) -> ResponseReturnValue:
    actor = f"admin:{g.admin}"
    try:
        with services().db.transaction() as db:
            if action == "confirm":
                flow.confirm(db, services().helpdesk, proposal_id, actor=actor)
            else:
                flow.dismiss(db, proposal_id, actor=actor)
    except (Conflict, NotFound):
        return redirect(url_for("sources.overview", done="gone"))
    except HelpdeskError:
        log.exception("the helpdesk refused while confirming proposal %s", proposal_id)
        return redirect(url_for("sources.overview", done="helpdesk_failed"))
    return redirect(url_for("sources.overview", done=DONE[action]))
