"""Outreach campaigns in the admin UI: list, create (CSV and/or helpdesk search), audience report,
preview per language, launch/pause/resume/cancel, live progress and the results CSV."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from integrations.base import HelpdeskError
from service.domain.outreach.audience import AudienceError
from service.domain.outreach.messages import InvalidMessages
from service.domain.outreach.state import TRANSITIONS
from service.domain.text.customer_locales import CUSTOMER_LOCALES
from service.domain.text.locales import locale_name
from service.incidents.reads import MAX_ROW_ID
from service.incidents.store import get_incident, list_incidents
from service.outreach import store
from service.outreach.audience import InvalidSearch
from service.outreach.models import Campaign
from service.web.admin.text_locales import shown_locales
from service.web.api.outreach import (
    ACTIONS,
    BadCampaign,
    apply_audience,
    campaign_options,
    preview,
    result_csv,
)
from service.web.auth import login_required
from service.web.context import services
from service.web.i18n import say, translate

log = logging.getLogger("incidentdesk.web")
pages = Blueprint("outreach", __name__, url_prefix="/admin")
INCIDENT = f"<int(max={MAX_ROW_ID}):incident_id>"
CAMPAIGN = f"<int(max={MAX_ROW_ID}):campaign_id>"
MAX_UPLOAD = 5 * 1024 * 1024


def _languages_in_use(incident, form) -> list[list[str]]:
    """The incident's default and status languages, and any message language already typed."""
    status = incident.current_status
    typed = [key.split("_", 1)[1] for key in form if key.startswith(("subject_", "body_")) and form.get(key)]
    return [[incident.default_locale], list(status.texts if status else {}), typed]


def _form_data(form, files) -> dict:
    """The form's fields in the shape the API takes."""
    messages = {
        loc: {"subject": form.get(f"subject_{loc}", ""), "body": form.get(f"body_{loc}", "")}
        for loc in CUSTOMER_LOCALES
        if f"subject_{loc}" in form or f"body_{loc}" in form
    }
    upload = files.get("csv_file")
    pool = files.get("coupon_file")
    csv_data = (
        upload.read(MAX_UPLOAD + 1) if upload and upload.filename else b""
    )  # parse_csv checks size, UTF-8
    pool_text = (
        pool.read(MAX_UPLOAD).decode("utf-8", "replace")
        if pool and pool.filename
        else form.get("coupon_pool", "")
    )
    return {
        "name": form.get("name", ""),
        "messages": messages,
        "default_locale": form.get("default_locale", "en"),
        "tags": form.get("tags", "").replace(",", " ").split(),
        "vip_priority": form.get("vip_priority", ""),
        "group_id": form.get("group_id", ""),
        "sender_id": form.get("sender_id", ""),
        "coupon_mode": form.get("coupon_mode", "none"),
        "coupon_format": form.get("coupon_format", ""),
        "opt_out_emails": form.get("opt_out_emails", "").split(),
        # The plan's budget is the account's, set once in ZENDESK_REQUESTS_PER_MINUTE.
        "plan_requests_per_minute": services().settings.zendesk_requests_per_minute,
        "api_share": form.get("api_share") or 0.5,
        "csv": csv_data or form.get("csv_text", ""),
        "coupon_pool": pool_text,
        "search": {k: form.get(k, "") for k in ("tag", "organization", "field_key", "field_value")},
        "purpose": form.get("purpose", "notice"),
        "everyone_affected": form.get("everyone_affected") == "on",
    }


@pages.get("/outreach")
@login_required
def overview():
    with services().db.transaction() as session:
        rows = [
            (c, store.progress(session, c))
            for c in session.scalars(select(Campaign).order_by(Campaign.id.desc()).limit(200))
        ]
        incidents = [i for i in list_incidents(session) if i.state == "active"]
        return render_template("outreach/overview.html", rows=rows, incidents=incidents)


