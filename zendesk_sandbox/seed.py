"""Seed scenarios: realistic accounts for demos and tests.

``demo``: an online sports store's helpdesk — customers writing in English, Hebrew and
Bulgarian, a reseller and a running club as organizations, VIP customers, a second agent,
and a handful of everyday tickets over email, web form, chat and phone.
"""

from __future__ import annotations

from .organizations import add_organization
from .state import SandboxState
from .tickets import create_ticket

_AGENT_EMAIL = "dana@sandbox.incidentdesk.test"
_ORGANIZATIONS = [
    {"name": "Peak Outdoor Resellers", "tags": ["reseller"], "domain_names": ["peak-outdoor.example"]},
    {"name": "Trailhead Running Club", "tags": ["club"], "domain_names": ["trailhead.example"]},
    {"name": "Sofia Sports Ltd", "tags": ["reseller"], "domain_names": ["sofiasports.example"]},
]

# (name, email, locale, organization index or None, tags)
_CUSTOMERS = [
    ("Olivia Bennett", "olivia.bennett@mail.example", "en-US", None, ["vip"]),
    ("Marcus Reid", "marcus.reid@peak-outdoor.example", "en-US", 0, ["account_manager"]),
    ("Priya Natarajan", "priya.n@trailhead.example", "en-US", 1, []),
    ("Noa Levi", "noa.levi@mail.example", "he", None, []),
    ("Yossi Cohen", "yossi.cohen@mail.example", "he", None, ["vip"]),
    ("Ivan Petrov", "ivan.petrov@sofiasports.example", "bg", 2, []),
    ("Maria Georgieva", "maria.georgieva@mail.example", "bg", None, ["vip"]),
    ("Tom Fischer", "tom.fischer@trailhead.example", "en-US", 1, []),
]

# (customer index, channel, subject, body, tags)
_TICKETS = [
    (
        0,
        "email",
        "Where is my order #48213?",
        "Hi, I ordered a pair of trail shoes last Tuesday and tracking hasn't moved since.",
        [],
    ),
    (
        2,
        "web",
        "Tent pole snapped on first use",
        "The front pole of the 2-person tent broke while pitching it. Can I get a replacement?",
        ["returns"],
    ),
    (
        3,
        "chat",
        "שאלה על מידה של נעלי ריצה",
        "היי, אני בדרך כלל במידה 38. האם הדגם החדש תואם למידה רגילה?",
        [],
    ),
    (
        5,
        "email",
        "Кога ще пристигне поръчката ми?",
        "Здравейте, поръчах пет чифта ски обувки за магазина преди седмица. Кога ще пристигнат?",
        ["wholesale"],
    ),
    (
        1,
        "voice",
        "Bulk order for the spring season",
        "Call summary: Marcus wants a quote for 40 running jackets in mixed sizes.",
        ["quote"],
    ),
]


def seed_demo(state: SandboxState) -> dict:
    by_name = {o["name"]: o["id"] for o in state.organizations.values()}
    orgs = [by_name.get(spec["name"]) or add_organization(state, spec)["id"] for spec in _ORGANIZATIONS]
    agent = state.user_by_email(_AGENT_EMAIL)
    agent_id = (
        agent["id"]
        if agent
        else state.add_user(
            name="Dana Support", email=_AGENT_EMAIL, role="agent", default_group_id=state.default_group_id
        )
    )
    customers = []
    for name, email, locale, org_index, tags in _CUSTOMERS:
        existing = state.user_by_email(email)
        if existing:
            customers.append(existing["id"])
            continue
        customers.append(
            state.add_user(
                name=name,
                email=email,
                locale=locale,
                tags=tags,
                organization_id=orgs[org_index] if org_index is not None else None,
            )
        )
    ticket_ids = []
    for customer, channel, subject, body, tags in _TICKETS:
        requester = customers[customer]
        ticket, _ = create_ticket(
            state,
            {
                "subject": subject,
                "comment": {"body": body},
                "requester_id": requester,
                "submitter_id": requester,
                "tags": tags,
                "via": {"channel": channel},
            },
            requester,
            channel,
        )
        ticket_ids.append(ticket["id"])
    return {
        "organizations": orgs,
        "agents": [state.admin_id, agent_id],
        "customers": customers,
        "tickets": ticket_ids,
    }


SCENARIOS = {"demo": seed_demo}
