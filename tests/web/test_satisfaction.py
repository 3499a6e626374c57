"""Satisfaction, measured, through the sandbox: customers rate the incident's tickets good or bad,
others rate tickets that are not the incident's; the dashboard and the post-incident report show
the incident's shares against the account's baseline over the same weeks, and the customers'
comments inert (escaped, never rendered as a placeholder)."""

from __future__ import annotations

from datetime import timedelta

import requests

from service import clock
from service.models import TicketLink
from tests.factories import AUTH, declare
from tests.web.conftest import post_form

SCRIPT = "<script>alert('csat')</script>"
PLACEHOLDER = "{{ticket.latest_comment}}"


def rated_ticket(sandbox, n: int, score: str, comment: str = "", days_ago: float = 0) -> int:
    made = requests.post(
        f"{sandbox.url}/_sandbox/tickets",
        json={
            "ticket": {
                "subject": f"Order {n}",
                "status": "solved",
                "comment": {"body": "The checkout failed"},
                "requester": {"name": f"Customer {n}", "email": f"c{n}@example.com"},
            }
        },
        timeout=5,
    )
    assert made.status_code == 201, made.text
    ticket_id = made.json()["ticket"]["id"]
    at = (clock.now() - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rated = requests.post(
        f"{sandbox.url}/_sandbox/tickets/{ticket_id}/satisfaction_rating",
        json={"satisfaction_rating": {"score": score, "comment": comment, "created_at": at}},
        timeout=5,
    )
    assert rated.status_code == 200, rated.text
    return ticket_id


def link(db, incident_id: int, ticket_ids: list[int]) -> None:
    with db.transaction() as session:
        session.add_all(
            TicketLink(
                incident_id=incident_id,
                ticket_id=ticket_id,
                subject=f"Ticket {ticket_id}",
                ticket_status="solved",
                state="linked",
                evidence={"phrases": ["checkout"]},
                linked_at=clock.now(),
            )
            for ticket_id in ticket_ids
        )


def the_accounts_ratings(sandbox) -> int:
    """The incident's tickets: 1 good, 2 bad; others within four weeks: 3 good; one six weeks
    ago, outside the baseline. Returns the incident."""
    ours = [
        rated_ticket(sandbox, 1, "good", "Thanks for the quick fix"),
        rated_ticket(sandbox, 2, "bad", SCRIPT),
        rated_ticket(sandbox, 3, "bad", PLACEHOLDER),
    ]
    rated_ticket(sandbox, 4, "good", days_ago=3)
    rated_ticket(sandbox, 5, "good", "Lovely shop", days_ago=10)
    rated_ticket(sandbox, 6, "good", days_ago=20)
    rated_ticket(sandbox, 7, "bad", "Not ours", days_ago=42)
    return ours


def assert_inert(page: str) -> None:
    assert SCRIPT not in page and "&lt;script&gt;alert(&#39;csat&#39;)&lt;/script&gt;" in page
    assert PLACEHOLDER in page  # shown as the customer wrote it, not filled in
    assert "Thanks for the quick fix" in page and "Lovely shop" not in page and "Not ours" not in page


def test_the_dashboard_shows_the_incident_tickets_ratings_against_the_baseline(logged_in, db, sandbox):
    incident_id = declare(logged_in)
    link(db, incident_id, the_accounts_ratings(sandbox))
    page = logged_in.get("/admin/dashboard").data.decode()
    row = page[page.index(f'<tr data-incident="{incident_id}">') :]
    row = row[: row.index("</tr>")]
    assert '<span data-figure="incident">33.3% good, 66.7% bad (3 rated)</span>' in row
    # Baseline: the six ratings of the last four weeks (the incident's included), 4 good and 2 bad.
    assert "Account baseline: 66.7% good, 33.3% bad (6 rated)" in row
    comments = page[page.index('id="satisfaction"') :]
    assert comments.index(PLACEHOLDER) < comments.index("Thanks for the quick fix")  # newest first
    assert_inert(page)
    post_form(logged_in, "/language", {"lang": "he"})
    hebrew = logged_in.get("/admin/dashboard").data.decode()
    assert "33.3% טוב, 66.7% רע (3 דירוגים)" in hebrew


def test_the_report_adds_the_shares_and_the_baseline_to_its_figures(logged_in, client, db, sandbox):
    incident_id = declare(logged_in)
    link(db, incident_id, the_accounts_ratings(sandbox))
    assert (
        post_form(logged_in, f"/admin/incidents/{incident_id}/resolve", {"final_en": "Fixed."}).status_code
        == 302
    )
    page = logged_in.get(f"/admin/incidents/{incident_id}/report").data.decode()
    assert '<dt>Rated good (%)</dt><dd dir="ltr">33.3</dd>' in page
    assert '<dt>Baseline rated good (%)</dt><dd dir="ltr">66.7</dd>' in page
    assert_inert(page)
    sheet = logged_in.get(f"/admin/incidents/{incident_id}/report.csv").get_data(as_text=True)
    assert "satisfaction_rated,3" in sheet and "satisfaction_bad_percent,66.7" in sheet
    assert "baseline_rated,6" in sheet and "baseline_good_percent,66.7" in sheet
    assert f'"bad: {SCRIPT}"' in sheet or f"bad: {SCRIPT}" in sheet
    body = client.get(f"/api/v1/incidents/{incident_id}/report", headers=AUTH).get_json()
    assert [(c["score"], c["comment"]) for c in body["rating_comments"]][:2] == [
        ("bad", PLACEHOLDER),
        ("bad", SCRIPT),
    ]
    figures = body["figures"]
    assert (figures["satisfaction_rated"], figures["satisfaction_good_percent"]) == (3, 33.3)
    assert (figures["baseline_rated"], figures["baseline_bad_percent"]) == (6, 33.3)


def test_pages_say_when_the_helpdesk_cannot_be_read(logged_in, db, sandbox):
    incident_id = declare(logged_in)
    requests.post(
        f"{sandbox.url}/_sandbox/faults", json={"error_burst": {"count": 50, "status": 503}}, timeout=5
    )
    try:
        page = logged_in.get("/admin/dashboard").data.decode()
        assert 'id="satisfaction-unavailable"' in page and f'<tr data-incident="{incident_id}">' in page
    finally:
        requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=5)


def test_one_read_serves_every_active_incident_and_is_kept_for_a_minute(logged_in, db, sandbox):
    checkout = declare(logged_in)
    login = declare(logged_in, title="Login fails", phrases="cannot log in")
    link(db, checkout, [rated_ticket(sandbox, 1, "bad", "Still broken")])
    link(db, login, [rated_ticket(sandbox, 2, "good", "Works again")])
    requests.post(f"{sandbox.url}/_sandbox/counters/reset", timeout=5)
    first = logged_in.get("/admin/dashboard").data.decode()
    logged_in.get("/admin/dashboard")
    calls = requests.get(f"{sandbox.url}/_sandbox/counters", timeout=5).json()["calls"]
    assert calls.get("GET /api/v2/satisfaction_ratings") == 1
    checkout_row = first[first.index(f'<tr data-incident="{checkout}">') :]
    assert "0.0% good, 100.0% bad (1 rated)" in checkout_row[: checkout_row.index("</tr>")]
    login_row = first[first.index(f'<tr data-incident="{login}">') :]
    assert "100.0% good, 0.0% bad (1 rated)" in login_row[: login_row.index("</tr>")]