@pages.route(f"/incidents/{INCIDENT}/campaigns", methods=["GET", "POST"])
@login_required
def campaigns(incident_id: int):
    errors: dict = {}
    problem = None
    form = request.form
    if request.method == "POST":
        try:
            data = _form_data(request.form, request.files)
            options = campaign_options(data)
            with services().db.transaction() as session:
                if get_incident(session, incident_id) is None:
                    abort(404)
                campaign = store.create_campaign(session, incident_id, f"admin:{g.admin}", **options)
                apply_audience(session, campaign, data)
                campaign_id = campaign.id
            return redirect(url_for("outreach.campaign", incident_id=incident_id, campaign_id=campaign_id))
        except BadCampaign as bad:
            errors = bad.fields
        except (AudienceError, InvalidSearch, store.CampaignConflict) as bad:
            problem = say(bad)
        except HelpdeskError:
            log.exception("the helpdesk search for a campaign audience failed")
            problem = "helpdesk"
    with services().db.transaction() as session:
        incident = get_incident(session, incident_id)
        if incident is None:
            abort(404)
        rows = [(c, store.progress(session, c)) for c in store.campaigns_of(session, incident_id)]
        status = 422 if errors or problem else 200
        return render_template(
            "outreach/campaigns.html",
            incident=incident,
            rows=rows,
            errors=errors,
            problem=problem,
            form=form,
            locales=[(c, locale_name(c)) for c in shown_locales(*_languages_in_use(incident, form))],
            plan_rpm=services().settings.zendesk_requests_per_minute,
        ), status


def _campaign_or_404(session, incident_id: int, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.incident_id != incident_id:
        abort(404)
    return campaign


@pages.get(f"/incidents/{INCIDENT}/campaigns/{CAMPAIGN}")
@login_required
def campaign(incident_id: int, campaign_id: int):
    with services().db.transaction() as session:
        found = _campaign_or_404(session, incident_id, campaign_id)
        incident = get_incident(session, incident_id)
        return render_template(
            "outreach/campaign.html",
            incident=incident,
            campaign=found,
            progress=store.progress(session, found),
            samples=preview(session, found, incident),
            exclusions=store.exclusions(session, campaign_id),
            actions=[a for a in ACTIONS if found.state in TRANSITIONS[a][0]],
            refused=request.args.get("refused"),
        )


@pages.post(f"/incidents/{INCIDENT}/campaigns/{CAMPAIGN}/audience")
@login_required
def replace_audience(incident_id: int, campaign_id: int):
    """A draft's audience again, from a new CSV and/or search; refusals are shown on the page."""
    refused = None
    try:
        data = _form_data(request.form, request.files)
        with services().db.transaction() as session:
            apply_audience(session, _campaign_or_404(session, incident_id, campaign_id), data)
    except (AudienceError, InvalidSearch, store.CampaignConflict) as bad:
        refused = say(bad)
    except HelpdeskError:
        log.exception("the helpdesk search for a campaign audience failed")
        refused = translate("outreach.helpdesk_failed")
    return redirect(
        url_for("outreach.campaign", incident_id=incident_id, campaign_id=campaign_id, refused=refused)
    )


@pages.post(f"/incidents/{INCIDENT}/campaigns/{CAMPAIGN}/<action>")
@login_required
def act(incident_id: int, campaign_id: int, action: str):
    if action not in ACTIONS:
        abort(404)
    refused = None
    try:
        with services().db.transaction() as session:
            store.transition(
                session,
                services().helpdesk,
                _campaign_or_404(session, incident_id, campaign_id),
                action,
                f"admin:{g.admin}",
            )
    except (store.CampaignConflict, InvalidMessages) as conflict:
        refused = say(conflict)
    return redirect(
        url_for("outreach.campaign", incident_id=incident_id, campaign_id=campaign_id, refused=refused)
    )


@pages.get(f"/incidents/{INCIDENT}/campaigns/{CAMPAIGN}/progress.json")
@login_required
def progress(incident_id: int, campaign_id: int):
    with services().db.transaction() as session:
        return jsonify(store.progress(session, _campaign_or_404(session, incident_id, campaign_id)))


@pages.get(f"/incidents/{INCIDENT}/campaigns/{CAMPAIGN}/results.csv")
@login_required
def results(incident_id: int, campaign_id: int):
    with services().db.transaction() as session:
        return result_csv(session, _campaign_or_404(session, incident_id, campaign_id))
