"""Test data, made the way users and Zendesk make it: the checkout incident, its tickets and links, an outreach campaign run to the end."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import requests
from sqlalchemy import select

from service.domain.incidents import clean_draft
from service.domain.outreach.audience import parse_csv
from service.inbox import store as inbox
from service.inbox.worker import Worker
from service.incidents.store import declare_incident
from service.linking.reservations import Reservation
from service.models import InboxDelivery, TicketLink
from service.outreach import store
from service.outreach.models import Campaign
from service.outreach.runner import OutreachRunner
from service.wiring import Services, build_services
from tests.conftest import make_settings
from tests.helpers import wait_for
from tests.web.conftest import API_TOKEN, declare_form, post_form
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN

MESSAGES = {
    "en": {
        "subject": "About {{incident_title}}",
        "body": "Hi {{first_name}}, sorry. {{status}} Code: {{coupon}}",
    },
    "he": {
        "subject": "בנוגע ל{{incident_title}}",
        "body": "שלום {{first_name}}, סליחה. {{status}} קוד: {{coupon}}",
    },
    "bg": {
        "subject": "Относно {{incident_title}}",
        "body": "Здравейте, {{first_name}}. {{status}} Код: {{coupon}}",
    },
}


def outreach_services(database_url: str, sandbox, helpdesk, **overrides) -> Services:
    options = {"worker_lease_seconds": 5, "job_timeout_seconds": 2, **overrides}
    settings = make_settings(database_url, zendesk_base_url=sandbox.url, **options)
    return build_services(settings, helpdesk=helpdesk)


def new_campaign(
    services: Services, *, csv_text: str | None = None, query: str = "", incident_id=None, **options
) -> tuple[int, int]:
    if incident_id is None:
        incident_id, _, _ = declare_checkout_incident(services)
    defaults = dict(name="Sorry for the outage", messages=MESSAGES, coupon_mode="generated")
    defaults.update(options)
    with services.db.transaction() as session:
        campaign = store.create_campaign(session, incident_id, "test", **defaults)
        store.save_audience(
            session, services.helpdesk, campaign, parse_csv(csv_text) if csv_text else None, query
        )
        store.transition(session, services.helpdesk, campaign, "launch", "test")
        return incident_id, campaign.id


def run_until_done(services: Services, campaign_id: int, timeout: float = 60.0) -> dict:
    runner = OutreachRunner(services, "test-worker", poll_interval=0.2)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not runner.run_once():
            time.sleep(0.05)
        with services.db.transaction() as session:
            campaign = session.get(Campaign, campaign_id)
            if campaign.state == "done":
                return store.progress(session, campaign)
    raise AssertionError(f"campaign {campaign_id} not done within {timeout} s")


def sandbox_outreach_tickets(sandbox, incident_id: int) -> list[dict]:
    """Every ticket in the sandbox that carries one of this incident's outreach external ids."""
    prefix = f"incidentdesk-outreach-{incident_id}-"
    with sandbox.state.lock:
        return [
            dict(t) for t in sandbox.state.tickets.values() if (t.get("external_id") or "").startswith(prefix)
        ]


def sandbox_user_email(sandbox, user_id: int) -> str:
    with sandbox.state.lock:
        return sandbox.state.users[user_id]["email"]


def first_comment(sandbox, ticket_id: int) -> dict:
    with sandbox.state.lock:
        return dict(sandbox.state.comments[ticket_id][0])


def set_faults(sandbox, **faults) -> None:
    requests.post(f"{sandbox.url}/_sandbox/faults", json=faults, timeout=5).raise_for_status()


CHECKOUT_PHRASES = ["checkout", "can't pay", "payment fails", "תשלום", "плащане", "не мога да платя"]


CHECKOUT_STATUS = {
    "en": "Hi {{first_name}}, checkout is down; we expect it back within 3 hours.",
    "he": "שלום {{first_name}}, מערכת התשלום מושבתת; אנו צופים שתחזור תוך 3 שעות.",
    "bg": "Здравейте, {{first_name}}, плащането не работи; очакваме да се възстанови до 3 часа.",
}


def declare_checkout_incident(services: Services, **draft_overrides):
    with services.db.transaction() as session:
        draft = clean_draft(
            "Checkout is down",
            draft_overrides.pop("phrases", CHECKOUT_PHRASES),
            draft_overrides.pop("status_texts", CHECKOUT_STATUS),
            **draft_overrides,
        )
        incident = declare_incident(session, services.helpdesk, draft, actor="test")
        return incident.id, incident.tag, incident.problem_ticket_id


def add_links(db, incident_id: int) -> None:
    start = datetime(2026, 11, 22, 9, 5, tzinfo=UTC)
    with db.transaction() as session:
        for n, minutes in enumerate((0, 10, 70, 75, 80)):
            session.add(
                TicketLink(
                    incident_id=incident_id,
                    ticket_id=1000 + n,
                    requester_id=50 + n,
                    subject="התשלום באתר לא עובד" if n == 0 else f"Checkout broken #{n}",
                    locale="he" if n == 0 else "en",
                    linked_at=start + timedelta(minutes=minutes),
                    evidence={
                        "phrases": ["checkout fails"],
                        "excerpts": ["…my checkout fails at the last step…"],
                    },
                )
            )


def declared_incident_id(response) -> int:
    assert response.status_code == 302, response.data[:500]
    match = re.fullmatch(r"/admin/incidents/(\d+)\?declared=1", response.location)
    assert match, response.location
    return int(match.group(1))


