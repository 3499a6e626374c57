"""Outreach campaigns over HTTP: the REST API under /api/v1/incidents/<id>/campaigns (bearer token)."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify
from sqlalchemy import select

from integrations.base import HelpdeskError
from service.domain.errors import InvalidInput
from service.domain.outreach.audience import AudienceError, parse_csv
from service.domain.outreach.coupons import InvalidCoupons, check_format, generate
from service.domain.outreach.messages import (
    InvalidMessages,
    Message,
    clean_messages,
    render_for,
    sample_customers,
    unsendable,
)
from service.domain.outreach.purposes import NOTICE, PURPOSES
from service.domain.spreadsheet import csv_text
from service.domain.text.locales import customer_locale
from service.incidents.reads import MAX_ROW_ID
from service.incidents.store import get_incident
from service.outreach import store
from service.outreach.audience import InvalidSearch, search_query
from service.outreach.messages import customer_of
from service.outreach.models import Campaign, Coupon, Recipient
from service.web.api.incidents import require_token
from service.web.api.json_input import json_object
from service.web.context import services
from service.web.errors import json_error

log = logging.getLogger("incidentdesk.web")
bp = Blueprint(
    "outreach_api", __name__, url_prefix=f"/api/v1/incidents/<int(max={MAX_ROW_ID}):incident_id>/campaigns"
)
CAMPAIGN = f"/<int(max={MAX_ROW_ID}):campaign_id>"
bp.before_request(require_token)
ACTIONS = ("launch", "pause", "resume", "cancel")
MAX_HELPDESK_ID = 2**63 - 1  # the BigInteger columns that hold group and agent ids


class BadCampaign(InvalidInput):
    """Campaign fields that cannot be used, each with what to fix (answered with 422)."""

    def __init__(self, fields: dict):
        super().__init__("Some campaign fields need fixing; see 'fields'.")
        self.errors = fields


def _text_field(data: dict, key: str, default: str, errors: dict[str, object]) -> str:
    value = data.get(key)
    if value in (None, ""):
        return default
    if not isinstance(value, str):
        errors[key] = "send text (a JSON string)"
        return default
    if "\x00" in value:  # the admin form can carry one; no database column can store it
        errors[key] = "remove the NUL character (\\u0000)"
        return default
    return value


def _text_list(data: dict, key: str, errors: dict[str, object]) -> list[str]:
    value = data.get(key)
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        errors[key] = 'send a list of strings, e.g. ["a", "b"]'
        return []
    if any("\x00" in str(v) for v in value):
        errors[key] = "remove the NUL character (\\u0000)"
        return []
    return [str(v).strip() for v in value if str(v).strip()]


def campaign_options(data: dict) -> dict:
    """Validated campaign settings from a JSON object or a form; raises BadCampaign. Every value
    is checked for its type as well, since a JSON body can hold anything."""
    errors: dict[str, object] = {}
    options: dict[str, object] = {"name": _text_field(data, "name", "", errors).strip()[:200]}
    if not options["name"] and "name" not in errors:
        errors["name"] = "name the campaign"
    try:
        options["messages"] = {
            k: {"subject": m.subject, "body": m.body}
            for k, m in clean_messages(data.get("messages") or {}).items()
        }
    except InvalidMessages as invalid:
        errors["messages"] = invalid.errors
    default_locale = _text_field(data, "default_locale", "en", errors)
    options["default_locale"] = customer_locale(default_locale) or "en"
    if customer_locale(default_locale) is None and "default_locale" not in errors:
        errors["default_locale"] = "name a language Zendesk has (en, he, ru, ar, pt-br, ...)"
    options["tags"] = [t.lower() for t in _text_list(data, "tags", errors)][:20]
    options["coupon_mode"] = _text_field(data, "coupon_mode", "none", errors)
    if options["coupon_mode"] not in ("none", "pool", "generated"):
        errors["coupon_mode"] = "none, pool or generated"
    try:
        options["coupon_format"] = check_format(_text_field(data, "coupon_format", "SORRY-XXXX-XXXX", errors))
    except InvalidCoupons as invalid:
        errors["coupon_format"] = str(invalid)
    if isinstance(options.get("messages"), dict) and "coupon_mode" not in errors:
        problems = unsendable(
            {k: Message(m["subject"], m["body"]) for k, m in options["messages"].items()},
            with_coupons=options["coupon_mode"] != "none",
        )
        if problems:
            errors["messages"] = problems
    options["opt_out_emails"] = _text_list(data, "opt_out_emails", errors)
    for key, low, high, default in (
        ("plan_requests_per_minute", 10, 100_000, 200),
        ("api_share", 0.05, 1.0, 0.5),
    ):
        try:
            raw = data.get(key, default)
            if isinstance(raw, bool) or not isinstance(raw, int | float | str):
                raise ValueError
            value = float(raw)
            if not low <= value <= high:  # also refuses nan
                raise ValueError
            options[key] = int(value) if key == "plan_requests_per_minute" else value
        except (TypeError, ValueError):
            errors[key] = f"a number from {low} to {high}"
    options["vip_priority"] = _text_field(data, "vip_priority", "", errors) or None
    if options["vip_priority"] not in (None, "high", "urgent"):
        errors["vip_priority"] = "high or urgent"
    for key in ("group_id", "sender_id"):
        raw = data.get(key)
        digits = str(raw).strip() if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
        if raw in (None, ""):
            options[key] = None
        elif digits.isascii() and digits.isdigit() and 0 < int(digits) <= MAX_HELPDESK_ID:
            options[key] = int(digits)
        else:
            errors[key] = "the helpdesk's numeric id, or empty"
    options["purpose"] = _text_field(data, "purpose", NOTICE, errors)
    if options["purpose"] not in PURPOSES:
        errors["purpose"] = " or ".join(PURPOSES)
    if errors:
        raise BadCampaign(errors)
    return options


def campaign_json(session, campaign: Campaign) -> dict:
    return {
        "id": campaign.id,
        "incident_id": campaign.incident_id,
        "name": campaign.name,
        "purpose": campaign.purpose,
        "state": campaign.state,
        "messages": campaign.messages,
        "default_locale": campaign.default_locale,
        "tags": campaign.tags,
        "group_id": campaign.group_id,
        "sender_id": campaign.sender_id,
        "coupon_mode": campaign.coupon_mode,
        "search_query": campaign.search_query,
        "audience": store.reported_rows(campaign.audience_report or {}),
        "progress": store.progress(session, campaign),
        "exclusions": [
            {"email": e.email, "reason": e.reason, "detail": e.detail}
            for e in store.exclusions(session, campaign.id)
        ],
    }


def result_csv(session, campaign: Campaign) -> Response:
    """Every input row with its result, as a spreadsheet opens it safely (see domain/spreadsheet)."""
    return Response(
        csv_text(store.RESULT_COLUMNS, store.result_rows(session, campaign)),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="campaign-{campaign.id}-results.csv"'},
    )


def _sample_codes(session, campaign: Campaign, count: int) -> list[str | None]:
    """A code of its own for each sample: from the pool when there is one, else made up in the
    campaign's format (the real codes are assigned at launch)."""
    if campaign.coupon_mode == "none":
        return [None] * count
    pool = list(
        session.scalars(
            select(Coupon.code).where(Coupon.campaign_id == campaign.id).order_by(Coupon.id).limit(count)
        )
    )
    made_up = generate(campaign.coupon_format or "SORRY-XXXX-XXXX", count - len(pool), set(pool))
    return [*pool, *made_up]


