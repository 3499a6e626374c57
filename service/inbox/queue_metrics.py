"""The inbox's waiting queue (pending and leased rows), its oldest delivery and the reconciler's
lag as Prometheus gauges, read from the database at scrape time (the queue through the claim
index, the same two queries as /readyz; the lag from the reconciler's one row), so every web
process reports the same installation-wide figures at a cost that follows the queue, not the
history. Finished rows are counted as they happen (service.metrics)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from service import clock
from service.db import Database
from service.domain.reconcile import lag_seconds
from service.inbox import store as inbox
from service.reconcile.store import synced_until


class InboxCollector(Collector):
    def __init__(self, db: Database):
        self.db = db

    def collect(self) -> Iterator[Any]:
        readable = GaugeMetricFamily(
            "incidentdesk_inbox_readable", "1 when the inbox could be read at this scrape."
        )
        try:
            with self.db.transaction() as session:
                depth_by_state = inbox.queue_depth(session)
                oldest = inbox.oldest_pending_age(session)
                reconciler_lag = lag_seconds(clock.now(), synced_until(session))
        except Exception:  # the database is down: say so, rather than fail the scrape
            readable.add_metric([], 0)
            yield readable
            return
        readable.add_metric([], 1)
        yield readable
        depth = GaugeMetricFamily(
            "incidentdesk_inbox_deliveries",
            "Inbox rows waiting (pending) or in hand (leased).",
            labels=["state"],
        )
        for state, count in sorted(depth_by_state.items()):
            depth.add_metric([state], count)
        yield depth
        age = GaugeMetricFamily(
            "incidentdesk_inbox_oldest_pending_seconds",
            "Age of the oldest delivery still pending or leased; 0 when none waits.",
        )
        age.add_metric([], oldest or 0.0)
        yield age
        if reconciler_lag is not None:
            lag = GaugeMetricFamily(
                "incidentdesk_reconciler_lag_seconds",
                "How long ago the newest change of the helpdesk surely in the inbox was made"
                " (absent before the reconciler's first full read).",
            )
            lag.add_metric([], reconciler_lag)
            yield lag
