"""The pipeline's duplicate stage: merge duplicates before anything is answered.

For each ticket of the batch that is about to be linked to an incident (or matched no incident
and is open), under its requester's review lock: index it (requester, incident, its text's LSH
band keys) and read its candidate duplicates from the index and the link table. The lock makes
reviews of one requester's tickets take turns on every database, so of two duplicates arriving
together on two workers the second always sees the first. Then the candidates' live state is
read through the helpdesk port, the policy (``service.domain.merging.policy``) decides, and each
merge is reserved in ``merges`` (unique per source ticket) before Zendesk is asked, so a replay
or a concurrent worker cannot merge a ticket twice. Targets are the oldest mergeable ticket of a
group, so everyone picks the same one. A batch's merges are submitted, then their jobs waited
for together (one job's time, polled by the process's job watch); a job that fails is
reported (refusal 'failed' + audit), one still running or a retryable error sends the delivery
back to the inbox, and the reservation tells the next attempt which job to look at.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from integrations.base import HelpdeskError, JobResult
from service import clock
from service.audit import record
from service.domain.digest import DIGEST_TAG
from service.domain.linking.decisions import Decision, LeaveAlone, LinkTicket, RecordExistingLink
from service.domain.merging.duplicates import Fingerprint, similarity
from service.domain.merging.policy import Grouping, MergeInto, Refusal, review
from service.domain.merging.suggestions import Suggestion, suggest
from service.domain.states import MergeState
from service.domain.tickets import OPEN_STATUSES
from service.helpdesk.batch import BatchContext
from service.helpdesk.job_watch import wait_until_finished
from service.merging import store
from service.merging.candidates import as_candidate, load_live, ticket_text
from service.merging.jobs import job_failure, mark_merged
from service.merging.models import Merge
from service.merging.settings_input import MAX_WINDOW_MINUTES
from service.merging.suggestions import offer
from service.wiring import Services

log = logging.getLogger("incidentdesk.merging")


RetryDeliveries = Callable[[list[int], str, str, float | None], None]


class MergeStage:
    def __init__(self, services: Services, retry_deliveries: RetryDeliveries):
        """``retry_deliveries(delivery_ids, owner, error, retry_after)`` is the inbox's, handed in by
        the pipeline: merging never reaches into the inbox itself."""
        self.services = services
        self.retry_deliveries = retry_deliveries

    def review(self, batch: BatchContext, decisions: dict[int, Decision], owner: str) -> dict[int, Decision]:
        """Merge what should be merged; return the decisions for every ticket of the batch, with
        merged tickets' decisions replaced by ``LeaveAlone`` saying where they went."""
        decisions = dict(decisions)
        settings = self.services.settings
        with self.services.db.transaction() as session:
            store.drop_stale_reservations(
                session,
                list(batch.tickets),
                timedelta(seconds=settings.worker_lease_seconds + settings.job_timeout_seconds),
            )
            known = store.merged_into(session, list(batch.tickets))
            store.prune_index(session, clock.now() - timedelta(minutes=MAX_WINDOW_MINUTES + 24 * 60))
        for merge in known.values():  # sources already: finish or report what is pending, merge nothing
            self._settle_known(merge, decisions, batch, owner)
        scope = {t: i for t, i in self._considered(batch, decisions).items() if t not in known}
        if not scope:
            return decisions
        fingerprints = {t: Fingerprint.of(ticket_text(batch.tickets[t])) for t in scope}
        with self.services.db.transaction() as session:
            store.lock_requesters(session, [batch.tickets[t].requester_id for t in scope])
            rules_of = {i: store.rules_for(session, i) for i in set(scope.values())}
            rules = {t: rules_of[i] for t, i in scope.items()}
            now = clock.now()
            entries = [
                store.Indexed(
                    ticket_id=ticket_id,
                    requester_id=batch.tickets[ticket_id].requester_id,
                    organization_id=batch.tickets[ticket_id].organization_id,
                    incident_id=incident_id,
                    created_at=batch.tickets[ticket_id].created_at or now,
                    fingerprint=fingerprints[ticket_id],
                    since=now - rules[ticket_id].window,
                )
                for ticket_id, incident_id in scope.items()
            ]
            new = store.index_tickets(session, entries)
            candidates = store.candidates_for(session, entries)
            incidents_of = store.incidents_of(session, {c for ids in candidates.values() for c in ids})
        # As if the batch arrived one ticket at a time: a ticket is compared with those before it,
        # and a later arrival of the batch finds it (the policy always sees the newer ticket).
        position = {ticket_id: n for n, ticket_id in enumerate(scope)}
        for ticket_id in scope:
            candidates[ticket_id] = [
                c
                for c in candidates[ticket_id]
                if not (c in new and position.get(c, -1) > position[ticket_id])
            ]
        wanted = {c for t in scope for c in candidates[t]}
        if not wanted:
            return decisions
        users = dict(batch.users)
        orgs = dict(batch.organizations)
        try:
            live = load_live(self.services.helpdesk, wanted, users, orgs)
        except HelpdeskError as exc:
            self._retry(
                batch, list(scope), owner, f"loading merge candidates: {exc}", decisions, exc.retry_after
            )
            return decisions
        others_of = {t: [live[c] for c in candidates[t] if c in live] for t in scope}
        scores_of = {
            t: {o.id: similarity(fingerprints[t], Fingerprint.of(ticket_text(o))) for o in others}
            for t, others in others_of.items()
        }

        def judged(ticket_id: int, answered: set[int]):
            """The ticket's and its candidates' views, the merges the policy wants and the pairs
            to suggest, with ``answered`` the tickets an agent replied to publicly."""
            me = as_candidate(batch.tickets[ticket_id], scope[ticket_id], users, orgs, answered)
            views = [
                as_candidate(o, incidents_of.get(o.id), users, orgs, answered) for o in others_of[ticket_id]
            ]
            now = clock.now()
            outcomes = review(me, views, scores_of[ticket_id], rules[ticket_id], now)
            merging = frozenset(
                i for o in outcomes if isinstance(o, MergeInto) for i in (o.source_id, o.target_id)
            )
            return outcomes, suggest(me, views, scores_of[ticket_id], rules[ticket_id], now, merging)

        # An agent's public reply matters only on a source (of a merge or a suggestion), and a
        # ticket is a source with it no more often than without: judged first as if nobody had
        # replied, only those sources are asked about (one comments read each), not their
        # targets. (A ticket whose updated_at is its created_at may still have a reply written
        # within the same second: Zendesk's times are whole seconds, so every source is read.)
        sources: set[int] = set()
        for ticket_id, others in others_of.items():
            if others:
                outcomes, suggestions = judged(ticket_id, set())
                sources |= {o.source_id for o in outcomes if isinstance(o, MergeInto)}
                sources |= {s.source_id for s in suggestions}
        to_ask = sorted(sources)
        try:
            answered = self.services.helpdesk.public_agent_replies(to_ask) if to_ask else set()
        except HelpdeskError as exc:
            self._retry(
                batch, list(scope), owner, f"loading merge candidates: {exc}", decisions, exc.retry_after
            )
            return decisions
        merging_now: list[tuple[int, JobResult]] = []  # (merge row, its job), waited for together
        for ticket_id, others in others_of.items():
            if not others:
                continue
            outcomes, suggestions = judged(ticket_id, answered)
            for outcome in outcomes:
                if (submitted := self._act(outcome, scope[ticket_id], batch, decisions, owner)) is not None:
                    merging_now.append(submitted)
            self._suggest(suggestions, scope[ticket_id])
        jobs = wait_until_finished(
            self.services.job_watch,
            [job for _, job in merging_now],
            self.services.settings.job_timeout_seconds,
        )
        for (row_id, _), job in zip(merging_now, jobs, strict=True):
            self._finish(row_id, job, decisions, batch, owner)
        return decisions

    def _considered(self, batch: BatchContext, decisions: dict[int, Decision]) -> dict[int, int | None]:
        """Ticket id -> the incident it is about to be linked to (None: no incident)."""
        problem_ids = {i.problem_ticket_id for i in batch.incidents.values()}
        scope: dict[int, int | None] = {}
        for ticket_id, decision in decisions.items():
            ticket = batch.tickets.get(ticket_id)
            if ticket is None or not ticket.requester_id:
                continue
            if isinstance(decision, LinkTicket) and not decision.shadow:
                scope[ticket_id] = decision.incident_id
            elif (
                not isinstance(decision, RecordExistingLink)
                and not batch.known_links.get(ticket_id)
                and ticket.status in OPEN_STATUSES
                and ticket.type != "problem"
                and ticket_id not in problem_ids
                and DIGEST_TAG not in ticket.tags  # IncidentDesk's own digest, by mail
            ):
                scope[ticket_id] = None
        return scope

    def _suggest(self, suggestions: list[Suggestion], incident_id: int | None) -> None:
        """Keep the pairs an agent should confirm (a pair offered before is not offered again)."""
        if suggestions:
            with self.services.db.transaction() as session:
                for suggestion in suggestions:
                    offer(session, suggestion, incident_id)

    def _act(
        self,
        outcome,
        incident_id: int | None,
        batch: BatchContext,
        decisions: dict[int, Decision],
        owner: str,
    ) -> tuple[int, JobResult] | None:
        """A merge submitted: its row and job, to be finished once the job has; None otherwise."""
        if isinstance(outcome, (Refusal, Grouping)):
            kind = "refused" if isinstance(outcome, Refusal) else "grouped"
            with self.services.db.transaction() as session:
                if store.note_refusal(
                    session,
                    ticket_id=outcome.ticket_id,
                    other_id=outcome.other_id,
                    incident_id=incident_id,
                    kind=kind,
                    reason=outcome.reason,
                    evidence=outcome.evidence,
                ):
                    record(
                        session,
                        f"merge.{kind}",
                        incident_id=incident_id,
                        ticket_id=outcome.ticket_id,
                        detail={
                            "other_ticket_id": outcome.other_id,
                            "reason": outcome.reason,
                            **outcome.evidence,
                        },
                    )
            return None
        return self._merge(outcome, incident_id, batch, decisions, owner)

    def _merge(
        self,
        plan: MergeInto,
        incident_id: int | None,
        batch: BatchContext,
        decisions: dict[int, Decision],
        owner: str,
    ) -> tuple[int, JobResult] | None:
        row = Merge(
            source_ticket_id=plan.source_id,
            target_ticket_id=plan.target_id,
            incident_id=incident_id,
            requester_id=plan.evidence.get("requester_id"),
            reason=plan.reason,
            evidence=plan.evidence,
            locale=plan.locale,
            public=plan.public,
            owner=owner,
            state=MergeState.APPLYING,
        )
        with self.services.db.transaction() as session:
            if not store.reserve(session, row):
                existing = store.merged_into(session, [plan.source_id])[plan.source_id]
                self._leave(decisions, plan.source_id, f"merged into #{existing.target_ticket_id}")
                return None
        try:
            job = self.services.helpdesk.merge_tickets(
                plan.target_id,
                [plan.source_id],
                target_comment=plan.target_comment,
                source_comment=plan.source_comment,
                target_public=plan.public,
                source_public=plan.public,
            )
        except HelpdeskError as exc:
            if exc.retryable:
                self._forget(row.id)
                self._retry(
                    batch,
                    [plan.source_id, plan.target_id],
                    owner,
                    f"merge: {exc}",
                    decisions,
                    exc.retry_after,
                )
            else:
                self._fail(row.id, str(exc))
            return None
        return row.id, job

    def _finish(
        self, row_id: int, job: JobResult, decisions: dict[int, Decision], batch: BatchContext, owner: str
    ) -> None:
        with self.services.db.transaction() as session:
            row = session.get(Merge, row_id)
            row.job_id = job.id
            source, target = row.source_ticket_id, row.target_ticket_id
        if not job.finished:
            self._retry(
                batch, [source, target], owner, f"merge job {job.id} still {job.status}", decisions, None
            )
            return
        failure = job_failure(job)
        if failure is not None:
            self._fail(row_id, failure)
            return
        with self.services.db.transaction() as session:
            mark_merged(session, session.get(Merge, row_id), job.id)
        self._leave(decisions, source, f"merged into #{target}")

    def _settle_known(
        self, merge: Merge, decisions: dict[int, Decision], batch: BatchContext, owner: str
    ) -> None:
        """A replayed or retried ticket that is a merge source already: finish what is pending."""
        if merge.state == MergeState.MERGED:
            self._leave(decisions, merge.source_ticket_id, f"merged into #{merge.target_ticket_id}")
        elif merge.job_id is None:  # another worker is calling the helpdesk right now
            self._retry(
                batch,
                [merge.source_ticket_id],
                owner,
                "another worker is merging this ticket",
                decisions,
                None,
            )
        else:
            try:
                job = self.services.helpdesk.job_status(merge.job_id)
            except HelpdeskError as exc:
                self._retry(
                    batch, [merge.source_ticket_id], owner, f"merge job: {exc}", decisions, exc.retry_after
                )
                return
            self._finish(merge.id, job, decisions, batch, owner)

    def _fail(self, row_id: int, error: str) -> None:
        log.warning("merge %s failed: %s", row_id, error)
        with self.services.db.transaction() as session:
            row = session.get(Merge, row_id)
            evidence = {**row.evidence, "job_id": row.job_id, "error": error[:500]}
            store.note_refusal(
                session,
                ticket_id=row.source_ticket_id,
                other_id=row.target_ticket_id,
                incident_id=row.incident_id,
                kind="failed",
                reason=f"merge failed: {error[:300]}",
                evidence=evidence,
            )
            record(
                session,
                "merge.failed",
                incident_id=row.incident_id,
                ticket_id=row.source_ticket_id,
                detail={
                    "source_ticket_id": row.source_ticket_id,
                    "target_ticket_id": row.target_ticket_id,
                    **evidence,
                },
            )
            session.delete(row)

    def _forget(self, row_id: int) -> None:
        with self.services.db.transaction() as session:
            row = session.get(Merge, row_id)
            if row is not None:
                session.delete(row)

    def _retry(
        self,
        batch: BatchContext,
        ticket_ids: list[int],
        owner: str,
        error: str,
        decisions: dict[int, Decision],
        retry_after: float | None,
    ) -> None:
        """Send these tickets' deliveries back to the inbox; nothing is written for them now."""
        self.retry_deliveries(
            [d for t in ticket_ids for d in batch.delivery_ids.get(t, ())], owner, error, retry_after
        )
        for ticket_id in ticket_ids:
            if ticket_id in decisions:
                decisions[ticket_id] = LeaveAlone(ticket_id, f"merging is retried later: {error}")

    @staticmethod
    def _leave(decisions: dict[int, Decision], ticket_id: int, reason: str) -> None:
        if ticket_id in decisions:
            decisions[ticket_id] = LeaveAlone(ticket_id, reason)
