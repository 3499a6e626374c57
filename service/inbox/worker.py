"""The worker loop: claim a batch from the inbox, run the pipeline, repeat."""

from __future__ import annotations

import contextvars
import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for_any
from dataclasses import replace
from datetime import timedelta

from service import audit, clock, logs, metrics
from service.inbox import store as inbox
from service.inbox import wakeup
from service.inbox.outcomes import BatchReport
from service.inbox.pipeline import BatchUnderWay, Pipeline
from service.incidents.backfill_runner import BackfillRunner
from service.incidents.broadcast import BroadcastRunner
from service.incidents.digest import BacklogDigest
from service.incidents.digest_mail import MailDigest
from service.models import InboxDelivery
from service.outreach.runner import OutreachRunner
from service.reconcile.runner import Reconciler
from service.sources.flow import handle_delivery
from service.sources.impact import ImpactNotes
from service.sources.store import source_id_of
from service.wiring import Services

log = logging.getLogger("incidentdesk.worker")
TOP_UP_PAUSE_SECONDS = 0.25
# Retention: every ten minutes a worker deletes finished deliveries and refused requests older
# than the retention setting, in batches of 500 rows (at most 20 a table each time).
PURGE_INTERVAL_SECONDS = 600.0
PURGE_BATCH_SIZE = 500
PURGE_MAX_BATCHES = 20


