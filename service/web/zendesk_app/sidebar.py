"""The Zendesk app's pages: the ticket sidebar (incident, status, why linked, unlink, manual link)
and the nav bar entry to the admin UI.

Zendesk POSTs each page with a signed JWT (``service.web.zendesk_app.auth``); the sidebar's script then
calls the JSON routes with the sidebar token in the ``Authorization`` header. A token reads and
changes only the ticket its signed request named (403 for any other). These routes are exempt
from the session CSRF check because no cookie authenticates them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, Response, g, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations.base import HelpdeskError
from service.domain.errors import IncidentDeskError
from service.domain.moments import utc
from service.domain.states import LIVE_LINK_STATES, LinkState
from service.domain.status_text import status_reply
from service.domain.text.locales import base_locale, direction, pick_text
from service.incidents.broadcast import status_comment
from service.incidents.reads import MAX_ROW_ID
from service.incidents.status import macro_title, unlink_in_helpdesk
from service.incidents.store import active_incidents, get_incident
from service.linking.manual import link_manually
from service.models import AuditEntry, Incident, StatusUpdate, TicketLink
from service.settings import Settings
from service.web.context import services
from service.web.errors import json_error, status_for
from service.web.i18n import FALLBACK, UI_LANGUAGES, catalog, say, translate
from service.web.zendesk_app.auth import (
    ZafAuthError,
    account_host,
    issue_sidebar_token,
    ticket_refusal,
    verify_sidebar_token,
    verify_zendesk_token,
)

log = logging.getLogger("incidentdesk.web.app_sidebar")

bp = Blueprint("app_sidebar", __name__, url_prefix="/app")
TICKET = "/sidebar/tickets/<int(max=9223372036854775807):ticket_id>"
AUDIT_LIMIT = 20
REASON_MAX = 500


def sidebar_csp(settings: Settings) -> str:
    """Framable by this Zendesk account only; scripts from us and Zendesk's ZAF SDK; data from us."""
    sdk = urlsplit(settings.zendesk_app_sdk_url)
    sdk_origin = f" {sdk.scheme}://{sdk.netloc}" if sdk.netloc else ""
    framer = settings.zendesk_app_frame_origin or f"https://{account_host(settings)}"
    return (
        f"default-src 'self'; script-src 'self'{sdk_origin}; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        f"form-action 'self'; frame-ancestors {framer}"
    )


@bp.after_request
def sidebar_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = sidebar_csp(services().settings)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def agent_locale(requested: str | None) -> str:
    """The ``locale`` asked for (ZAF's currentUser.locale), else the browser's, else English."""
    wanted = base_locale(requested)
    if wanted in UI_LANGUAGES:
        return wanted
    return request.accept_languages.best_match(UI_LANGUAGES) or FALLBACK


def _strings(lang: str) -> dict[str, str]:
    merged = {**catalog(FALLBACK), **catalog(lang)}
    strings = {key: text for key, text in merged.items() if key.startswith(("sidebar.", "stage."))}
    return {**strings, "sidebar.dir": direction(lang)}  # the page's direction, from the one rule


def _signed_page(template: str, *, for_ticket: bool = False, **context):
    """Verify Zendesk's signed POST, then render ``template`` (or a refusal page). A page
    ``for_ticket`` needs the signed request to name the ticket the sidebar token is bound to."""
    settings = services().settings
    lang = agent_locale(request.values.get("locale"))
    try:
        identity = verify_zendesk_token(request.form.get("token", ""), settings)
        if for_ticket and identity.ticket_id is None:
            raise ZafAuthError(
                "The Zendesk token does not say which ticket the sidebar was opened on "
                "(no context.ticket_id), so IncidentDesk cannot show it. Open the app in a "
                "ticket's sidebar.",
                status=400,
            )
    except ZafAuthError as refused:
        log.warning("refused a Zendesk app page: %s", refused.message)
        return render_template(
            "app/refused.html",
            lang=lang,
            dir=direction(lang),
            message=refused.message,
            t=lambda key: translate(key, lang),
        ), refused.status
    return render_template(
        template,
        lang=lang,
        dir=direction(lang),
        t=lambda key: translate(key, lang),
        token=issue_sidebar_token(identity, settings),
        ticket_id=identity.ticket_id,
        **context,
    )


