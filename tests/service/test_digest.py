"""Management's backlog digest, posted to a chat stand-in over HTTP: while an incident is active,
once an interval however many workers ask, with the trend since the last one; a chat that fails
is asked again a few minutes later; the URL never reaches a log line."""

from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta

import pytest
from sqlalchemy import update
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from service import clock
from service.incidents.digest import BacklogDigest
from service.models import DigestState, Incident, TicketLink
from service.wiring import build_services
from tests.conftest import make_settings
from tests.factories import declare_checkout_incident


class Chat:
    """A chat's incoming webhook: keeps what it is sent; answers ``status``."""

    def __init__(self):
        self.texts: list[str] = []
        self.status = 200
        self.server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/T000/B000/secret-token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _app(self, environ, start_response):
        request = Request(environ)
        self.texts.append(json.loads(request.get_data())["text"])
        return Response("ok", status=self.status)(environ, start_response)


@pytest.fixture
def chat():
    stand_in = Chat()
    yield stand_in
    stand_in.server.shutdown()


def _unsolved(services, incident_id: int, ticket_ids, hours_ago: float) -> None:
    with services.db.transaction() as session:
        for ticket_id in ticket_ids:
            session.add(
                TicketLink(
                    incident_id=incident_id,
                    ticket_id=ticket_id,
                    subject="x",
                    ticket_status="open",
                    state="linked",
                    evidence={},
                    linked_at=clock.now(),
                    ticket_created_at=clock.now() - timedelta(hours=hours_ago),
                )
            )


def _due_again(services) -> None:
    with services.db.transaction() as session:
        session.execute(update(DigestState).values(sent_at=clock.now() - timedelta(minutes=61)))


def test_the_digest_is_posted_once_an_interval_with_its_trend(database_url, helpdesk, chat, caplog):
    services = build_services(make_settings(database_url), helpdesk=helpdesk)
    workers = [BacklogDigest(services.db, chat.url, 60, check_every_seconds=0) for _ in range(3)]
    assert sum(w.run_once() for w in workers) == 0 and chat.texts == []  # no active incident, no digest

    incident_id, _, _ = declare_checkout_incident(services)
    _unsolved(services, incident_id, (1, 2, 3), hours_ago=2)
    assert sum(w.run_once() for w in workers) == 1  # three workers, one digest
    first = chat.texts[-1]
    assert first.startswith(
        "IncidentDesk: 1 active incident · 3 unanswered contacts · the earliest unanswered"
    )
    assert "• Checkout is down: 3 unsolved of 3 linked" in first

    _unsolved(services, incident_id, (4, 5), hours_ago=0.5)
    assert workers[0].run_once() == 0  # not due yet
    _due_again(services)
    assert workers[1].run_once() == 1 and "5 unanswered contacts (+2 since the last digest)" in chat.texts[-1]

    chat.status = 503
    _due_again(services)
    with caplog.at_level(logging.WARNING):
        assert workers[2].run_once() == 0
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("incidentdesk"))
    assert "503" in ours and "secret-token" not in ours and "hooks" not in ours
    with services.db.transaction() as session:
        retry_at = session.get(DigestState, 1).sent_at
    waited = clock.now() - retry_at.replace(tzinfo=retry_at.tzinfo or clock.now().tzinfo)
    assert timedelta(minutes=54) < waited < timedelta(minutes=56)  # due again in 5 minutes, not 60
    chat.status = 200
    assert workers[0].run_once() == 0  # not yet
    with services.db.transaction() as session:
        session.execute(update(DigestState).values(sent_at=DigestState.sent_at - timedelta(minutes=5)))
    assert workers[0].run_once() == 1

    with services.db.transaction() as session:
        session.execute(update(Incident).values(state="resolved"))
    _due_again(services)
    assert sum(w.run_once() for w in workers) == 0
    services.db.dispose()
