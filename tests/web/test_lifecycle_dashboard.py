"""The dashboard: per active incident, linked, unsolved, oldest unsolved, unlinked, broadcasts; a chart."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from service import clock
from service.models import StatusUpdate, TicketLink
from service.reconcile import store
from service.reconcile.models import ReconcilerCursor
from service.users import create_admin
from service.web.admin.dashboard import age_in_words
from tests.factories import declare
from tests.web.conftest import ADMIN_PASSWORD, ADMIN_USERNAME, build_app, log_in, post_form


def link(
    incident_id: int,
    ticket_id: int,
    *,
    hours_ago: float,
    ticket_status: str = "open",
    state: str = "linked",
    written_hours_ago: float | None = None,
) -> TicketLink:
    return TicketLink(
        incident_id=incident_id,
        ticket_id=ticket_id,
        subject=f"Ticket {ticket_id}",
        ticket_status=ticket_status,
        state=state,
        evidence={"phrases": ["checkout fails"]},
        linked_at=clock.now() - timedelta(hours=hours_ago),
        ticket_created_at=clock.now() - timedelta(hours=written_hours_ago) if written_hours_ago else None,
    )


def dashboard_row(page: str, incident_id: int) -> list[str]:
    row = re.search(rf'<tr data-incident="{incident_id}">(.*?)</tr>', page, re.DOTALL).group(1)
    return [
        re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
    ]


def test_dashboard_shows_the_backlog_of_each_active_incident(logged_in, db):
    checkout = declare(logged_in)
    login = declare(logged_in, title="Login fails", phrases="cannot log in")
    resolved = declare(logged_in, title="Old outage", phrases="old outage")
    with db.transaction() as session:
        session.add_all(
            [
                # Linked 3.5 hours ago, but the customer first wrote 4 h 10 min ago.
                link(checkout, 1, hours_ago=3.5, written_hours_ago=4 + 1 / 6),
                link(checkout, 2, hours_ago=1, ticket_status="pending"),
                link(checkout, 3, hours_ago=5, ticket_status="solved"),
                link(checkout, 4, hours_ago=0.5, ticket_status="closed"),
                link(checkout, 5, hours_ago=2, state="unlinked"),
                link(checkout, 6, hours_ago=0.2, state="applying"),
                link(login, 7, hours_ago=0.25, ticket_status="new"),
                link(resolved, 8, hours_ago=1),
            ]
        )
        session.add(
            StatusUpdate(
                incident_id=checkout,
                version=2,
                stage="identified",
                texts={"en": "x"},
                broadcast_state="running",
                broadcast_total=4,
                broadcast_done=1,
            )
        )
    post_form(logged_in, f"/admin/incidents/{resolved}/resolve", {"final_en": "Fixed."})

    page = logged_in.get("/admin/dashboard").data.decode()
    assert '<a href="/admin/dashboard" aria-current="page">Dashboard</a>' in page
    # title, stage, linked, unsolved, earliest unsolved contact (when and how long ago), unlinked, broadcasts
    row = dashboard_row(page, checkout)
    assert row[1:4] == ["Identified", "4", "2"] and row[5:7] == ["1", "1"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC\s*4 h 10 min ago", row[4]), row[4]
    row = dashboard_row(page, login)
    assert (
        row[1:4] == ["Investigating", "1", "1"]
        and row[4].endswith("0 h 15 min ago")
        and row[5:7] == ["0", "0"]
    )
    assert f'data-incident="{resolved}"' not in page
    totals = re.sub(r"<[^>]+>", " ", page[page.index('id="dashboard-totals">') : page.index("</dl>")])
    assert " ".join(totals.split()[1:]) == (
        "Active incidents 2 Linked 5 Unsolved 3 Unlinked (feedback) 1 Broadcasts in progress 1"
    )
    # Linked tickets per hour over the active incidents (not the reservation, not the resolved one).
    bars = re.findall(r'<rect class="chart-bar"[^>]*><title>[0-9:]+ UTC: (\d+)</title>', page)
    assert sum(map(int, bars)) == 6


def test_dashboard_without_active_incidents(logged_in):
    page = logged_in.get("/admin/dashboard").data.decode()
    assert "No active incidents." in page and 'class="chart-bar"' not in page


def test_dashboard_in_hebrew_is_right_to_left(logged_in, db):
    declare(logged_in)
    post_form(logged_in, "/language", {"lang": "he"})
    page = logged_in.get("/admin/dashboard").data.decode()
    assert '<html lang="he" dir="rtl">' in page and "לוח בקרה" in page


def test_age_is_told_in_hours_and_minutes():
    assert age_in_words(3 * 3600 + 30 * 60 + 59) == (3, 30)
    assert age_in_words(-5) == (0, 0)


def test_the_backlog_is_in_the_api_as_json_and_as_a_safe_spreadsheet(logged_in, client, db):
    from tests.factories import AUTH

    checkout = declare(logged_in)
    formula = declare(logged_in, title="=HYPERLINK(1) login fails", phrases="cannot log in")
    with db.transaction() as session:
        session.add_all(
            [
                link(checkout, 1, hours_ago=3.5, written_hours_ago=4),
                link(checkout, 2, hours_ago=1, ticket_status="pending"),
                link(checkout, 3, hours_ago=5, ticket_status="solved"),
                link(formula, 7, hours_ago=0.25, ticket_status="new"),
            ]
        )
    body = client.get("/api/v1/backlog", headers=AUTH).get_json()
    rows = {r["incident_id"]: r for r in body["incidents"]}
    assert (rows[checkout]["linked"], rows[checkout]["unsolved"]) == (3, 2)
    first_contact = rows[checkout]["earliest_unanswered_contact"]
    assert first_contact.endswith("+00:00") and body["totals"]["earliest_unanswered_contact"] == first_contact
    assert (body["totals"]["active_incidents"], body["totals"]["unsolved"]) == (2, 3)
    sheet = client.get("/api/v1/backlog.csv", headers=AUTH)
    text = sheet.get_data(as_text=True)
    assert sheet.mimetype == "text/csv" and text.startswith("\ufeffincident_id,title,")
    assert "'=HYPERLINK(1) login fails" in text  # a title is never a formula in the spreadsheet
    assert client.get("/api/v1/backlog").status_code == 401


def reconciler_lag(client) -> str:
    page = client.get("/admin/dashboard").data.decode()
    text = re.search(r'id="reconcile-lag"[^>]*>(.*?)</p>', page, re.DOTALL).group(1)
    return " ".join(text.split())


def test_dashboard_shows_the_reconcilers_lag(database_url, helpdesk):
    app = build_app(database_url, helpdesk, reconcile_seconds=60)
    db = app.extensions["incidentdesk"].db
    try:
        with db.transaction() as session:
            create_admin(session, ADMIN_USERNAME, ADMIN_PASSWORD)
        client = app.test_client()
        assert log_in(client).status_code == 302
        assert reconciler_lag(client) == "Reconciler lag: not run yet"
        store.take_lease(db, "w1", 60, due_only=False)
        with db.transaction() as session:
            session.execute(update(ReconcilerCursor).values(synced_until=clock.now() - timedelta(seconds=95)))
        assert re.fullmatch(r"Reconciler lag: 1 min 3[5-9] s", reconciler_lag(client)), reconciler_lag(client)
    finally:
        db.dispose()


def test_dashboard_says_when_the_reconciler_is_off(logged_in):
    assert reconciler_lag(logged_in) == "Reconciler lag: off (INCIDENTDESK_RECONCILE_SECONDS=0)"
