"""Outreach end to end through the sandbox over HTTP, for each audience source."""

import pytest
import requests
from sqlalchemy import select

from service.models import Incident
from service.outreach import store
from service.outreach.audience import search_query
from service.outreach.models import Campaign, Coupon, Recipient
from tests.factories import (
    first_comment,
    new_campaign,
    outreach_services,
    run_until_done,
    sandbox_outreach_tickets,
    sandbox_user_email,
)
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN

CSV = """email,name,locale,customer id,order
dana@example.com,Dana Levi,he,C-1,#1001
ivan@example.bg,Иван Петров,bg,C-2,#1002
sam@example.com,Sam Smith,en,C-3,#1003
SAM@example.com,Sam Again,en,C-4,#1004
not-an-email,Broken Row,en,C-5,#1005
"""


def test_csv_audience_gets_one_ticket_each_in_their_language(database_url, sandbox, helpdesk):
    services = outreach_services(database_url, sandbox, helpdesk)
    incident_id, campaign_id = new_campaign(services, csv_text=CSV)
    with services.db.transaction() as session:
        report = session.get(Campaign, campaign_id).audience_report
    assert (report["count"], report["duplicates_removed"], report["invalid"]) == (3, 1, 1)
    assert report["invalid_rows"][0]["line"] == 6

    progress = run_until_done(services, campaign_id)
    assert (progress["sent"], progress["failed"], progress["queued"]) == (3, 0, 0)

    tickets = sandbox_outreach_tickets(sandbox, incident_id)
    by_email = {sandbox_user_email(sandbox, t["requester_id"]): t for t in tickets}
    assert sorted(by_email) == ["dana@example.com", "ivan@example.bg", "sam@example.com"]
    with services.db.transaction() as session:
        incident_tag = session.get(Incident, incident_id).tag
        problem_id = session.get(Incident, incident_id).problem_ticket_id
        recipients = {r.email: r for r in session.scalars(select(Recipient))}
        codes = set(session.scalars(select(Coupon.code).where(Coupon.recipient_id.is_not(None))))
    assert len(codes) == 3
    hebrew = first_comment(sandbox, by_email["dana@example.com"]["id"])["body"]
    assert hebrew.startswith("שלום \u2068Dana\u2069") and recipients["dana@example.com"].coupon_code in hebrew
    assert "Иван" in first_comment(sandbox, by_email["ivan@example.bg"]["id"])["body"]
    for email, ticket in by_email.items():
        assert ticket["external_id"] == recipients[email].external_id
        assert ticket["id"] == recipients[email].ticket_id
        assert "incidentdesk_outreach" in ticket["tags"] and incident_tag in ticket["tags"]
        assert ticket["type"] == "incident" and ticket["problem_id"] == problem_id


def test_result_csv_matches_the_sandbox(database_url, sandbox, helpdesk):
    services = outreach_services(database_url, sandbox, helpdesk)
    incident_id, campaign_id = new_campaign(services, csv_text=CSV)
    run_until_done(services, campaign_id)
    with services.db.transaction() as session:
        rows = list(store.result_rows(session, session.get(Campaign, campaign_id)))
    sent = {r[0]: r for r in rows if r[4] == "sent"}
    tickets = {t["id"]: t for t in sandbox_outreach_tickets(sandbox, incident_id)}
    assert {r[5] for r in sent.values()} == set(tickets)
    for email, row in sent.items():
        assert sandbox_user_email(sandbox, tickets[row[5]]["requester_id"]) == email


def _seed_users(sandbox) -> int:
    api = requests.Session()
    api.auth = ("agent@sandbox.incidentdesk.test/token", "sandbox-demo-token")
    org_answer = api.post(
        f"{sandbox.url}/api/v2/organizations.json", json={"organization": {"name": "Acme Sports"}}, timeout=5
    )
    org_id = org_answer.json()["organization"]["id"]
    users = [
        ("vip1@example.com", ["vip"], None, {}),
        ("vip2@example.com", ["vip"], org_id, {}),
        ("acme@example.com", [], org_id, {}),
        ("chair@example.com", [], None, {"product_bought": "chair"}),
        ("other@example.com", [], None, {}),
    ]
    for email, tags, organization, fields in users:
        spec = {"name": email.split("@")[0].title(), "email": email, "tags": tags, "user_fields": fields}
        if organization:
            spec["organization_id"] = organization
        assert api.post(f"{sandbox.url}/api/v2/users.json", json={"user": spec}, timeout=5).status_code == 201
    return org_id


