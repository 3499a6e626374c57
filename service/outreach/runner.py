"""Advance due outreach campaigns; called by every worker between inbox batches.

One step: poll the campaign jobs in flight (one ``job_statuses`` call for up to 100 jobs),
look up recipients whose fate is uncertain (by external id), then lease a chunk of up to 100
due recipients and send it in one bulk call. Every call is taken from the budget shared by all
workers, leaving the rest of the plan's rate to agents and the inbox. Each recipient's
(incident, customer) key and external id are in the database before any call, so a worker
killed at any point is followed by a lookup, never by a second ticket.
"""

from __future__ import annotations

import logging

from sqlalchemy import select, update

from integrations.base import HelpdeskError
from service import clock
from service.audit import record
from service.helpdesk.budget import MAX_JOBS_IN_FLIGHT, OUTREACH_SHARE, SharedRateBudget
from service.models import Incident
from service.outreach import leases, settle
from service.outreach.messages import CampaignContext, comment_on_own_ticket, marker_tag, new_ticket
from service.outreach.models import Campaign, Recipient, SendJob
from service.outreach.store import IN_PROGRESS
from service.wiring import Services

log = logging.getLogger("incidentdesk.outreach")

POLL_INTERVAL_SECONDS = 3.0  # while sending; once all is sent, every second
RECONCILE_CHUNK = 20
GONE = -1  # a looked-up ticket that no longer exists