class Worker:
    def __init__(self, services: Services, name: str | None = None):
        self.services = services
        self.owner = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.pipeline = Pipeline(services)
        self.outreach = OutreachRunner(services, self.owner)
        self.broadcasts = BroadcastRunner(services, self.owner)
        self.impact_notes = ImpactNotes(services.db)
        self.digest = BacklogDigest(
            services.db, services.settings.digest_url, services.settings.digest_minutes
        )
        self.mail_digest = MailDigest(
            services.db, services.helpdesk, services.settings.digest_email, services.settings.digest_minutes
        )
        self.reconciler = Reconciler(services, self.owner, inbox.store_changed_tickets)
        self.backfills = BackfillRunner(services, self.owner, inbox.store_backfill_tickets)
        self.wakeup = wakeup.for_database(services.db)
        self._next_purge = 0.0  # monotonic; the first step purges
        # Batches whose jobs are running, finished in these threads while the next one begins.
        in_flight = services.settings.worker_batches_in_flight
        self._finishers = ThreadPoolExecutor(max(1, in_flight), thread_name_prefix="incidentdesk-batch")
        self._finishing: set[Future[BatchReport]] = set()

    def run_once(self, *, wait_for_writes: bool = True) -> BatchReport | None:
        """Claim and process one batch, then a step of broadcasting, of outreach, of impact notes
        to incident tools, of management's digest, of the reconciler and of a backfill when due;
        None when nothing was due. Every PURGE_INTERVAL_SECONDS the step starts with a purge.
        Without ``wait_for_writes`` the batch is finished in the background once its writes are
        submitted (up to ``worker_batches_in_flight`` batches at once), and its report is empty."""
        self.purge_if_due()
        report = self._inbox_batch(wait_for_writes)
        sent = (
            self.broadcasts.run_once()
            + self.outreach.run_once()
            + self.impact_notes.run_once()
            + self.digest.run_once()
            + self.mail_digest.run_once()
            + self.reconciler.run_once()
            + self.backfills.run_once()
        )
        if report is None and sent:
            return BatchReport()
        return report

    def purge_if_due(self) -> inbox.Purged | None:
        """Delete what the retention setting no longer keeps; a failure is logged and retried
        at the next interval, and never stops the inbox."""
        if time.monotonic() < self._next_purge:
            return None
        self._next_purge = time.monotonic() + PURGE_INTERVAL_SECONDS
        cutoff = clock.now() - timedelta(days=self.services.settings.retention_days)
        audit_days = self.services.settings.audit_retention_days
        try:
            purged = inbox.purge(
                self.services.db,
                older_than=cutoff,
                batch_size=PURGE_BATCH_SIZE,
                max_batches=PURGE_MAX_BATCHES,
            )
            if audit_days:
                entries = audit.purge(
                    self.services.db,
                    older_than=clock.now() - timedelta(days=audit_days),
                    batch_size=PURGE_BATCH_SIZE,
                    max_batches=PURGE_MAX_BATCHES,
                )
                purged = replace(purged, audit=entries)
        except Exception:
            log.exception("purging rows older than %s failed; trying again later", cutoff.isoformat())
            return None
        if purged.deliveries or purged.rejected or purged.audit:
            log.info(
                "purged %d finished deliveries and %d refused requests older than %s, %d audit entries",
                purged.deliveries,
                purged.rejected,
                cutoff.isoformat(),
                purged.audit,
            )
        return purged

    def _inbox_batch(self, wait_for_writes: bool) -> BatchReport | None:
        settings = self.services.settings
        self._make_room(settings.worker_batches_in_flight)
        claimed = inbox.claim(
            self.services.db, self.owner, settings.worker_batch_size, settings.worker_lease_seconds
        )
        # In a surge, keep collecting while deliveries keep coming (up to the batch window), so
        # one bulk call carries many tickets; a lone delivery waits only one short pause.
        deadline = time.monotonic() + settings.worker_batch_window_seconds
        while claimed and len(claimed) < settings.worker_batch_size and time.monotonic() < deadline:
            time.sleep(min(TOP_UP_PAUSE_SECONDS, max(0.0, deadline - time.monotonic())))
            more = inbox.claim(
                self.services.db,
                self.owner,
                settings.worker_batch_size - len(claimed),
                settings.worker_lease_seconds,
            )
            if not more:
                break
            claimed += more
        if not claimed:
            return None
        # Every line about this batch names its deliveries, and the requests and Zendesk
        # invocations that stored them (null for the reconciler's), as the webhook's lines did;
        # the lists run in step.
        with logs.bind(
            delivery_ids=[d.id for d in claimed],
            delivery_keys=[d.delivery_key for d in claimed],
            request_ids=[d.request_id for d in claimed],
            invocation_ids=[d.invocation_id for d in claimed],
        ):
            return self._process(claimed, wait_for_writes)

    def _process_sourced(self, claimed: list[inbox.ClaimedDelivery]) -> None:
        """Incident sources' deliveries, one transaction each (their effects and the row's
        completion commit together); a failure puts the row back with backoff."""
        for delivery in claimed:
            # Its own lines name it alone, as the webhook line that stored it did.
            with logs.bind(
                delivery_id=delivery.id,
                delivery_key=delivery.delivery_key,
                request_id=delivery.request_id,
                invocation_id=delivery.invocation_id,
            ):
                try:
                    with self.services.db.transaction() as session:
                        row = session.get(InboxDelivery, delivery.id)
                        changed = handle_delivery(
                            session,
                            self.services.helpdesk,
                            source_id=source_id_of(delivery.source) or 0,
                            payload=row.payload if row else "",
                            delivery_id=delivery.id,
                        )
                        inbox.complete(
                            session, [delivery.id], self.owner, state="done" if changed else "ignored"
                        )
                except Exception as exc:
                    log.exception("incident source delivery %d failed; it will be retried", delivery.id)
                    self._put_back([delivery], exc)

    def _put_back(self, claimed: list[inbox.ClaimedDelivery], error: Exception) -> None:
        """Back to the inbox with backoff; parked as failed after too many attempts."""
        with self.services.db.transaction() as session:
            for delivery in claimed:
                inbox.retry_later(
                    session,
                    delivery.id,
                    self.owner,
                    f"{type(error).__name__}: {error}",
                    attempts=delivery.attempts,
                    max_attempts=self.services.settings.worker_max_attempts,
                )

    def _process(self, claimed: list[inbox.ClaimedDelivery], wait_for_writes: bool = True) -> BatchReport:
        sourced = [d for d in claimed if source_id_of(d.source) is not None]
        if sourced:
            self._process_sourced(sourced)
            claimed = [d for d in claimed if source_id_of(d.source) is None]
            if not claimed:
                return BatchReport()
        started = time.monotonic()
        metrics.BATCH_SIZE.observe(len(claimed))
        try:
            under_way = self.pipeline.begin(claimed, self.owner)
        except Exception as exc:
            self._failed(claimed, exc)
            raise
        if wait_for_writes or self.services.settings.worker_batches_in_flight <= 1:
            return self._finish(claimed, under_way, started)
        # The batch's log fields go with it to the thread that finishes it.
        finishing = contextvars.copy_context().run
        self._finishing.add(self._finishers.submit(finishing, self._finish, claimed, under_way, started))
        return BatchReport()

    def _finish(
        self, claimed: list[inbox.ClaimedDelivery], under_way: BatchUnderWay, started: float
    ) -> BatchReport:
        try:
            report = under_way.finish()
        except Exception as exc:
            self._failed(claimed, exc)
            raise
        log.info(
            "batch of %d: linked %d, recorded %d, shadow %d, left alone %d, retried %d, %d write calls",
            len(claimed),
            report.linked,
            report.recorded,
            report.shadow,
            report.left_alone,
            report.retried,
            report.write_calls,
            extra={"batch_size": len(claimed), "linked": report.linked, "write_calls": report.write_calls},
        )
        metrics.BATCH_SECONDS.observe(time.monotonic() - started)
        metrics.TICKETS_LINKED.inc(report.linked)
        metrics.HELPDESK_WRITE_CALLS.inc(report.write_calls)
        return report

    def _failed(self, claimed: list[inbox.ClaimedDelivery], error: Exception) -> None:
        """Nothing is lost: back they go, with backoff, parked after too many tries."""
        metrics.BATCHES_FAILED.inc()
        log.exception("batch of %d deliveries failed; they will be retried", len(claimed))
        self._put_back(claimed, error)

    def _make_room(self, in_flight: int) -> None:
        """Wait until fewer than ``in_flight`` batches are being finished."""
        self._finishing = {f for f in self._finishing if not f.done()}
        while len(self._finishing) >= in_flight:
            _, self._finishing = wait_for_any(self._finishing, return_when=FIRST_COMPLETED)

    def finish_writes(self) -> None:
        """Wait for every batch being finished in the background."""
        wait_for_any(self._finishing)
        self._finishing.clear()

    def run_forever(self, stop: threading.Event | None = None) -> None:
        """Run steps until ``stop`` is set; when nothing was due, wait for the poll interval, or
        less when a delivery is stored (LISTEN/NOTIFY on PostgreSQL, ``inbox/wakeup``)."""
        stop = stop or threading.Event()
        log.info("worker %s started", self.owner)
        try:
            while not stop.is_set():
                try:
                    report = self.run_once(wait_for_writes=False)
                except Exception:
                    log.exception("worker step failed; carrying on")
                    stop.wait(self.services.settings.worker_poll_seconds * 4)
                    continue
                if report is None:
                    self.wakeup.wait(self.services.settings.worker_poll_seconds, stop)
        finally:
            self.finish_writes()
            self._finishers.shutdown()
            self.wakeup.close()
        log.info("worker %s stopped", self.owner)


def start_in_thread(services: Services) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(
        target=Worker(services).run_forever, args=(stop,), name="incidentdesk-worker", daemon=True
    )
    thread.start()
    return thread, stop
