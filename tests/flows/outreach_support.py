"""Helpers for the outreach flow tests: a campaign on the checkout incident, run to the end."""
from __future__ import annotations

import time

import requests

from service.wiring import Services, build_services
from service.domain.outreach.audience import parse_csv
from service.outreach import store
from service.outreach.models import Campaign
from service.outreach.runner import OutreachRunner
from tests.conftest import make_settings
from tests.flows.harness import declare_checkout_incident

MESSAGES = {
    "en": {"subject": "About {{incident_title}}", "body": "Hi {{first_name}}, sorry. {{status}} Code: {{coupon}}"},
    "he": {"subject": "בנוגע ל{{incident_title}}", "body": "שלום {{first_name}}, סליחה. {{status}} קוד: {{coupon}}"},
    "bg": {"subject": "Относно {{incident_title}}", "body": "Здравейте, {{first_name}}. {{status}} Код: {{coupon}}"},
}


def outreach_services(database_url: str, sandbox, helpdesk, **overrides) -> Services:
    options = {"worker_lease_seconds": 5, "job_timeout_seconds": 2, **overrides}
    settings = make_settings(database_url, zendesk_base_url=sandbox.url, **options)
    return build_services(settings, helpdesk=helpdesk)


def new_campaign(services: Services, *, csv_text: str | None = None, query: str = "", incident_id=None,
                 **options) -> tuple[int, int]:
    if incident_id is None:
        incident_id, _, _ = declare_checkout_incident(services)
    defaults = dict(name="Sorry for the outage", messages=MESSAGES, coupon_mode="generated")
    defaults.update(options)
    with services.db.transaction() as session:
        campaign = store.create_campaign(session, incident_id, "test", **defaults)
        store.save_audience(session, services.helpdesk, campaign, parse_csv(csv_text) if csv_text else None, query)
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
        return [dict(t) for t in sandbox.state.tickets.values() if (t.get("external_id") or "").startswith(prefix)]


def sandbox_user_email(sandbox, user_id: int) -> str:
    with sandbox.state.lock:
        return sandbox.state.users[user_id]["email"]


def first_comment(sandbox, ticket_id: int) -> dict:
    with sandbox.state.lock:
        return dict(sandbox.state.comments[ticket_id][0])


def set_faults(sandbox, **faults) -> None:
    requests.post(f"{sandbox.url}/_sandbox/faults", json=faults, timeout=5).raise_for_status()
