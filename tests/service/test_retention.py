"""Refused webhook requests are bounded (a sample an hour, the rest counted) and the worker purges
finished deliveries and refused requests past the retention setting, keeping pending work, and
the audit log past its own setting, when one is set."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from service import clock
from service.app import create_app
from service.inbox import store as inbox
from service.inbox.worker import Worker
from service.models import AuditEntry, InboxDelivery, RateBudget, RejectedDelivery
from service.settings import Settings, SettingsError
from service.wiring import build_services
from tests.conftest import make_settings
from tests.service.test_webhook_endpoint import signed_headers

NOW = datetime(2024, 5, 1, 10, 30, tzinfo=UTC)


@pytest.fixture
def services(database_url):
    built = build_services(make_settings(database_url, rejected_samples_per_hour=5, retention_days=30))
    yield built
    built.db.dispose()


def _count(services, model, *where):
    with services.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _at(monkeypatch, when: datetime) -> None:
    monkeypatch.setattr(clock, "now", lambda: when)


def test_a_flood_of_unsigned_requests_stores_a_bounded_sample_and_counts_the_rest(services, monkeypatch):
    _at(monkeypatch, NOW)
    client = create_app(services=services).test_client()
    for i in range(40):
        answer = client.post(
            "/webhooks/zendesk", data=f'{{"ticket_id": {i}}}', content_type="application/json"
        )
        assert answer.status_code == 401
    assert _count(services, RejectedDelivery) == 5
    # A refusal of another kind (signed but unreadable) still gets its own sample.
    signed = client.post("/webhooks/zendesk", data=b"{", headers=signed_headers(b"{", when=NOW))
    assert signed.status_code == 400
    assert _count(services, RejectedDelivery, RejectedDelivery.status_code == 400) == 1
    with services.db.transaction() as session:
        assert inbox.rejection_counts(session, since=NOW - timedelta(hours=1)) == {401: 40, 400: 1}

    _at(monkeypatch, NOW + timedelta(hours=1))  # a new hour: a new sample
    for _ in range(10):
        client.post("/webhooks/zendesk", data=b"{}", content_type="application/json")
    assert _count(services, RejectedDelivery, RejectedDelivery.status_code == 401) == 10
    with services.db.transaction() as session:
        assert inbox.rejection_counts(session, since=NOW)[401] == 50


def _delivery(session, key: str, state: str, at: datetime) -> None:
    session.add(
        InboxDelivery(
            delivery_key=key,
            event_type="ticket.updated",
            ticket_id=1,
            payload="{}",
            state=state,
            received_at=at,
            available_at=at,
            completed_at=at if state in inbox.FINISHED else None,
        )
    )


def _seed(services, monkeypatch):
    old, recent = NOW - timedelta(days=31), NOW - timedelta(days=29)
    with services.db.transaction() as session:
        for state in ("done", "ignored", "failed", "pending", "leased"):
            _delivery(session, f"old-{state}", state, old)
            _delivery(session, f"recent-{state}", state, recent)
        for at in (old, recent):
            session.add(RejectedDelivery(received_at=at, status_code=401, reason="x", headers={}, body=""))
    for at in (old, recent):
        _at(monkeypatch, at)
        with services.db.transaction() as session:
            inbox.record_rejection(session, status_code=401, reason="x", headers={}, body=b"")
    _at(monkeypatch, NOW)


def _keys(services):
    with services.db.transaction() as session:
        return set(session.scalars(select(InboxDelivery.delivery_key)))


def test_the_worker_purges_old_finished_rows_and_keeps_recent_and_pending_ones(services, monkeypatch):
    _seed(services, monkeypatch)
    worker = Worker(services, name="purger")
    purged = worker.purge_if_due()
    assert (purged.deliveries, purged.rejected, purged.counters) == (3, 2, 1)
    assert _keys(services) == {
        "old-pending",
        "old-leased",
        *(f"recent-{s}" for s in ("done", "ignored", "failed", "pending", "leased")),
    }
    assert _count(services, RejectedDelivery) == 2
    assert _count(services, RateBudget, RateBudget.name.startswith(inbox.REJECTION_COUNTER)) == 1
    assert worker.purge_if_due() is None  # not due again until the interval has passed


def test_purging_runs_in_small_batches_and_leaves_the_rest_for_next_time(services, monkeypatch):
    _at(monkeypatch, NOW)
    with services.db.transaction() as session:
        for i in range(7):
            _delivery(session, f"old-{i}", "done", NOW - timedelta(days=40))
    cutoff = NOW - timedelta(days=30)
    first = inbox.purge(services.db, older_than=cutoff, batch_size=2, max_batches=2)
    assert first.deliveries == 4 and len(_keys(services)) == 3
    rest = inbox.purge(services.db, older_than=cutoff, batch_size=2, max_batches=10)
    assert rest.deliveries == 3 and _keys(services) == set()


def test_retention_and_sample_settings_come_from_the_environment():
    base = {"INCIDENTDESK_SECRET_KEY": "k" * 40}
    default = Settings.from_env(base)
    assert (default.retention_days, default.rejected_samples_per_hour) == (30, 100)
    chosen = Settings.from_env(
        {**base, "INCIDENTDESK_RETENTION_DAYS": "7", "INCIDENTDESK_REJECTED_SAMPLES_PER_HOUR": "20"}
    )
    assert (chosen.retention_days, chosen.rejected_samples_per_hour) == (7, 20)
    with pytest.raises(SettingsError, match="INCIDENTDESK_RETENTION_DAYS"):
        Settings.from_env({**base, "INCIDENTDESK_RETENTION_DAYS": "0"})


def _audit_entries(services, ages_in_days: list[int]) -> None:
    with services.db.transaction() as session:
        for days in ages_in_days:
            session.add(AuditEntry(at=NOW - timedelta(days=days), action="ticket.linked", detail={}))


def test_the_audit_log_is_kept_unless_its_retention_is_set(database_url, monkeypatch):
    _at(monkeypatch, NOW)
    kept = build_services(make_settings(database_url, retention_days=30))
    _audit_entries(kept, [400, 40, 1])
    assert Worker(kept, name="keeper").purge_if_due().audit == 0
    assert _count(kept, AuditEntry) == 3
    kept.db.dispose()

    pruned = build_services(make_settings(database_url, retention_days=30, audit_retention_days=90))
    purged = Worker(pruned, name="pruner").purge_if_due()
    assert purged.audit == 1
    with pruned.db.transaction() as session:
        moments = [
            at if at.tzinfo else at.replace(tzinfo=UTC) for at in session.scalars(select(AuditEntry.at))
        ]
    ages = sorted((NOW - at).days for at in moments)
    assert ages == [1, 40]
    pruned.db.dispose()


def test_the_audit_retention_comes_from_the_environment():
    base = {"INCIDENTDESK_SECRET_KEY": "k" * 40}
    assert Settings.from_env(base).audit_retention_days == 0
    assert Settings.from_env({**base, "INCIDENTDESK_AUDIT_RETENTION_DAYS": "365"}).audit_retention_days == 365
    with pytest.raises(SettingsError, match="INCIDENTDESK_AUDIT_RETENTION_DAYS"):
        Settings.from_env({**base, "INCIDENTDESK_AUDIT_RETENTION_DAYS": "-1"})