@pytest.mark.parametrize(
    "query_parts, expected",
    [
        ({"tag": "vip"}, {"vip1@example.com", "vip2@example.com"}),
        ({"organization": "ORG"}, {"vip2@example.com", "acme@example.com"}),
        ({"field_key": "product_bought", "field_value": "chair"}, {"chair@example.com"}),
    ],
)
def test_helpdesk_search_audience(sqlite_url, sandbox, helpdesk, query_parts, expected):
    org_id = _seed_users(sandbox)
    parts = {k: (str(org_id) if v == "ORG" else v) for k, v in query_parts.items()}
    services = outreach_services(sqlite_url, sandbox, helpdesk)
    incident_id, campaign_id = new_campaign(services, query=search_query(**parts), coupon_mode="none")
    run_until_done(services, campaign_id)
    tickets = sandbox_outreach_tickets(sandbox, incident_id)
    assert {sandbox_user_email(sandbox, t["requester_id"]) for t in tickets} == expected


def test_vip_customers_get_the_campaigns_priority(database_url, sandbox, helpdesk):
    services = outreach_services(database_url, sandbox, helpdesk)
    csv_text = "email,name,vip\nbig@example.com,Big Spender,yes\nsmall@example.com,Small,\n"
    incident_id, campaign_id = new_campaign(services, csv_text=csv_text, vip_priority="urgent")
    run_until_done(services, campaign_id)
    priorities = {
        sandbox_user_email(sandbox, t["requester_id"]): t["priority"]
        for t in sandbox_outreach_tickets(sandbox, incident_id)
    }
    assert priorities["big@example.com"] == "urgent" and priorities["small@example.com"] != "urgent"


def test_csv_customers_tagged_opted_out_in_the_helpdesk_are_excluded(database_url, sandbox, helpdesk):
    api = requests.Session()
    api.auth = ("agent@sandbox.incidentdesk.test/token", "sandbox-demo-token")
    user = {"user": {"name": "No Thanks", "email": "nothanks@example.com", "tags": ["no_outreach"]}}
    assert api.post(f"{sandbox.url}/api/v2/users.json", json=user, timeout=5).status_code == 201
    services = outreach_services(database_url, sandbox, helpdesk)
    csv_text = "email,name\nnothanks@example.com,No Thanks\nyes@example.com,Yes Please\n"
    incident_id, campaign_id = new_campaign(services, csv_text=csv_text)
    run_until_done(services, campaign_id)
    assert [
        sandbox_user_email(sandbox, t["requester_id"]) for t in sandbox_outreach_tickets(sandbox, incident_id)
    ] == ["yes@example.com"]
    with services.db.transaction() as session:
        excluded = [(e.email, e.reason, e.detail) for e in store.exclusions(session, campaign_id)]
    assert excluded == [("nothanks@example.com", "opted_out", "tagged no_outreach in the helpdesk")]


def test_outreach_tickets_come_from_the_chosen_agent_in_the_chosen_group(database_url, sandbox, helpdesk):
    services = outreach_services(database_url, sandbox, helpdesk)
    api = requests.Session()
    api.auth = (f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN)
    agent = api.post(
        f"{sandbox.url}/api/v2/users.json",
        timeout=5,
        json={"user": {"name": "Maya Care", "email": "maya@shop.example", "role": "agent"}},
    ).json()["user"]["id"]
    group = api.post(
        f"{sandbox.url}/api/v2/groups.json", timeout=5, json={"group": {"name": "Outage team"}}
    ).json()
    group_id = group["group"]["id"]
    incident_id, campaign_id = new_campaign(
        services, csv_text="email,name\nzoe@example.com,Zoe\n", group_id=group_id, sender_id=agent
    )
    assert run_until_done(services, campaign_id)["sent"] == 1
    [ticket] = sandbox_outreach_tickets(sandbox, incident_id)
    assert ticket["group_id"] == group_id and ticket["submitter_id"] == agent
    assert first_comment(sandbox, ticket["id"])["author_id"] == agent
