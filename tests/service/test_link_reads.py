"""The incident page's and dashboard's hourly chart is counted by the database, per UTC hour."""

from datetime import UTC, datetime, timedelta

from service.db import Database
from service.domain.states import LinkState
from service.incidents.reads import links_per_hour
from service.models import Incident, TicketLink

LATEST = datetime(2026, 11, 22, 15, 40, tzinfo=UTC)


def test_links_are_counted_per_hour_within_the_window_up_to_the_latest(database_url):
    db = Database(database_url)
    with db.transaction() as session:
        mine, other = Incident(title="Checkout", tag="incident_a"), Incident(title="Login", tag="incident_b")
        session.add_all([mine, other])
        session.flush()
        moments = {
            1: LATEST,  # the latest hour: 15:00
            2: LATEST - timedelta(minutes=39),  # 15:01, same hour
            3: LATEST - timedelta(minutes=41),  # 14:59
            4: LATEST - timedelta(hours=3),  # 12:40
            5: LATEST - timedelta(hours=4),  # 11:40: outside a 4-hour window
        }
        for ticket_id, moment in moments.items():
            session.add(TicketLink(incident_id=mine.id, ticket_id=ticket_id, linked_at=moment))
        session.add(TicketLink(incident_id=mine.id, ticket_id=9, linked_at=LATEST, state=LinkState.UNLINKED))
        session.add(  # a reservation is not a linked ticket yet, and is later than any link
            TicketLink(
                incident_id=mine.id, ticket_id=6, linked_at=LATEST + timedelta(hours=5), state="applying"
            )
        )
        session.add(TicketLink(incident_id=other.id, ticket_id=7, linked_at=LATEST + timedelta(hours=1)))
        mine_id, other_id = mine.id, other.id
    with db.transaction() as session:
        hours = links_per_hour(session, [mine_id], hours=4)
        both = links_per_hour(session, [mine_id, other_id], hours=2)
        none = links_per_hour(session, [12345], hours=4)
    db.dispose()
    hour = LATEST.replace(minute=0)
    assert hours == {hour: 3, hour - timedelta(hours=1): 1, hour - timedelta(hours=3): 1}
    assert both == {hour + timedelta(hours=1): 1, hour: 3}
    assert none == {}
