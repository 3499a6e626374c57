"""Backfill end to end through the sandbox: customers who wrote before the incident was
declared are found by a dry run (counted exactly, nothing written), and on apply each matching
one is answered once, by the worker's pipeline; a ticket linked by hand, one whose customer
wrote again after the declaration, and one about something else are not answered (again), and
a second backfill answers no one twice. On SQLite and PostgreSQL."""

import time

import requests
from sqlalchemy import select

from service.incidents.store import get_incident
from service.linking.manual import link_manually
from service.models import AuditEntry
from tests.factories import AUTH, declare_checkout_incident, deliveries_done
from tests.helpers import EXPORT_EXCLUDES_HERE, export_everything, start_service, wait_for


def _backfill(running, incident_id: int, backfill_id: int) -> dict:
    answer = requests.get(
        f"{running.url}/api/v1/incidents/{incident_id}/backfills/{backfill_id}", headers=AUTH, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _counted(running, incident_id: int) -> dict:
    started = requests.post(
        f"{running.url}/api/v1/incidents/{incident_id}/backfills?dry_run=true", headers=AUTH, timeout=10
    )
    assert started.status_code == 202, started.text
    backfill_id = started.json()["id"]
    # Zendesk's export leaves out its latest minute: the count is in once it covers the request.
    wait_for(lambda: _backfill(running, incident_id, backfill_id)["state"] == "counted", timeout=150)
    return _backfill(running, incident_id, backfill_id)


def _applied(running, incident_id: int, backfill_id: int) -> dict:
    answer = requests.post(
        f"{running.url}/api/v1/incidents/{incident_id}/backfills/{backfill_id}/apply",
        headers=AUTH,
        timeout=10,
    )
    assert answer.status_code == 202, answer.text
    wait_for(lambda: _backfill(running, incident_id, backfill_id)["state"] == "done", timeout=60)
    return _backfill(running, incident_id, backfill_id)


def test_customers_who_wrote_before_the_declaration_are_answered_once(database_url, sandbox, helpdesk):
    running = start_service(database_url, sandbox, helpdesk)
    try:
        export_everything(sandbox, helpdesk)
        first = running.create_ticket(
            "Checkout fails with my card", name="Ann First", email="ann@example.com"
        )
        second = running.create_ticket(
            "The checkout page is blank", name="Ben Second", email="ben@example.com"
        )
        other = running.create_ticket("When does my parcel arrive?", name="Cy Other", email="cy@example.com")
        by_hand = running.create_ticket("checkout error 500", name="Di Hand", email="di@example.com")
        again = running.create_ticket("I can't pay, payment fails", name="Ed Again", email="ed@example.com")
        wait_for(lambda: deliveries_done(running), timeout=30)  # seen before any incident: left alone
        assert all(running.public_replies(t) == [] for t in (first, second, other, by_hand, again))

        incident_id, tag, _ = declare_checkout_incident(running.services)
        with running.services.db.transaction() as session:
            incident = get_incident(session, incident_id)
            link_manually(session, running.services.helpdesk, incident, by_hand, actor="admin:test")
        ed = running.ticket(again)["requester_id"]
        wrote = running.api.post(
            f"{sandbox.url}/_sandbox/tickets/{again}/agent_update",
            json={"ticket": {"comment": {"body": "Still can't pay!", "author_id": ed}}},
            timeout=10,
        )
        assert wrote.status_code == 200, wrote.text
        wait_for(lambda: tag in running.ticket(again)["tags"], timeout=30)
        wait_for(lambda: deliveries_done(running), timeout=30)
        replies_before = {t: running.public_replies(t) for t in (by_hand, again)}
        assert len([r for r in replies_before[again] if r != "Still can't pay!"]) == 1

        # The export lists a change once it is older than what it leaves out (2 s here, as the
        # adapter is told): only then are the two tickets just written counted, as handled.
        time.sleep(EXPORT_EXCLUDES_HERE + 0.5)
        dry = _counted(running, incident_id)
        assert (dry["candidates"], dry["matched"], dry["to_answer"]) == (5, 4, 2), dry
        assert dry["skipped"] == {"handled": 2, "solved": 0}
        assert {s["ticket_id"] for s in dry["sample"]} == {first, second, by_hand, again}
        assert all("checkout" in s["why"].lower() or "pay" in s["why"].lower() for s in dry["sample"])
        assert all(running.public_replies(t) == [] for t in (first, second))  # a dry run writes nothing

        done = _applied(running, incident_id, dry["id"])
        assert (done["processed"], done["answered"], done["percent"]) == (2, 2, 100)
        for ticket_id in (first, second):
            replies = running.public_replies(ticket_id)
            assert len(replies) == 1 and "checkout is down" in replies[0]
            assert tag in running.ticket(ticket_id)["tags"]
        assert running.public_replies(other) == []
        assert tag not in running.ticket(other)["tags"]
        assert {t: running.public_replies(t) for t in (by_hand, again)} == replies_before

        # Twice: the second dry run finds everyone handled, and applying it answers no one.
        time.sleep(EXPORT_EXCLUDES_HERE + 0.5)  # the answers just written, listed by the export
        second_dry = _counted(running, incident_id)
        assert (second_dry["matched"], second_dry["to_answer"], second_dry["skipped"]["handled"]) == (4, 0, 4)
        assert _applied(running, incident_id, second_dry["id"])["state"] == "done"
        for ticket_id in (first, second):
            assert len(running.public_replies(ticket_id)) == 1
        assert {t: running.public_replies(t) for t in (by_hand, again)} == replies_before

        with running.services.db.transaction() as session:
            actions = list(
                session.scalars(
                    select(AuditEntry.action)
                    .where(AuditEntry.incident_id == incident_id, AuditEntry.action.startswith("backfill."))
                    .order_by(AuditEntry.id)
                )
            )
        assert (
            actions
            == [
                "backfill.dry_run_requested",
                "backfill.counted",
                "backfill.confirmed",
                "backfill.enqueued",
                "backfill.finished",
            ]
            * 2
        )
    finally:
        running.stop()
