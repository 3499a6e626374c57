"""A stand-in for Zendesk's agent workspace around the real sidebar, for `incidentdesk demo` only.

The demo plays the Zendesk account: it holds a throwaway RSA key pair whose public key the
service is configured with (``service.demo``), and this page signs, for the ticket chosen in its
list, the token Zendesk would send. Zendesk opens a ``signedUrls`` app's initial page with a POST
whose form field ``token`` is a JWT signed RS256 with the app's key; the server checks it with the
app's public key, and the token's claims say which account, installation (audience), agent and
ticket
(https://developer.zendesk.com/documentation/apps/build-an-app/building-a-server-side-app/bonus-part-secure-the-app/).
So the page auto-submits such a form into the sidebar's iframe, and a small stand-in for ZAF's SDK
(``demo_static/zaf_stand_in.js``) answers the sidebar's ``get`` and ``invoke`` calls
(https://developer.zendesk.com/documentation/apps/app-developer-guide/using-the-apps-framework/),
since Zendesk's own SDK works only inside Zendesk.

The list is read through the helpdesk port, as every other read of tickets: the same adapter,
request budget and vendor mapping, so the page shows what the service itself sees. It is
registered only by the demo's composition (``service.demo``); a normal app has no such route,
and it asks for the admin login because it signs tokens.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from integrations.base import HelpdeskError, HelpdeskTicket
from service.web.auth import login_required
from service.web.context import services
from service.web.zendesk_app.auth import MAX_TICKET_ID, account_host

log = logging.getLogger("incidentdesk.web.demo_workspace")

URL_PREFIX = "/demo"
ZAF_STAND_IN_URL = f"{URL_PREFIX}/static/zaf_stand_in.js"
SIDEBAR_FRAME = "incidentdesk-sidebar"
LISTED_TICKETS = 50
# Zendesk's tokens are short-lived; the sidebar allows 30 s of clock skew on top.
TOKEN_SECONDS = 300


@dataclass(frozen=True)
class DemoZendesk:
    """What the demo's Zendesk knows and the service does not: the app's private key, and the
    agent the workspace is opened as."""

    app_private_key: RSAPrivateKey
    agent_id: int


def signed_request_token(zendesk: DemoZendesk, *, ticket_id: int) -> str:
    """The JWT Zendesk POSTs to the sidebar's URL when an agent opens ``ticket_id``."""
    settings = services().settings
    account = account_host(settings)
    now = int(time.time())
    claims = {
        "iss": account,
        "aud": settings.zendesk_app_audience,
        "iat": now,
        "exp": now + TOKEN_SECONDS,
        "sub": f"https://{account}/api/v2/users/{zendesk.agent_id}.json",
        "context": {"product": "support", "location": "ticket_sidebar", "ticket_id": ticket_id},
    }
    return jwt.encode(claims, zendesk.app_private_key, algorithm="RS256")


def _newest_first(tickets: list[HelpdeskTicket]) -> list[HelpdeskTicket]:
    return sorted(tickets, key=lambda t: (t.created_at is not None, t.created_at, t.id), reverse=True)


def _chosen(tickets: list[HelpdeskTicket]) -> tuple[HelpdeskTicket | None, str | None]:
    """The ticket asked for (``?ticket=``), else the newest; with what to fix when the ask is bad."""
    raw = request.args.get("ticket", "")
    if not raw:
        return (tickets[0] if tickets else None), None
    if not raw.isdigit() or not 0 < int(raw) <= MAX_TICKET_ID:
        return None, "demo_workspace.bad_ticket"
    found = next((t for t in tickets if t.id == int(raw)), None)
    return found, None if found else "demo_workspace.unknown_ticket"


def workspace_pages(zendesk: DemoZendesk) -> Blueprint:
    """The page's blueprint, bound to the demo's Zendesk; built by the demo for its app only."""
    pages = Blueprint(
        "demo_workspace",
        __name__,
        url_prefix=URL_PREFIX,
        static_folder="demo_static",
        static_url_path="/static",
    )

    @pages.get("/agent-workspace")
    @login_required
    def agent_workspace() -> ResponseReturnValue:
        helpdesk = services().helpdesk
        try:
            tickets = _newest_first(helpdesk.search_tickets("status<closed", limit=LISTED_TICKETS))
            requester_ids = sorted({t.requester_id for t in tickets if t.requester_id is not None})
            requesters = {u.id: u.name for u in helpdesk.get_users(requester_ids)} if requester_ids else {}
        except HelpdeskError as exc:
            log.warning("the demo's Zendesk did not list tickets: %s", exc)
            return _page([], {}, None, "demo_workspace.helpdesk_down"), 502
        chosen, problem = _chosen(tickets)
        status = 200 if problem is None else 404 if problem == "demo_workspace.unknown_ticket" else 400
        return _page(tickets, requesters, chosen, problem), status

    def _page(
        tickets: list[HelpdeskTicket],
        requesters: dict[int, str],
        chosen: HelpdeskTicket | None,
        problem: str | None,
    ) -> str:
        return render_template(
            "demo/agent_workspace.html",
            tickets=tickets,
            requesters=requesters,
            chosen=chosen,
            problem=problem,
            token=signed_request_token(zendesk, ticket_id=chosen.id) if chosen else None,
            frame_name=SIDEBAR_FRAME,
        )

    return pages
