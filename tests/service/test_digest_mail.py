"""Management's digest by e-mail through the helpdesk (the sandbox): while an incident is
active, one ticket a period, however many workers ask, addressed to the digest's mail address
with the figures as IncidentDesk's public comment; IncidentDesk never links or answers it,
although its text names the incident."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.domain.digest import DIGEST_TAG
from service.incidents.digest_mail import MailDigest
from service.models import TicketLink
from service.settings import Settings, SettingsError
from service.wiring import build_services
from tests.conftest import make_settings
from tests.factories import (
    declare_checkout_incident,
    first_comment,
    process_deliveries,
    sandbox_user_email,
)
from tests.helpers import wait_for
from tests.service.test_digest import _due_again, _unsolved

ADDRESS = "management@example.com"


def _digest_tickets(sandbox) -> list[dict]:
    with sandbox.state.lock:
        return sorted(
            (dict(t) for t in sandbox.state.tickets.values() if DIGEST_TAG in t["tags"]),
            key=lambda t: t["id"],
        )


def test_the_digest_is_mailed_once_a_period_and_never_linked(database_url, sandbox, helpdesk):
    services = build_services(make_settings(database_url), helpdesk=helpdesk)
    workers = [MailDigest(services.db, helpdesk, ADDRESS, 60, check_every_seconds=0) for _ in range(3)]
    assert sum(w.run_once() for w in workers) == 0 and _digest_tickets(sandbox) == []  # no incident

    incident_id, tag, _ = declare_checkout_incident(services)
    _unsolved(services, incident_id, (9001, 9002, 9003), hours_ago=2)
    assert sum(w.run_once() for w in workers) == 1  # three workers, one digest
    (digest,) = wait_for(lambda: _digest_tickets(sandbox))
    assert sandbox_user_email(sandbox, digest["requester_id"]) == ADDRESS
    comment = first_comment(sandbox, digest["id"])
    assert comment["public"] and comment["author_id"] != digest["requester_id"]  # the agent's
    assert comment["body"].startswith("IncidentDesk: 1 active incident · 3 unanswered contacts")
    assert "• Checkout is down: 3 unsolved of 3 linked" in comment["body"]
    assert digest["subject"].startswith("IncidentDesk backlog digest, ")

    _unsolved(services, incident_id, (9004, 9005), hours_ago=0.5)
    assert sum(w.run_once() for w in workers) == 0 and len(_digest_tickets(sandbox)) == 1  # not due
    _due_again(services)
    assert sum(w.run_once() for w in workers) == 1
    second = wait_for(lambda: _digest_tickets(sandbox)[1:])[0]
    assert "5 unanswered contacts (+2 since the last digest)" in first_comment(sandbox, second["id"])["body"]

    # The digest names the incident ("checkout"), yet the pipeline leaves its tickets alone.
    process_deliveries(services, [digest["id"], second["id"]])
    with services.db.transaction() as session:
        linked = session.scalars(select(TicketLink.ticket_id)).all()
    assert digest["id"] not in linked and second["id"] not in linked
    with sandbox.state.lock:
        assert len(sandbox.state.comments[digest["id"]]) == 1, sandbox.state.comments[digest["id"]]
        assert DIGEST_TAG in sandbox.state.tickets[digest["id"]]["tags"]
        assert tag not in sandbox.state.tickets[digest["id"]]["tags"]
    services.db.dispose()


def test_the_digest_address_must_be_one_mail_address():
    key = {"INCIDENTDESK_SECRET_KEY": "k" * 40}
    assert Settings.from_env(key).digest_email == ""
    chosen = Settings.from_env({**key, "INCIDENTDESK_DIGEST_EMAIL": " management@example.com "})
    assert chosen.digest_email == "management@example.com"
    for wrong in ("management", "a@b.com, c@d.com", "x y@example.com"):
        with pytest.raises(SettingsError, match="INCIDENTDESK_DIGEST_EMAIL must be one e-mail address"):
            Settings.from_env({**key, "INCIDENTDESK_DIGEST_EMAIL": wrong})
