"""One batch of deliveries -> context (tickets, requesters, incidents) -> decisions -> actions.

Loading and recording happen here; deciding is ``service.domain.linking.decisions``; writing to the
helpdesk is the ``Executor``. Every ticket's outcome is recorded in the same transaction that
completes its delivery, so a crash anywhere leaves the delivery leased and it is done again;
the decision then sees the helpdesk's state and does not answer twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from integrations.base import (
    Comment,
    HelpdeskError,
    HelpdeskTicket,
    TicketChange,
)
from service import clock
from service.domain.linking.decisions import Decision, LeaveAlone, LinkTicket, decide
from service.domain.tickets import version_tag
from service.helpdesk.batch import BatchContext, requester_locale, ticket_facts
from service.helpdesk.executor import Executor
from service.inbox import store as inbox
from service.inbox.batch_facts import MatcherCache, incident_facts, known_links, with_earlier_tickets
from service.inbox.outcomes import BatchReport, WrittenBatch, record_batch
from service.language_detection import written_language
from service.linking.mirror import mirror_linked_tickets
from service.linking.reservations import Reservation
from service.linking.writer import LinkWriter, take_over_stale
from service.merging.stage import MergeStage
from service.models import InboxDelivery
from service.outreach.reached import reached_requesters
from service.triage.store import earlier_contacts
from service.wiring import Services

log = logging.getLogger("incidentdesk.pipeline")


@dataclass(frozen=True)
class BatchUnderWay:
    """A batch whose helpdesk writes are submitted: ``finish()`` waits for their jobs and records
    every ticket's outcome (a batch with nothing to write is finished already). The worker may
    begin the next batch meanwhile."""

    finish: Callable[[], BatchReport]

    @classmethod
    def done(cls, report: BatchReport) -> BatchUnderWay:
        return cls(lambda: report)


def _reservation(decision: LinkTicket, ticket: HelpdeskTicket, requester_name: str) -> Reservation:
    return Reservation(
        incident_id=decision.incident_id,
        ticket_id=decision.ticket_id,
        requester_id=ticket.requester_id,
        requester_name=requester_name,
        subject=ticket.subject,
        ticket_status=ticket.status,
        ticket_created_at=ticket.created_at,
        locale=decision.customer_locale or decision.locale,
        status_version=decision.status_version,
        evidence=decision.evidence,
    )


class Pipeline:
    def __init__(self, services: Services):
        self.services = services
        self.executor = Executor(
            services.helpdesk,
            job_poll_seconds=services.settings.job_poll_seconds,
            job_timeout_seconds=services.settings.job_timeout_seconds,
            watch=services.job_watch,
        )
        self.matchers = MatcherCache()
        self.merges = MergeStage(services, self._retry_deliveries)

    def begin(self, claimed: list[inbox.ClaimedDelivery], owner: str) -> BatchUnderWay:
        """Load the batch, decide, merge, reserve and submit its writes; the rest is ``finish``'s."""
        settings = self.services.settings
        db = self.services.db
        report = BatchReport()
        by_ticket: dict[int, list[inbox.ClaimedDelivery]] = {}
        for delivery in claimed:
            by_ticket.setdefault(delivery.ticket_id, []).append(delivery)
        ticket_ids = list(by_ticket)

        # A reservation older than a lease plus the longest job wait has lost its writer.
        stale_after = settings.worker_lease_seconds + int(settings.job_timeout_seconds)
        interrupted = take_over_stale(db, self.services.helpdesk, ticket_ids, stale_after)
        with db.transaction() as session:
            incidents, rules = incident_facts(session, settings.vip_tags)
            known, busy = known_links(session, ticket_ids)
            for ticket_id in busy:  # come back when that write has finished or gone stale
                for d in by_ticket.pop(ticket_id):
                    inbox.retry_later(
                        session,
                        d.id,
                        owner,
                        "another worker is writing this ticket",
                        attempts=d.attempts,
                        max_attempts=settings.worker_max_attempts + d.attempts,
                        retry_after=stale_after,
                    )
        ticket_ids = list(by_ticket)
        if not ticket_ids:
            return BatchUnderWay.done(report)
        try:
            tickets = self.services.helpdesk.get_tickets(ticket_ids)
            requester_ids = [t.requester_id for t in tickets if t.requester_id]
            users = {u.id: u for u in self.services.helpdesk.get_users(requester_ids)}
            org_ids = {t.organization_id for t in tickets if t.organization_id}
            orgs = (
                {o.id: o for o in self.services.helpdesk.get_organizations(sorted(org_ids))}
                if org_ids
                else {}
            )
            account_locale = self.services.helpdesk.account_default_locale()
        except HelpdeskError as exc:
            remaining = [d for deliveries in by_ticket.values() for d in deliveries]
            self._retry_all(remaining, owner, f"loading tickets: {exc}", exc.retry_after)
            report.retried = len(remaining)
            return BatchUnderWay.done(report)

        matcher = self.matchers.get(rules)
        tickets_by_id = {t.id: t for t in tickets}
        with db.transaction() as session:
            mirror_linked_tickets(session, tickets_by_id, incidents)
        facts = {
            t.id: ticket_facts(
                t,
                users.get(t.requester_id),
                orgs.get(t.organization_id),
                account_locale=account_locale,
                detected_language=written_language(
                    self.services.language_detector,
                    profile_locale=requester_locale(users.get(t.requester_id)),
                    account_locale=account_locale,
                    text=f"{t.subject}\n{t.description}",
                ),
            )
            for t in tickets
        }
        if incidents:  # only a linked ticket's note shows them
            facts = with_earlier_tickets(self.services.helpdesk, facts, clock.now())
        requesters = {f.requester_id: f.requester_email for f in facts.values() if f.requester_id}
        with db.transaction() as session:
            contacts = earlier_contacts(session, requesters)
            reached = reached_requesters(session, incidents, requesters)
        decisions: dict[int, Decision] = {}
        now = clock.now()
        for ticket_id, facts_of_ticket in facts.items():
            hits = matcher.match(facts_of_ticket.text) if incidents else {}
            decisions[ticket_id] = decide(
                facts_of_ticket,
                incidents,
                hits,
                known.get(ticket_id, frozenset()),
                contacts.get(facts_of_ticket.requester_id or 0, 0),
                reached.get(facts_of_ticket.requester_id or 0),
                now,
            )
        missing = [t for t in ticket_ids if t not in decisions]
        batch = BatchContext(
            tickets=tickets_by_id,
            facts=facts,
            users=users,
            organizations=orgs,
            incidents=incidents,
            known_links=known,
            delivery_ids={t: [d.id for d in ds] for t, ds in by_ticket.items()},
        )
        decisions = self.merges.review(batch, decisions, owner)

        wanted = [d for d in decisions.values() if isinstance(d, LinkTicket) and not d.shadow]
        writer = LinkWriter(db, renew_every_seconds=settings.worker_lease_seconds / 3)
        ours = writer.reserve(
            [_reservation(d, tickets_by_id[d.ticket_id], facts[d.ticket_id].requester_name) for d in wanted]
        )
        to_write = [d for d in wanted if d.ticket_id in ours]
        for d in wanted:
            if d.ticket_id not in ours:
                decisions[d.ticket_id] = LeaveAlone(d.ticket_id, "another worker is linking this ticket")
        # The explanation is written first: if the worker dies between the two writes, the retry
        # finds no tag and writes both again (a repeated internal note, never a repeated answer).
        # (Submitting both at once halves a batch's wait for slow jobs; it is not done: with it,
        # tests/flows/test_scale_out.py answered some customers twice with a worker killed.)
        writing_notes = self.executor.start(
            [TicketChange(ticket_id=d.ticket_id, comment=Comment(d.internal_note, False)) for d in to_write]
        )
        writing_notes.wait(writer.heartbeat)
        # Only the reservations still ours are answered: a batch that waited too long was taken over.
        still_ours = writer.still_ours(d.ticket_id for d in to_write)
        for d in to_write:
            if d.ticket_id not in still_ours:
                decisions[d.ticket_id] = LeaveAlone(d.ticket_id, "another worker took this ticket over")
        to_write = [d for d in to_write if d.ticket_id in still_ours]
        writing_answers = self.executor.start(
            [
                TicketChange(
                    ticket_id=d.ticket_id,
                    add_tags=(d.tag, version_tag(d.tag, d.status_version), *d.signal_tags),
                    type="incident" if d.problem_id else None,
                    problem_id=d.problem_id,
                    priority=d.priority,
                    group_id=d.group_id,
                    comment=Comment(d.public_comment, public=True),
                    macro_ids=(d.macro_id,) if d.macro_id else (),
                )
                for d in to_write
            ],
            on_submitted=writer.answers_submitted,
        )
        written = WrittenBatch(
            owner,
            by_ticket,
            decisions,
            missing,
            tickets_by_id,
            interrupted,
            writer,
            writing_notes,
            writing_answers,
        )
        return BatchUnderWay(lambda: self._finish(written, report))

    def _finish(self, written: WrittenBatch, report: BatchReport) -> BatchReport:
        """Wait for the batch's jobs, then record every ticket's outcome and complete its
        deliveries in one transaction."""
        notes = written.notes.wait(written.writer.heartbeat)
        answers = written.answers.wait(written.writer.heartbeat)
        report.write_calls = notes.writes + answers.writes
        with self.services.db.transaction() as session:
            record_batch(session, self.services.settings, written, notes, answers, report)
        return report

    def _retry_deliveries(
        self, delivery_ids: list[int], owner: str, error: str, retry_after: float | None
    ) -> None:
        with self.services.db.transaction() as session:
            for delivery_id in delivery_ids:
                delivery = session.get(InboxDelivery, delivery_id)
                inbox.retry_later(
                    session,
                    delivery_id,
                    owner,
                    error,
                    attempts=delivery.attempts,
                    max_attempts=self.services.settings.worker_max_attempts,
                    retry_after=retry_after,
                )

    def _retry_all(
        self, claimed: list[inbox.ClaimedDelivery], owner: str, error: str, retry_after: float | None
    ) -> None:
        log.warning("batch of %d deliveries will be retried: %s", len(claimed), error)
        with self.services.db.transaction() as session:
            for d in claimed:
                inbox.retry_later(
                    session,
                    d.id,
                    owner,
                    error,
                    attempts=d.attempts,
                    max_attempts=self.services.settings.worker_max_attempts,
                    retry_after=retry_after,
                )