@bp.post("/sidebar")
def sidebar_page():
    return _signed_page(
        "app/sidebar.html",
        for_ticket=True,
        strings={code: _strings(code) for code in UI_LANGUAGES},
        zaf_sdk_url=services().settings.zendesk_app_sdk_url,
    )


def admin_url(settings: Settings) -> str:
    """The admin UI from the configured public address, else a link relative to this page (whose
    address Zendesk chose); never from the request's Host header, which the sender controls."""
    return (
        f"{settings.public_url}{url_for('admin.incidents')}"
        if settings.public_url
        else url_for("admin.incidents")
    )


@bp.post("/nav")
def nav_page():
    return _signed_page("app/nav.html", admin_url=admin_url(services().settings))


def sidebar_token_required(view: Callable) -> Callable:
    """The sidebar token, and only for the ticket it was issued for (every route takes ``ticket_id``)."""

    @wraps(view)
    def wrapped(*args, ticket_id: int, **kwargs):
        try:
            g.zaf_identity = verify_sidebar_token(request.headers.get("Authorization"), services().settings)
        except ZafAuthError as refused:
            return json_error(
                refused.status,
                refused.message,
                headers={"WWW-Authenticate": 'Bearer realm="incidentdesk-sidebar"'},
            )
        refusal = ticket_refusal(g.zaf_identity, ticket_id)
        if refusal is not None:
            log.warning("refused a sidebar call for ticket %s: %s", ticket_id, refusal)
            return json_error(403, refusal)
        return view(*args, ticket_id=ticket_id, **kwargs)

    return wrapped


def _iso(moment) -> str | None:
    return utc(moment).isoformat() if moment else None


def _shown_link(session: Session, ticket_id: int) -> TicketLink | None:
    """The live link if there is one, else the latest unlinked one."""
    links = list(
        session.scalars(
            select(TicketLink)
            .where(TicketLink.ticket_id == ticket_id)
            .order_by(TicketLink.linked_at.desc(), TicketLink.id.desc())
        )
    )
    return next((link for link in links if link.state in LIVE_LINK_STATES), links[0] if links else None)


def _applied(session: Session, incident: Incident, link: TicketLink) -> dict | None:
    """The status text this ticket was answered with, as the customer got it."""
    if link.status_version is None:
        return None
    status = session.scalars(
        select(StatusUpdate).where(
            StatusUpdate.incident_id == incident.id, StatusUpdate.version == link.status_version
        )
    ).first()
    if status is None:
        return None
    return {
        "version": status.version,
        "locale": link.locale,
        "dir": direction(link.locale),
        "text": status_comment(status, incident, link),
    }


def _incident_view(incident: Incident, lang: str, link: TicketLink | None) -> dict:
    """The current status in the agent's language, filled in for this ticket's requester."""
    status = incident.current_status
    view = {
        "id": incident.id,
        "title": incident.title,
        "tag": incident.tag,
        "state": incident.state,
        "problem_ticket_id": incident.problem_ticket_id,
        "stage": None,
        "stage_label": None,
        "version": None,
        "status_text": None,
        "status_locale": None,
        "status_dir": None,
        "status_at": None,
        # Automatic replies are recorded in the ticket's audit as this macro.
        "macro_title": macro_title(incident) if incident.macro_id else None,
    }
    if status is not None:
        text_locale, text = pick_text(status.texts, lang, incident.default_locale)
        if link is not None:
            _, text = status_reply(
                status.texts,
                text_locale,
                incident.default_locale,
                requester_name=link.requester_name,
                incident_title=incident.title,
                status_time=status.created_at,
                status_page_url=incident.status_page_url,
            )
        view.update(
            stage=status.stage,
            stage_label=translate(f"stage.{status.stage}", lang),
            version=status.version,
            status_text=text,
            status_locale=text_locale,
            status_dir=direction(text_locale),
            status_at=_iso(status.created_at),
        )
    return view


def _audit_label(action: str, lang: str) -> str:
    key = f"sidebar.audit.{action}"
    return catalog(lang).get(key) or catalog(FALLBACK).get(key) or action