class OutreachRunner:
    def __init__(
        self,
        services: Services,
        owner: str,
        *,
        max_jobs: int = MAX_JOBS_IN_FLIGHT,
        poll_interval: float = POLL_INTERVAL_SECONDS,
    ):
        self.services = services
        self.owner = owner
        self.db = services.db
        self.helpdesk = services.helpdesk
        # Outreach's share of the account's budget, in the database on every engine: runners in
        # several processes share it. The size comes from the running campaigns, call by call.
        self.budget = SharedRateBudget(services.db, per_minute=1, name=OUTREACH_SHARE)
        self.max_jobs = max_jobs
        self.poll_interval = poll_interval
        self.lease_seconds = services.settings.worker_lease_seconds
        self.grace_seconds = services.settings.job_timeout_seconds

    def run_once(self) -> int:
        """Do one bounded step of work on due campaigns; returns how many recipients it handled."""
        limits = leases.active_limits(self.db)
        if not limits:
            return 0
        per_minute = min(limit for _, limit in limits)
        handled = self._poll(per_minute) + self._reconcile(per_minute) + self._send(per_minute)
        self._finish_done_campaigns()
        return handled

    def _call_allowed(self, per_minute: int) -> bool:
        return self.budget.take(limit=per_minute) == 0.0

    def _rate_limited(self, exc: HelpdeskError) -> None:
        if exc.status == 429 or exc.retry_after:
            self.budget.block_for(exc.retry_after or 5.0)

    # -- polling -------------------------------------------------------------------------
    def _poll(self, per_minute: int) -> int:
        in_flight = leases.jobs_in_flight(self.db)
        sending = self._has_due_chunk()
        if not in_flight or (in_flight < self.max_jobs and sending and not self._oldest_job_waiting()):
            return 0  # polling can wait: sending comes first, and one poll later settles many jobs
        interval = self.poll_interval if sending else min(1.0, self.poll_interval)
        jobs = leases.claim_jobs_to_poll(self.db, interval)
        if not jobs or not self._call_allowed(per_minute):
            return 0
        try:
            results = {r.id: r for r in self.helpdesk.job_statuses([j.job_id for j in jobs])}
        except HelpdeskError as exc:
            self._rate_limited(exc)
            log.warning("polling %d outreach jobs failed: %s", len(jobs), exc)
            return 0
        handled = 0
        with self.db.transaction() as session:
            for job in jobs:
                job = session.get(SendJob, job.job_id)
                result = results.get(job.job_id)
                if job.state != "in_flight" or (result is not None and not result.finished):
                    continue
                if result is None:
                    handled += settle.lose_job(session, job, self.grace_seconds)
                else:
                    handled += sum(settle.record_job(session, job, result, self.grace_seconds))
        return handled

    def _has_due_chunk(self) -> bool:
        with self.db.transaction() as session:
            return (
                session.scalar(
                    select(Recipient.id)
                    .join(Campaign, Campaign.id == Recipient.campaign_id)
                    .where(
                        Campaign.state == "running",
                        Recipient.state == "pending",
                        Recipient.available_at <= clock.now(),
                    )
                    .limit(1)
                )
                is not None
            )

    def _oldest_job_waiting(self) -> bool:
        """A job older than ten poll intervals is polled even while sending, so progress moves."""
        with self.db.transaction() as session:
            oldest = session.scalar(
                select(SendJob.submitted_at)
                .where(SendJob.state == "in_flight")
                .order_by(SendJob.submitted_at)
                .limit(1)
            )
        if oldest is None:
            return False
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=clock.now().tzinfo)
        return (clock.now() - oldest).total_seconds() > 10 * self.poll_interval

    # -- reconciling ---------------------------------------------------------------------
    def _reconcile(self, per_minute: int) -> int:
        leases.expire_sending(self.db, self.grace_seconds)
        chunk = leases.claim_chunk(
            self.db, self.owner, self.lease_seconds, state="uncertain", limit=RECONCILE_CHUNK
        )
        if not chunk:
            return 0
        found: dict[int, int | None] = {}
        try:
            if chunk[0].route == "existing_ticket":
                if self._call_allowed(per_minute):
                    tickets = {t.id: t for t in self.helpdesk.get_tickets([r.ticket_id for r in chunk])}
                    tag = marker_tag(chunk[0].campaign_id)
                    found = {
                        r.id: (r.ticket_id if tag in tickets[r.ticket_id].tags else None)
                        if r.ticket_id in tickets
                        else GONE
                        for r in chunk
                    }
            else:
                for recipient in chunk:
                    if not self._call_allowed(per_minute):
                        break
                    same = [
                        t.id
                        for t in self.helpdesk.tickets_by_external_id(recipient.external_id)
                        if t.external_id == recipient.external_id
                    ]
                    found[recipient.id] = min(same) if same else None
        except HelpdeskError as exc:
            self._rate_limited(exc)
            log.warning("looking up uncertain outreach recipients failed: %s", exc)
        with self.db.transaction() as session:
            for recipient in session.scalars(select(Recipient).where(Recipient.id.in_(list(found)))):
                ticket_id = found[recipient.id]
                if ticket_id == GONE:
                    recipient.state, recipient.last_error = (
                        "failed",
                        "the customer's own ticket no longer exists",
                    )
                elif ticket_id is not None:
                    settle.mark_sent(session, recipient, ticket_id)
                else:  # certainly not there: send it again, unless it has failed too often already
                    settle.retry_or_fail(recipient, recipient.last_error or "not found in the helpdesk")
                    recipient.available_at = clock.now()
        return len(found)

    # -- sending -------------------------------------------------------------------------
    def _send(self, per_minute: int) -> int:
        if leases.jobs_in_flight(self.db) >= self.max_jobs or not self._has_due_chunk():
            return 0
        if not self._call_allowed(per_minute):
            return 0
        chunk = leases.claim_chunk(
            self.db, self.owner, self.lease_seconds, limit=self.helpdesk.bulk_update_limit
        )
        if not chunk:
            return 0
        with self.db.transaction() as session:
            campaign = session.get(Campaign, chunk[0].campaign_id)
            context = CampaignContext.load(campaign, session.get(Incident, campaign.incident_id))
        kind = "update" if chunk[0].route == "existing_ticket" else "create"
        try:
            if kind == "create":
                job = self.helpdesk.create_many([new_ticket(context, r) for r in chunk])
            else:
                job = self.helpdesk.update_many([comment_on_own_ticket(context, r) for r in chunk])
        except HelpdeskError as exc:
            self._send_failed(chunk, exc)
            return 0
        with self.db.transaction() as session:
            session.add(
                SendJob(
                    job_id=job.id,
                    campaign_id=context.campaign_id,
                    kind=kind,
                    recipient_ids=[r.id for r in chunk],
                    next_poll_at=clock.now(),
                )
            )
            session.execute(
                update(Recipient)
                .where(Recipient.id.in_([r.id for r in chunk]), Recipient.lease_owner == chunk[0].lease_owner)
                .values(state="queued", job_id=job.id, lease_owner=None, lease_expires_at=None)
            )
            record(
                session,
                "outreach.chunk_sent",
                incident_id=campaign.incident_id,
                detail={
                    "campaign_id": context.campaign_id,
                    "job_id": job.id,
                    "kind": kind,
                    "recipients": len(chunk),
                },
            )
        return len(chunk)

    def _send_failed(self, chunk: list[Recipient], exc: HelpdeskError) -> None:
        """429/503 and 4xx: nothing was created. Other failures (500, timeouts): maybe it was."""
        self._rate_limited(exc)
        certain = exc.status is not None and (exc.status in (429, 503) or 400 <= exc.status < 500)
        log.warning(
            "sending %d outreach recipients failed (%s): %s",
            len(chunk),
            "will retry" if certain else "will look them up",
            exc,
        )
        with self.db.transaction() as session:
            for recipient in session.scalars(
                select(Recipient).where(
                    Recipient.id.in_([r.id for r in chunk]), Recipient.lease_owner == chunk[0].lease_owner
                )
            ):
                if certain:
                    settle.retry_or_fail(recipient, str(exc), at_least=exc.retry_after or 0.0)
                else:
                    settle.mark_uncertain(recipient, str(exc), self.grace_seconds)

    def _finish_done_campaigns(self) -> None:
        with self.db.transaction() as session:
            for campaign in session.scalars(select(Campaign).where(Campaign.state == "running")):
                busy = session.scalar(
                    select(Recipient.id)
                    .where(Recipient.campaign_id == campaign.id, Recipient.state.in_(IN_PROGRESS))
                    .limit(1)
                )
                if busy is None:
                    campaign.state, campaign.finished_at = "done", clock.now()
                    record(
                        session,
                        "outreach.campaign_done",
                        incident_id=campaign.incident_id,
                        detail={"campaign_id": campaign.id},
                    )
                    log.info("outreach campaign %d done", campaign.id)
