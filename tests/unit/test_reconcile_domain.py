"""The reconciler's pure decisions: one key per ticket and change, how far the feed is complete."""

from datetime import UTC, datetime, timedelta

from service.domain.reconcile import delivery_key, lag_seconds, synced_after_page

NOON = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def test_a_key_per_ticket_and_change():
    assert delivery_key(42, NOON) == delivery_key(42, NOON + timedelta(microseconds=1))
    assert delivery_key(42, NOON) != delivery_key(42, NOON + timedelta(seconds=1))
    assert delivery_key(42, NOON) != delivery_key(43, NOON)
    assert delivery_key(42, NOON).startswith("export:42:")


def test_synced_moves_forward_only():
    assert synced_after_page(None, None, None) is None
    assert synced_after_page(None, NOON, None) == NOON  # mid-stream: the newest change read
    assert synced_after_page(NOON, None, NOON + timedelta(minutes=5)) == NOON + timedelta(minutes=5)
    assert synced_after_page(NOON, NOON - timedelta(hours=1), None) == NOON  # never backwards


def test_lag():
    assert lag_seconds(NOON, None) is None
    assert lag_seconds(NOON, NOON - timedelta(seconds=90)) == 90
    assert lag_seconds(NOON, NOON + timedelta(seconds=5)) == 0  # clocks a little apart
