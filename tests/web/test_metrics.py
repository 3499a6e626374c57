"""GET /metrics: only with the token, Prometheus's text format, figures that move with a flow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from service import clock
from service.inbox import store as inbox
from service.metrics import metrics_app, scrape_registry, token_accepted
from service.reconcile import store
from service.reconcile.models import ReconcilerCursor
from service.settings import Settings, SettingsError
from tests.web.conftest import build_app

TOKEN = "metrics-token-" + "m" * 20


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.data
    assert response.content_type.startswith("text/plain")
    return samples(response.get_data(as_text=True))


def test_metrics_need_the_token_and_are_off_without_one(database_url, helpdesk):
    off = build_app(database_url, helpdesk)
    on = build_app(database_url, helpdesk, metrics_token=TOKEN)
    try:
        assert (
            off.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404
        )
        client = on.test_client()
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/metrics", headers={"Authorization": TOKEN}).status_code == 401
        assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    finally:
        off.extensions["incidentdesk"].db.dispose()
        on.extensions["incidentdesk"].db.dispose()


def test_the_inbox_and_webhook_figures_follow_what_happened(database_url, helpdesk):
    app = build_app(database_url, helpdesk, metrics_token=TOKEN)
    client = app.test_client()
    try:
        before = scrape(client)
        assert before[("incidentdesk_inbox_readable", ())] == 1
        assert before[("incidentdesk_inbox_deliveries", (("state", "pending"),))] == 0
        with app.extensions["incidentdesk"].db.transaction() as session:
            for n in range(3):
                inbox.store(
                    session, delivery_key=f"k{n}", event_type="ticket.created", ticket_id=n + 1, payload="{}"
                )
        for _ in range(2):
            assert (
                client.post("/webhooks/zendesk", data=b"{}", content_type="application/json").status_code
                == 401
            )
        after = scrape(client)
        assert after[("incidentdesk_inbox_deliveries", (("state", "pending"),))] == 3
        assert after[("incidentdesk_inbox_oldest_pending_seconds", ())] >= 0
        rejected = ("incidentdesk_webhook_rejected_total", (("status", "401"),))
        assert after[rejected] - before.get(rejected, 0) == 2
    finally:
        app.extensions["incidentdesk"].db.dispose()


def test_the_reconcilers_lag_once_it_has_read_the_feed(database_url, helpdesk):
    app = build_app(database_url, helpdesk, metrics_token=TOKEN)
    db = app.extensions["incidentdesk"].db
    try:
        assert ("incidentdesk_reconciler_lag_seconds", ()) not in scrape(app.test_client())
        store.take_lease(db, "w1", 60, due_only=False)
        with db.transaction() as session:
            session.execute(update(ReconcilerCursor).values(synced_until=clock.now() - timedelta(seconds=90)))
        assert 90 <= scrape(app.test_client())[("incidentdesk_reconciler_lag_seconds", ())] < 120
    finally:
        db.dispose()


def test_the_workers_metrics_endpoint_wants_the_token_too():
    app = metrics_app(TOKEN, lambda: scrape_registry(multiprocess_dir=""))
    answers = []

    def start_response(status, headers):
        answers.append(status)

    app({"HTTP_AUTHORIZATION": "Bearer nope"}, start_response)
    body = b"".join(app({"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}, start_response))
    assert answers == ["401 Unauthorized", "200 OK"]
    assert b"incidentdesk_worker_batch_size" in body
    assert not token_accepted("", "Bearer ")  # no token configured accepts nobody


def test_metrics_settings_are_read_from_the_environment():
    key = {"INCIDENTDESK_SECRET_KEY": "k" * 40}
    settings = Settings.from_env(
        {**key, "INCIDENTDESK_METRICS_TOKEN": TOKEN, "INCIDENTDESK_WORKER_METRICS_PORT": "9100"}
    )
    assert (settings.metrics_token, settings.worker_metrics_port) == (TOKEN, 9100)
    assert "metrics-token" not in repr(settings)  # a secret: never printed
    with pytest.raises(SettingsError, match="INCIDENTDESK_METRICS_TOKEN is not"):
        Settings.from_env({**key, "INCIDENTDESK_WORKER_METRICS_PORT": "9100"})
