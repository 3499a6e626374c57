"""The incident's ratings against the account's baseline over the same weeks."""

from datetime import UTC, datetime, timedelta

from integrations.base import SatisfactionRating
from service.domain.satisfaction import Tally, measure, window

DECLARED = datetime(2026, 11, 30, 9, tzinfo=UTC)
RESOLVED = DECLARED + timedelta(hours=3)


def rating(n: int, ticket_id: int, score: str, at: datetime, comment: str = "") -> SatisfactionRating:
    return SatisfactionRating(id=n, ticket_id=ticket_id, score=score, comment=comment, created_at=at)


def test_the_window_starts_four_weeks_before_the_declaration_and_ends_at_the_resolution_or_now():
    now = DECLARED + timedelta(days=1)
    assert window(DECLARED, RESOLVED, now) == (DECLARED - timedelta(weeks=4), RESOLVED)
    assert window(DECLARED, None, now) == (DECLARED - timedelta(weeks=4), now)


def test_incident_tickets_against_the_baseline():
    since, until = window(DECLARED, RESOLVED, RESOLVED + timedelta(days=2))
    ratings = [
        rating(1, 10, "good", DECLARED - timedelta(weeks=1)),
        rating(2, 11, "good", DECLARED - timedelta(days=3), "fine"),
        rating(3, 12, "bad", DECLARED - timedelta(weeks=5)),  # before the window: left out
        rating(4, 20, "bad", DECLARED + timedelta(hours=1), "<script>alert(1)</script>"),
        rating(5, 21, "bad", RESOLVED + timedelta(hours=5), "{{ticket.latest_comment}}"),  # after: still ours
        rating(6, 22, "good", DECLARED + timedelta(hours=2), "   "),
        rating(7, 23, "offered", DECLARED + timedelta(hours=2)),
    ]
    found = measure(ratings, {20, 21, 22, 23}, since, until)
    assert found.incident == Tally(good=1, bad=2)
    assert (found.incident.good_percent, found.incident.bad_percent) == (33.3, 66.7)
    assert found.baseline == Tally(good=3, bad=1)  # every rating in the window, the incident's included
    assert [c.text for c in found.comments] == ["{{ticket.latest_comment}}", "<script>alert(1)</script>"]
    assert Tally().good_percent is None and Tally().rated == 0