def ticket_view(session: Session, ticket_id: int, lang: str) -> dict:
    link = _shown_link(session, ticket_id)
    incident = session.get(Incident, link.incident_id) if link else None
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.ticket_id == ticket_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(AUDIT_LIMIT)
    )
    live = link is not None and link.state in LIVE_LINK_STATES
    view = {
        "ticket_id": ticket_id,
        "locale": lang,
        "dir": direction(lang),
        "link": None,
        "incident": _incident_view(incident, lang, link) if incident else None,
        "can_unlink": live and link.state == LinkState.LINKED,
        "active_incidents": []
        if live
        else [
            {"id": i.id, "title": i.title}
            for i in sorted(active_incidents(session), key=lambda i: i.id)
            if not i.shadow_mode and i.current_status is not None
        ],
        "audit": [
            {
                "at": _iso(e.at),
                "action": e.action,
                "label": _audit_label(e.action, lang),
                "actor": e.actor,
                "shadow": e.shadow,
            }
            for e in entries
        ],
    }
    if link is not None:
        evidence = dict(link.evidence or {})
        view["link"] = {
            "state": link.state,
            "source": link.source,
            "linked_at": _iso(link.linked_at),
            "unlinked_at": _iso(link.unlinked_at),
            "unlink_reason": link.unlink_reason,
            "evidence": {
                "rule": evidence.get("rule", ""),
                "phrases": evidence.get("phrases", []),
                "excerpts": evidence.get("excerpts", []),
                "other_rules": evidence.get("other_rules", ""),
                "vip": bool(evidence.get("vip")),
                "linked_by": evidence.get("linked_by", ""),
            },
            "applied": _applied(session, incident, link) if incident else None,
        }
    return view


def _json_view(ticket_id: int):
    with services().db.transaction() as session:
        return ticket_view(session, ticket_id, agent_locale(request.args.get("locale")))


@bp.get(TICKET)
@sidebar_token_required
def ticket(ticket_id: int):
    return _json_view(ticket_id)


def _helpdesk_failed(exc: HelpdeskError):
    log.warning("Zendesk refused a sidebar change: %s", exc)
    return json_error(
        502, "Zendesk did not accept the change, so nothing was changed. Try again in a moment."
    )


@bp.post(f"{TICKET}/unlink")
@sidebar_token_required
def unlink(ticket_id: int):
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    actor = g.zaf_identity.actor
    reason = str(body.get("reason") or "").strip()[:REASON_MAX] or "unlinked from the Zendesk sidebar"
    try:
        with services().db.transaction() as session:
            link = session.scalars(
                select(TicketLink).where(
                    TicketLink.ticket_id == ticket_id, TicketLink.state.in_(LIVE_LINK_STATES)
                )
            ).first()
            if link is None:
                return json_error(404, f"Ticket #{ticket_id} is not linked to an incident.")
            if link.state != LinkState.LINKED:
                return json_error(
                    409, f"Ticket #{ticket_id} is being linked right now; try again in a moment."
                )
            unlink_in_helpdesk(
                session,
                services().helpdesk,
                link,
                session.get(Incident, link.incident_id),
                reason=reason,
                actor=actor,
            )
    except HelpdeskError as exc:
        return _helpdesk_failed(exc)
    return _json_view(ticket_id)


@bp.post(f"{TICKET}/link")
@sidebar_token_required
def link(ticket_id: int):
    body = request.get_json(silent=True)
    incident_id = body.get("incident_id") if isinstance(body, dict) else None
    if not isinstance(incident_id, int) or isinstance(incident_id, bool) or not 0 < incident_id <= MAX_ROW_ID:
        return json_error(
            422,
            'Send a JSON body with the incident to link to: {"incident_id": <id>}.',
            fields={"incident_id": ["Choose one of the active incidents."]},
        )
    try:
        with services().db.transaction() as session:
            incident = get_incident(session, incident_id)
            if incident is None:
                return json_error(404, f"There is no incident #{incident_id}.")
            link_manually(
                session,
                services().helpdesk,
                incident,
                ticket_id,
                g.zaf_identity.actor,
                services().language_detector,
            )
    except IncidentDeskError as refused:
        return json_error(status_for(refused), say(refused, agent_locale(request.values.get("locale"))))
    except HelpdeskError as exc:
        return _helpdesk_failed(exc)
    return _json_view(ticket_id)
