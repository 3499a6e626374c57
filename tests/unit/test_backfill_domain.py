"""The backfill's pure decisions: its window, its keys, and which matching tickets it answers."""

from datetime import UTC, datetime, timedelta

from service.domain.backfill import Candidate, covers, delivery_key, in_window, percent, tally, window_start

DECLARED = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)


def test_the_window_opens_at_the_start_time_or_a_day_before_the_declaration():
    started = DECLARED - timedelta(hours=3)
    assert window_start(started, DECLARED) == started
    assert window_start(None, DECLARED) == DECLARED - timedelta(hours=24)


def test_only_tickets_created_inside_the_window_are_candidates():
    start, end = DECLARED - timedelta(hours=1), DECLARED + timedelta(minutes=5)
    assert in_window(DECLARED, start, end)
    assert not in_window(start - timedelta(seconds=1), start, end)
    assert not in_window(end + timedelta(seconds=1), start, end)
    assert not in_window(None, start, end)


def test_one_key_per_incident_and_ticket():
    assert delivery_key(3, 41) == delivery_key(3, 41) == "backfill:3:41"
    assert delivery_key(3, 41) != delivery_key(4, 41)


def test_handled_and_solved_tickets_are_counted_but_not_answered():
    counts = tally(
        [
            Candidate(1, "new", handled=False),
            Candidate(2, "open", handled=True),
            Candidate(3, "solved", handled=False),
            Candidate(4, "closed", handled=True),
            Candidate(5, "pending", handled=False),
        ]
    )
    assert counts.to_answer == (1, 5)
    assert counts.skipped == {"handled": 2, "solved": 1}


def test_percent_of_nothing_to_do_is_complete():
    assert percent(0, 0) == 100
    assert percent(1, 3) == 33
    assert percent(5, 3) == 100


def test_the_count_waits_until_the_feed_covers_the_window_end():
    end = DECLARED + timedelta(minutes=5)
    assert not covers(end - timedelta(seconds=30), end)  # the export's left-out minute
    assert covers(end, end)
    assert covers(None, end)
