"""Prometheus metrics (prometheus-client): what the processes count, and how they are shown.

Counters and histograms live in the process that counts them. Under gunicorn (several
processes) prometheus-client keeps them in files in PROMETHEUS_MULTIPROC_DIR and a scrape adds
up every process's, the embedded inbox worker's included; ``clear_multiprocess_dir`` empties it
when a server starts and ``process_exited`` drops a dead process's gauges. Figures that belong
to the whole installation (the inbox's depth and oldest age) are read from the database at
scrape time by collectors the caller passes (``service.inbox.queue_metrics``), so every web
process answers the same.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.registry import Collector

log = logging.getLogger("incidentdesk.metrics")

WEBHOOK_DELIVERIES = Counter(
    "incidentdesk_webhook_deliveries",
    "Webhook deliveries committed to the inbox, by outcome (stored, duplicate, ignored).",
    ["outcome"],
)
WEBHOOK_REJECTED = Counter(
    "incidentdesk_webhook_rejected",
    "Webhook requests refused, by HTTP status (401 signature, 413 size, 400/422 payload, 503 database).",
    ["status"],
)
BATCH_SIZE = Histogram(
    "incidentdesk_worker_batch_size",
    "Deliveries per batch the worker processed.",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)
BATCH_SECONDS = Histogram(
    "incidentdesk_worker_batch_duration_seconds",
    "Time to process one batch, from claim to completion.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
BATCHES_FAILED = Counter(
    "incidentdesk_worker_batches_failed", "Batches that raised and were put back for a retry."
)
TICKETS_LINKED = Counter("incidentdesk_tickets_linked", "Tickets the pipeline linked to an incident.")
MERGES = Counter(
    "incidentdesk_merges",
    "Duplicate tickets merged into another, by IncidentDesk or on an agent's confirmation.",
    ["by"],
)
OUTREACH_SENT = Counter("incidentdesk_outreach_sent", "Customers an outreach campaign's message reached.")
HELPDESK_WRITE_CALLS = Counter(
    "incidentdesk_helpdesk_write_calls",
    "Write calls to the helpdesk made by the pipeline (bulk updates, merges).",
)
HELPDESK_CALLS = Counter(
    "incidentdesk_helpdesk_calls",
    "Every call to the helpdesk, by method, endpoint (ids replaced) and the answer's status.",
    ("method", "endpoint", "status"),
)
HELPDESK_CALL_SECONDS = Histogram(
    "incidentdesk_helpdesk_call_seconds",
    "How long calls to the helpdesk took.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
HELPDESK_RATE_LIMITED = Counter(
    "incidentdesk_helpdesk_rate_limited", "Answers of 429 from the helpdesk that paused the budget."
)
HELPDESK_PAUSED_SECONDS = Counter(
    "incidentdesk_helpdesk_paused_seconds", "Seconds the request budget was paused by the helpdesk's 429s."
)


class HelpdeskCalls:
    """The helpdesk adapter's call observer (``integrations.base.CallObserver``) as metrics."""

    def called(self, method: str, endpoint: str, status: int, seconds: float) -> None:
        HELPDESK_CALLS.labels(method, endpoint, str(status)).inc()
        HELPDESK_CALL_SECONDS.observe(seconds)

    def paused(self, seconds: float) -> None:
        HELPDESK_RATE_LIMITED.inc()
        HELPDESK_PAUSED_SECONDS.inc(seconds)


class _ThisProcess(Collector):
    """The default registry's figures (this process only), when not in multiprocess mode."""

    def collect(self) -> Iterator[Any]:
        yield from REGISTRY.collect()


def scrape_registry(*, multiprocess_dir: str, collectors: Iterable[Collector] = ()) -> CollectorRegistry:
    registry = CollectorRegistry()
    if multiprocess_dir:
        multiprocess.MultiProcessCollector(registry, path=multiprocess_dir)  # type: ignore[no-untyped-call]
    else:
        registry.register(_ThisProcess())
    for collector in collectors:
        registry.register(collector)
    return registry


def exposition(registry: CollectorRegistry) -> tuple[bytes, str]:
    """The text format Prometheus scrapes, and its content type."""
    return generate_latest(registry), CONTENT_TYPE_LATEST


def token_accepted(expected: str, authorization: str | None) -> bool:
    """``Authorization: Bearer <token>``, compared in constant time; no token set accepts none."""
    if not expected or not authorization or not authorization.startswith("Bearer "):
        return False
    return hmac.compare_digest(authorization[len("Bearer ") :].encode(), expected.encode())


def clear_multiprocess_dir(path: str) -> None:
    """A starting server's figures begin at zero: last run's files would be added in. This
    process's own files (opened when the metrics were defined, at import) are kept."""
    if not path:
        return
    own = f"_{os.getpid()}.db"
    for stale in Path(path).glob("*.db"):
        if not stale.name.endswith(own):
            stale.unlink(missing_ok=True)


def process_exited(path: str, pid: int) -> None:
    if path:
        multiprocess.mark_process_dead(pid, path)  # type: ignore[no-untyped-call]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # every scrape would be a line
        pass


def metrics_app(token: str, registry_factory: Callable[[], CollectorRegistry]) -> Callable[..., Any]:
    """A WSGI app answering the metrics to a bearer of ``token`` (for the worker processes)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if not token_accepted(token, environ.get("HTTP_AUTHORIZATION")):
            start_response(
                "401 Unauthorized", [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")]
            )
            return [b"send Authorization: Bearer <INCIDENTDESK_METRICS_TOKEN>\n"]
        body, content_type = exposition(registry_factory())
        start_response("200 OK", [("Content-Type", content_type)])
        return [body]

    return app


def serve_in_thread(
    *, host: str, port: int, token: str, registry_factory: Callable[[], CollectorRegistry]
) -> Callable[[], None]:
    """Serve ``metrics_app`` on ``host:port`` in a daemon thread; returns the function that stops it."""
    server = make_server(host, port, metrics_app(token, registry_factory), handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="incidentdesk-metrics", daemon=True).start()
    log.info("metrics on http://%s:%d/ (bearer token required)", host, server.server_port)

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return stop