def preview(session, campaign: Campaign, incident) -> list[dict]:
    """The message rendered for sample customers in each of its languages."""
    customers = [
        customer_of(r)
        for r in session.scalars(select(Recipient).where(Recipient.campaign_id == campaign.id).limit(500))
    ]
    messages = {k: Message(v["subject"], v["body"]) for k, v in campaign.messages.items()}
    status = incident.current_status.texts if incident.current_status else {}
    samples = sample_customers(customers, sorted(messages))
    codes = _sample_codes(session, campaign, len(samples))
    shown = []
    for customer, code in zip(samples, codes, strict=True):
        text = render_for(
            messages,
            customer,
            default_locale=campaign.default_locale,
            incident_title=incident.title,
            status_texts=status,
            status_page_url=incident.status_page_url,
            coupon=code,
        )
        shown.append(
            {
                "email": customer.email,
                "locale": text.locale,
                "direction": text.direction,
                "subject": text.subject,
                "body": text.body,
                "unknown_placeholders": list(text.unknown),
            }
        )
    return shown


SEARCH_PARTS = ("tag", "organization", "field_key", "field_value")


def audience_input(data: dict) -> tuple[str | bytes, dict[str, str], str, bool]:
    """The audience's parts as sent (CSV text, search parts, coupon pool text), each checked for
    its type; raises BadCampaign naming the fields that have the wrong one."""
    errors: dict[str, object] = {}
    csv_data = data.get("csv") or ""
    if not isinstance(csv_data, str | bytes):
        errors["csv"] = 'send the CSV as one string, e.g. "email,name\\nann@example.com,Ann"'
        csv_data = ""
    search = data.get("search") or {}
    if not isinstance(search, dict) or not all(
        isinstance(v, str | int) and not isinstance(v, bool) for k, v in search.items() if k in SEARCH_PARTS
    ):
        errors["search"] = 'send an object of strings, e.g. {"tag": "vip"}'
        search = {}
    pool = data.get("coupon_pool") or ""
    if not isinstance(pool, str):
        errors["coupon_pool"] = "send the codes as one string, one code a line"
        pool = ""
    everyone_affected = data.get("everyone_affected", False)
    if not isinstance(everyone_affected, bool):
        errors["everyone_affected"] = "true or false"
    if errors:
        raise BadCampaign(errors)
    return csv_data, {k: str(v) for k, v in search.items() if k in SEARCH_PARTS}, pool, everyone_affected


