"""Locust's part of ``bench.ingest_bench``: each simulated sender posts signed Zendesk webhook
deliveries, every one a new ticket event under its own invocation id, at
``INGEST_BENCH_PER_USER`` a second, so that users x pace is the steady rate asked for. Arrivals
are a Poisson process (independent senders: exponential gaps on a schedule each user keeps),
not Locust's ``constant_throughput``, whose users all started together fire in step: 40 of them
sent a burst of 40 every 200 ms, and the burst's queue, not the server, set the latency (a bare
Flask app's p50 was 20 ms against 8 ms when the same rate arrives at random). ``0``: as fast as
it can.

Locust runs in its own virtual environment (``var/locust-venv``, made by the bench); this file
imports only the standard library and the project's stdlib-only signer.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import uuid
from datetime import UTC, datetime

from locust import FastHttpUser, task

from integrations.zendesk.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

SECRET = os.environ["INGEST_BENCH_SECRET"]
PER_USER = float(os.environ.get("INGEST_BENCH_PER_USER", "5"))
RUN = uuid.uuid4().hex[:8]  # keys unique across runs against the same database
TICKETS = itertools.count(1)


class ZendeskSender(FastHttpUser):
    def on_start(self) -> None:
        self.next_send = time.monotonic()

    def wait_time(self) -> float:
        if PER_USER <= 0:
            return 0.0
        self.next_send += random.expovariate(PER_USER)
        return max(0.0, self.next_send - time.monotonic())

    @task
    def deliver(self) -> None:
        ticket = next(TICKETS)
        body = json.dumps({"ticket_id": str(ticket), "event": "ticket.changed"}).encode()
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.client.post(
            "/webhooks/zendesk",
            data=body,
            headers={
                SIGNATURE_HEADER: sign(SECRET, stamp, body),
                TIMESTAMP_HEADER: stamp,
                "X-Zendesk-Webhook-Invocation-Id": f"ingest-{RUN}-{ticket}",
                "Content-Type": "application/json",
            },
        )
