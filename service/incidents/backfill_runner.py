"""Backfill, the worker's side: one step at a time, resumable after any crash.

Counting reads the helpdesk's change feed (Zendesk's incremental ticket export) from the
window's start, one page a step, paced by the reconciler's share of the request budget (the
export's own 10 a minute, which both of them spend), and judges each ticket created inside the
window by the incident's rules; the page's figures and the cursor are saved in one transaction.
Applying stores the tickets to answer in the inbox under ``domain.backfill.delivery_key``, and
the pipeline links and answers them in its batches; the backfill is done when every one of
those deliveries is finished."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from integrations.base import HelpdeskError, HelpdeskTicket
from service import clock
from service.audit import record
from service.domain.backfill import (
    MAX_CANDIDATES,
    SAMPLE_SIZE,
    WORKER_STATES,
    BackfillState,
    Candidate,
    covers,
    in_window,
    tally,
)
from service.domain.linking.evaluation import judge
from service.domain.linking.rules import RuleSpec, validate_rule
from service.domain.moments import utc_or_none
from service.helpdesk.batch import ticket_facts
from service.helpdesk.budget import RECONCILER_REQUESTS_PER_MINUTE, RECONCILER_SHARE, SharedRateBudget
from service.incidents.backfill import TOO_MANY, answered_count, processed_count
from service.incidents.backfill_models import Backfill
from service.incidents.rules import PHRASE_KINDS, stored_rule_specs
from service.models import Incident, TicketLink
from service.wiring import Services

log = logging.getLogger("incidentdesk.backfill")
CHECK_EVERY_SECONDS = 1.0  # how often a worker looks for a backfill to carry on
STORE_CHUNK = 500  # inbox rows stored per transaction when applying

# Stores (incident id, ticket ids) in the inbox in the given transaction; returns how many were
# new. The inbox room passes its own, so this room does not import it.
Deliver = Callable[[Session, int, Sequence[int]], int]


def rule_specs(incident: Incident) -> list[RuleSpec]:
    """Every rule of the incident, phrases included, as ``judge`` takes them."""
    phrases: dict[str, list[str]] = {}
    for rule in incident.rules:
        if rule.kind in PHRASE_KINDS:
            phrases.setdefault(rule.kind, []).append(rule.value)
    return [*(validate_rule(kind, values) for kind, values in phrases.items()), *stored_rule_specs(incident)]


class BackfillRunner:
    def __init__(self, services: Services, owner: str, deliver: Deliver):
        self.services = services
        self.owner = owner
        self.deliver = deliver
        self.share = SharedRateBudget(
            services.db, per_minute=RECONCILER_REQUESTS_PER_MINUTE, name=RECONCILER_SHARE
        )
        self._next_check = 0.0  # monotonic

    def run_once(self) -> int:
        """Carry one backfill one step on; returns how many tickets that step judged or stored."""
        if time.monotonic() < self._next_check:
            return 0
        self._next_check = time.monotonic() + CHECK_EVERY_SECONDS
        backfill_id = self._lease()
        if backfill_id is None:
            return 0
        try:
            with self.services.db.transaction() as session:
                state = session.get_one(Backfill, backfill_id).state
            if state == BackfillState.COUNTING:
                return self._count_page(backfill_id)
            if state == BackfillState.QUEUED:
                return self._store(backfill_id)
            self._check_progress(backfill_id)
            return 0
        except HelpdeskError as exc:
            log.warning("backfill %d: the helpdesk refused a read: %s", backfill_id, exc)
            if not exc.retryable:
                self._fail(backfill_id, f"The helpdesk refused to list tickets: {exc}")
            else:
                self._next_check = time.monotonic() + (exc.retry_after or CHECK_EVERY_SECONDS)
            return 0
        finally:
            self._release(backfill_id)

    def _lease(self) -> int | None:
        now = clock.now()
        free = and_(
            Backfill.state.in_(WORKER_STATES),
            or_(
                Backfill.lease_owner.is_(None),
                Backfill.lease_owner == self.owner,
                Backfill.lease_expires_at < now,
            ),
            or_(Backfill.next_read_at.is_(None), Backfill.next_read_at <= now),
        )
        expires = now + timedelta(seconds=self.services.settings.worker_lease_seconds)
        with self.services.db.transaction() as session:
            for backfill_id in session.scalars(
                select(Backfill.id).where(free).order_by(Backfill.id).limit(5)
            ):
                taken = session.execute(
                    update(Backfill)
                    .where(Backfill.id == backfill_id, free)
                    .values(lease_owner=self.owner, lease_expires_at=expires)
                )
                if taken.rowcount == 1:  # type: ignore[attr-defined]
                    return int(backfill_id)
        return None

    def _release(self, backfill_id: int) -> None:
        with self.services.db.transaction() as session:
            session.execute(
                update(Backfill)
                .where(Backfill.id == backfill_id, Backfill.lease_owner == self.owner)
                .values(lease_owner=None, lease_expires_at=None)
            )

    def _fail(self, backfill_id: int, error: str) -> None:
        with self.services.db.transaction() as session:
            backfill = session.get_one(Backfill, backfill_id)
            backfill.state, backfill.error, backfill.finished_at = BackfillState.FAILED, error, clock.now()
            record(
                session,
                "backfill.failed",
                incident_id=backfill.incident_id,
                detail={"backfill_id": backfill_id, "error": error},
            )

    def _count_page(self, backfill_id: int) -> int:
        """Read and judge one page of the change feed, if the share allows a request now."""
        if self.share.take() > 0:
            return 0
        with self.services.db.transaction() as session:
            backfill = session.get_one(Backfill, backfill_id)
            cursor, start = backfill.cursor, utc_or_none(backfill.window_start)
            end = utc_or_none(backfill.window_end)
            seen = set(backfill.seen_ids)
            incident = session.get_one(Incident, backfill.incident_id)
            specs = rule_specs(incident)
            tags = set(session.scalars(select(Incident.tag).where(Incident.state == "active")))
        assert start is not None and end is not None
        helpdesk = self.services.helpdesk
        page = helpdesk.changed_tickets(cursor=cursor or None, since=start)
        new_ids = list(dict.fromkeys(t.id for t in page.tickets if t.id not in seen))
        found = helpdesk.get_tickets(new_ids) if new_ids else []
        # Problem tickets are the incidents' own, never a customer's.
        tickets = [t for t in found if t.type != "problem" and in_window(t.created_at, start, end)]
        judged = self._judge(tickets, specs)
        with self.services.db.transaction() as session:
            linked = self._ever_linked(session, [t.id for t, _ in judged])
            candidates = [
                Candidate(t.id, t.status, handled=t.id in linked or bool(tags & set(t.tags)))
                for t, _ in judged
            ]
            counts = tally(candidates)
            backfill = session.get_one(Backfill, backfill_id)
            backfill.cursor = page.cursor
            backfill.feed_calls += 1
            backfill.seen_ids = [*backfill.seen_ids, *new_ids]
            backfill.candidates += len(tickets)
            backfill.matched += len(judged)
            backfill.skipped = {k: backfill.skipped.get(k, 0) + v for k, v in counts.skipped.items()}
            backfill.to_answer = [*backfill.to_answer, *counts.to_answer]
            room = SAMPLE_SIZE - len(backfill.sample)
            backfill.sample = [
                *backfill.sample,
                *(
                    {"ticket_id": t.id, "subject": t.subject[:200], "why": why}
                    for t, why in judged[: max(0, room)]
                ),
            ]
            if backfill.candidates > MAX_CANDIDATES:
                backfill.state, backfill.finished_at = BackfillState.FAILED, clock.now()
                backfill.error = TOO_MANY(limit=MAX_CANDIDATES)
            elif page.end_of_stream and not covers(page.complete_until, end):
                # Tickets of the window's last minute are not in the feed yet: read on later.
                backfill.next_read_at = clock.now() + (end - (page.complete_until or end))
            elif page.end_of_stream:
                backfill.state = BackfillState.COUNTED
                record(
                    session,
                    "backfill.counted",
                    incident_id=backfill.incident_id,
                    detail={
                        "backfill_id": backfill_id,
                        "candidates": backfill.candidates,
                        "matched": backfill.matched,
                        "to_answer": len(backfill.to_answer),
                        "skipped": backfill.skipped,
                    },
                )
        return len(tickets)

    def _judge(
        self, tickets: list[HelpdeskTicket], specs: list[RuleSpec]
    ) -> list[tuple[HelpdeskTicket, str]]:
        """The tickets the rules match, each with why (the rules' own explanations)."""
        helpdesk = self.services.helpdesk
        requester_ids = sorted({t.requester_id for t in tickets if t.requester_id})
        users = {u.id: u for u in helpdesk.get_users(requester_ids)} if requester_ids else {}
        org_ids = sorted({t.organization_id for t in tickets if t.organization_id})
        orgs = {o.id: o for o in helpdesk.get_organizations(org_ids)} if org_ids else {}
        matched = []
        for ticket in tickets:
            user = users.get(ticket.requester_id) if ticket.requester_id else None
            facts = ticket_facts(
                ticket, user, orgs.get(ticket.organization_id) if ticket.organization_id else None
            )
            verdict = judge(specs, facts, requester_email=user.email if user else None)
            if verdict.matched:
                matched.append((ticket, verdict.why))
        return matched

    @staticmethod
    def _ever_linked(session: Session, ticket_ids: list[int]) -> set[int]:
        if not ticket_ids:
            return set()
        return set(session.scalars(select(TicketLink.ticket_id).where(TicketLink.ticket_id.in_(ticket_ids))))

    def _store(self, backfill_id: int) -> int:
        """Hand the tickets to answer to the inbox; a crash halfway stores the rest next time
        (the keys make the first part a no-op)."""
        with self.services.db.transaction() as session:
            backfill = session.get_one(Backfill, backfill_id)
            incident_id, ids = backfill.incident_id, list(backfill.to_answer)
        stored = 0
        for start in range(0, len(ids), STORE_CHUNK):
            with self.services.db.transaction() as session:
                stored += self.deliver(session, incident_id, ids[start : start + STORE_CHUNK])
        with self.services.db.transaction() as session:
            backfill = session.get_one(Backfill, backfill_id)
            backfill.stored += stored
            backfill.state = BackfillState.RUNNING
            record(
                session,
                "backfill.enqueued",
                incident_id=incident_id,
                detail={"backfill_id": backfill_id, "tickets": len(ids), "newly_stored": stored},
            )
        return len(ids)

    def _check_progress(self, backfill_id: int) -> None:
        with self.services.db.transaction() as session:
            backfill = session.get_one(Backfill, backfill_id)
            backfill.processed = processed_count(session, backfill)
            if backfill.processed < len(backfill.to_answer):
                return
            backfill.answered = answered_count(session, backfill)
            backfill.state, backfill.finished_at = BackfillState.DONE, clock.now()
            record(
                session,
                "backfill.finished",
                incident_id=backfill.incident_id,
                detail={
                    "backfill_id": backfill_id,
                    "processed": backfill.processed,
                    "linked": backfill.answered,
                },
            )