def apply_audience(session, campaign: Campaign, data: dict) -> None:
    """CSV text and/or a search ({tag, organization, field_key, field_value}) and/or everyone
    affected (after the fact); pool text for coupons."""
    csv_data, search, pool, everyone_affected = audience_input(data)
    audience = parse_csv(csv_data) if csv_data else None
    store.save_audience(
        session, services().helpdesk, campaign, audience, search_query(**search), everyone_affected
    )
    if pool:
        store.add_coupon_pool(session, campaign, pool)


def _load(session, incident_id: int, campaign_id: int) -> Campaign | None:
    campaign = session.get(Campaign, campaign_id)
    return campaign if campaign is not None and campaign.incident_id == incident_id else None


@bp.get("")
def list_campaigns(incident_id: int):
    with services().db.transaction() as session:
        if get_incident(session, incident_id) is None:
            return json_error(404, f"There is no incident {incident_id}.")
        return jsonify(
            {"campaigns": [campaign_json(session, c) for c in store.campaigns_of(session, incident_id)]}
        )


@bp.post("")
def create(incident_id: int):
    data = json_object('{"name", "messages": {"en": {"subject", "body"}}, "csv", ...}')
    try:
        options = campaign_options(data)
        with services().db.transaction() as session:
            if get_incident(session, incident_id) is None:
                return json_error(404, f"There is no incident {incident_id}.")
            campaign = store.create_campaign(session, incident_id, "api", **options)
            apply_audience(session, campaign, data)
            body = campaign_json(session, campaign)
    except BadCampaign as bad:
        return json_error(422, "Some fields need fixing; see 'fields'.", fields=bad.fields)
    except (AudienceError, InvalidSearch) as bad:
        return json_error(422, f"The audience cannot be used: {bad}")
    except store.CampaignConflict as conflict:
        return json_error(409, str(conflict))
    except HelpdeskError:
        log.exception("the helpdesk search for a campaign audience failed")
        return json_error(
            503, "The helpdesk did not answer the audience search; nothing was saved. Try again."
        )
    response = jsonify(body)
    response.status_code = 201
    return response


@bp.get(CAMPAIGN)
def show(incident_id: int, campaign_id: int):
    with services().db.transaction() as session:
        campaign = _load(session, incident_id, campaign_id)
        if campaign is None:
            return json_error(404, f"Incident {incident_id} has no campaign {campaign_id}.")
        return jsonify(campaign_json(session, campaign))


@bp.put(f"{CAMPAIGN}/audience")
def replace_audience(incident_id: int, campaign_id: int):
    """A draft's audience again: {"csv": ..., "search": {...}, "coupon_pool": ...}."""
    data = json_object('{"csv": "email,name\\n...", "search": {"tag": "vip"}}')
    try:
        with services().db.transaction() as session:
            campaign = _load(session, incident_id, campaign_id)
            if campaign is None:
                return json_error(404, f"Incident {incident_id} has no campaign {campaign_id}.")
            apply_audience(session, campaign, data)
            return jsonify(campaign_json(session, campaign))
    except (AudienceError, InvalidSearch) as bad:
        return json_error(422, f"The audience cannot be used: {bad}")
    except store.CampaignConflict as conflict:
        return json_error(409, str(conflict))
    except HelpdeskError:
        log.exception("the helpdesk search for a campaign audience failed")
        return json_error(
            503, "The helpdesk did not answer the audience search; nothing was changed. Try again."
        )


@bp.get(f"{CAMPAIGN}/preview")
def show_preview(incident_id: int, campaign_id: int):
    with services().db.transaction() as session:
        campaign = _load(session, incident_id, campaign_id)
        if campaign is None:
            return json_error(404, f"Incident {incident_id} has no campaign {campaign_id}.")
        return jsonify({"samples": preview(session, campaign, get_incident(session, incident_id))})


@bp.post(f"{CAMPAIGN}/<action>")
def act(incident_id: int, campaign_id: int, action: str):
    if action not in ACTIONS:
        return json_error(404, f"Unknown action '{action}'; use {', '.join(ACTIONS)}.")
    try:
        with services().db.transaction() as session:
            campaign = _load(session, incident_id, campaign_id)
            if campaign is None:
                return json_error(404, f"Incident {incident_id} has no campaign {campaign_id}.")
            store.transition(session, services().helpdesk, campaign, action, "api")
            return jsonify(campaign_json(session, campaign))
    except store.CampaignConflict as conflict:
        return json_error(409, str(conflict))


@bp.get(f"{CAMPAIGN}/results.csv")
def results(incident_id: int, campaign_id: int):
    with services().db.transaction() as session:
        campaign = _load(session, incident_id, campaign_id)
        if campaign is None:
            return json_error(404, f"Incident {incident_id} has no campaign {campaign_id}.")
        return result_csv(session, campaign)