def declare(client, **overrides) -> int:
    return declared_incident_id(post_form(client, "/admin/incidents/new", declare_form(**overrides)))


def recent_checkout_tickets(sandbox) -> dict[str, int]:
    return {
        "match": sandbox_create(sandbox, "Checkout fails", "My checkout fails at the last step."),
        "partial": sandbox_create(sandbox, "Slow page", "The checkout page is very slow today."),
        "excluded": sandbox_create(sandbox, "Test order", "The checkout fails on my test order."),
        "unrelated": sandbox_create(sandbox, "Invoice", "Where is my invoice for October?"),
    }


def deliveries_done(running) -> bool:
    """Every webhook the sandbox has queued has been sent (a change's webhook leaves after the API
    call that made it has answered), and the inbox holds none still to handle."""
    invocations = running.api.get(f"{running.sandbox_url}/_sandbox/invocations", timeout=10).json()
    if any(i.get("status") == "queued" for i in invocations["invocations"]):
        return False
    with running.services.db.transaction() as session:
        return not session.scalars(
            select(InboxDelivery.id).where(InboxDelivery.state.in_(("pending", "leased")))
        ).first()


def link_state(running, ticket_id):
    with running.services.db.transaction() as session:
        link = session.scalars(select(TicketLink).where(TicketLink.ticket_id == ticket_id)).first()
        return (link.state, link.status_version, link.ticket_status) if link else None


AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


INCIDENT = {
    "title": "Checkout is down",
    "phrases": ["checkout fails", "התשלום באתר לא עובד", "плащането на сайта не работи"],
    "status_texts": {
        "en": "We are fixing checkout.",
        "he": "אנחנו מתקנים את התשלום.",
        "bg": "Поправяме плащането.",
    },
    "severity": "critical",
    "default_locale": "en",
}


def sandbox_create(sandbox, subject: str, body: str, **extra) -> int:
    """A customer's ticket, created in the sandbox over HTTP."""
    ticket = {
        "subject": subject,
        "comment": {"body": body},
        "requester": {"name": "Dana Levi", "email": "dana@example.com"},
        **extra,
    }
    response = requests.post(
        f"{sandbox.url}/api/v2/tickets.json",
        json={"ticket": ticket},
        timeout=5,
        auth=(f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN),
    )
    assert response.status_code == 201, response.text
    return response.json()["ticket"]["id"]


def source_from_template(services: Services, kind: str, **settings) -> tuple[str, str | None]:
    """An incident source whose template is the checkout incident, resolved so that only the
    incidents declared from it link tickets. Returns the delivery path and any secret made here."""
    from service.domain.sources.drafts import clean_source
    from service.incidents.status import resolve_incident
    from service.incidents.store import get_incident
    from service.sources.store import add_source

    template_id, _, _ = declare_checkout_incident(services)
    with services.db.transaction() as session:
        template = get_incident(session, template_id)
        resolve_incident(session, services.helpdesk, template, {"en": "Template only."}, actor="test")
        draft = clean_source(kind=kind, name=f"{kind} source", template_incident_id=template_id, **settings)
        created = add_source(session, draft, actor="test")
    return f"/webhooks/sources/{created.path_token}", created.generated_secret


def seen_incident(services: Services, external_id: str):
    """The incident a source declared for the vendor's ``external_id``, detached; None before."""
    from service.incidents.store import get_incident
    from service.sources.models import SourceIncident

    with services.db.transaction() as session:
        seen = session.scalar(select(SourceIncident).where(SourceIncident.external_id == external_id))
        if seen is None or seen.incident_id is None:
            return None
        incident = get_incident(session, seen.incident_id)
        session.expunge_all()
        return incident


def checkout_customers(sandbox, count: int) -> list[int]:
    """``count`` different customers' tickets about the checkout, created in the sandbox."""
    return [
        sandbox_create(
            sandbox,
            f"Order {n}",
            "checkout fails when I pay",
            requester={"name": f"Customer {n}", "email": f"customer{n}@example.com"},
        )
        for n in range(count)
    ]


def store_deliveries(services: Services, ticket_ids, key_prefix: str = "test") -> None:
    """Each ticket delivered once into the inbox, as a webhook would."""
    with services.db.transaction() as session:
        for ticket_id in ticket_ids:
            inbox.store(
                session,
                delivery_key=f"{key_prefix}:{ticket_id}",
                event_type="ticket.created",
                ticket_id=ticket_id,
                payload="{}",
            )


def process_deliveries(services: Services, ticket_ids, timeout: float = 60.0) -> None:
    """Each ticket delivered once into the inbox (as a webhook would), then a worker run in this
    process until the inbox is empty."""
    store_deliveries(services, ticket_ids)
    worker = Worker(services)

    def drained() -> bool:
        worker.run_once()
        with services.db.transaction() as session:
            return not sum(inbox.queue_depth(session).values())

    wait_for(drained, timeout=timeout)


def reservation(incident_id: int, ticket_id: int, requester_id: int = 7) -> Reservation:
    """A link a batch wants to write: Dana's checkout ticket."""
    return Reservation(
        incident_id=incident_id,
        ticket_id=ticket_id,
        requester_id=requester_id,
        requester_name="Dana",
        subject="checkout fails",
        ticket_status="new",
        ticket_created_at=None,
        locale="en",
        status_version=1,
        evidence={},
    )
