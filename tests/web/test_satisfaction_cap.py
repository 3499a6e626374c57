"""A satisfaction read is bounded: an incident active for more than a year is measured over its
latest weeks, read from the helpdesk in one range of at most ``MAX_READ_WEEKS``."""

from __future__ import annotations

from datetime import timedelta

import requests

from service import clock
from service.domain.satisfaction import AFTER_WEEKS, MAX_READ_WEEKS, read_range, window
from service.incidents.satisfaction import RatingsCache, satisfaction_of
from service.incidents.store import get_incident
from tests.factories import declare
from tests.web.test_satisfaction import link, rated_ticket


def test_a_long_incidents_window_and_read_stay_within_the_cap():
    now = clock.now()
    since, until = window(now - timedelta(weeks=60), None, now)
    assert (since, until) == (now - timedelta(weeks=MAX_READ_WEEKS - AFTER_WEEKS), now)
    resolved = now - timedelta(weeks=80)
    since, until = window(now - timedelta(weeks=100), resolved, now)
    first, last = read_range(since, until, now)
    assert last == resolved + timedelta(weeks=AFTER_WEEKS) and last - first == timedelta(weeks=MAX_READ_WEEKS)


def test_an_incident_open_for_a_year_reads_only_its_latest_weeks(logged_in, db, sandbox, helpdesk):
    incident_id = declare(logged_in)
    with db.transaction() as session:
        get_incident(session, incident_id).created_at = clock.now() - timedelta(weeks=60)
    recent = rated_ticket(sandbox, 1, "bad", "Still broken", days_ago=10)
    old = rated_ticket(sandbox, 2, "good", "Fine back then", days_ago=7 * (MAX_READ_WEEKS + 4))
    link(db, incident_id, [recent, old])
    requests.post(f"{sandbox.url}/_sandbox/counters/reset", timeout=5)

    now = clock.now()
    with db.transaction() as session:
        found = satisfaction_of(session, helpdesk, RatingsCache(), [get_incident(session, incident_id)], now)

    assert found is not None
    measured = found[incident_id]
    assert measured.since == now - timedelta(weeks=MAX_READ_WEEKS - AFTER_WEEKS)
    assert (measured.incident.bad, measured.incident.good) == (1, 0)  # the old rating is outside
    calls = requests.get(f"{sandbox.url}/_sandbox/counters", timeout=5).json()["calls"]
    assert calls == {"GET /api/v2/satisfaction_ratings": 1}
