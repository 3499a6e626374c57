"""The inbox's depth and oldest waiting delivery as Prometheus gauges, read from the database at
scrape time (one query each), so that every web process reports the same installation-wide figures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from service.db import Database
from service.inbox import store as inbox

STATES = ("pending", "leased", "done", "ignored", "failed")


class InboxCollector(Collector):
    def __init__(self, db: Database):
        self.db = db

    def collect(self) -> Iterator[Any]:
        try:
            with self.db.transaction() as session:
                counts = inbox.counts(session)
                oldest = inbox.oldest_pending_age(session)
        except Exception:  # the database is down: report that, not a failed scrape
            up = GaugeMetricFamily(
                "incidentdesk_inbox_readable", "1 when the inbox could be read at this scrape."
            )
            up.add_metric([], 0)
            yield up
            return
        up = GaugeMetricFamily(
            "incidentdesk_inbox_readable", "1 when the inbox could be read at this scrape."
        )
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily("incidentdesk_inbox_deliveries", "Inbox rows by state.", labels=["state"])
        for state in sorted(set(STATES) | set(counts)):
            depth.add_metric([state], counts.get(state, 0))
        yield depth
        age = GaugeMetricFamily(
            "incidentdesk_inbox_oldest_pending_seconds",
            "Age of the oldest delivery still pending or leased; 0 when none waits.",
        )
        age.add_metric([], oldest or 0.0)
        yield age
