"""Send a status update to every linked unsolved ticket, in bulk, once per ticket and version.

A worker leases the broadcast, then works through the links in slices. Each ticket's change
carries a version tag (``<incident tag>_v<version>``) together with the comment, so a slice
interrupted by a crash is settled by reading the tickets back: a ticket with the tag got the
update, one without it is sent again. A resolution (stage ``resolved``) also solves the tickets;
where the helpdesk refuses a solve (no assignee, a field required to solve left empty), the final
message is sent again without the status change and the ticket is recorded as unsolved, with why.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from integrations.base import Comment, HelpdeskError, TicketChange
from service import clock
from service.audit import record
from service.domain.states import LinkState
from service.domain.status_text import status_reply
from service.domain.tickets import (
    OPEN_STATUSES,
    SOLVED_STATUSES,
    SURVEY_SENT_TAG,
    SURVEY_SKIPPED_TAG,
    asks_for_survey,
    version_tag,
)
from service.helpdesk.executor import Executor, is_gone
from service.incidents.lifecycle_reads import UNSOLVED_ACTION
from service.models import Incident, StatusUpdate, TicketLink
from service.wiring import Services

log = logging.getLogger("incidentdesk.broadcast")
SLICE = 1000


def status_comment(status: StatusUpdate, incident: Incident, link: TicketLink) -> str:
    """The reply this link's requester gets for ``status``, in the language recorded on the link."""
    return status_reply(
        status.texts,
        link.locale,
        incident.default_locale,
        requester_name=link.requester_name,
        incident_title=incident.title,
        status_time=status.created_at,
        status_page_url=incident.status_page_url,
    )[1]


def record_unsolved(session: Session, status: StatusUpdate, unsolved: dict[int, str]) -> None:
    """One audit entry per ticket that got the final message but that the helpdesk would not
    solve, with its reason: the resolve result lists them (``lifecycle_reads.unsolved_tickets``)."""
    for ticket_id, reason in sorted(unsolved.items()):
        record(
            session,
            UNSOLVED_ACTION,
            incident_id=status.incident_id,
            ticket_id=ticket_id,
            detail={"version": status.version, "reason": reason[:500]},
        )


class BroadcastRunner:
    def __init__(self, services: Services, owner: str):
        self.services = services
        self.owner = owner
        settings = services.settings
        self.executor = Executor(
            services.helpdesk,
            job_poll_seconds=settings.job_poll_seconds,
            job_timeout_seconds=settings.job_timeout_seconds,
            watch=services.job_watch,
        )

    def _lease(self) -> int | None:
        now = clock.now()
        expires = now + timedelta(
            seconds=self.services.settings.worker_lease_seconds + self.services.settings.job_timeout_seconds
        )
        free = or_(
            StatusUpdate.broadcast_state == "queued",
            and_(
                StatusUpdate.broadcast_state == "running",
                or_(
                    StatusUpdate.broadcast_owner == self.owner,
                    StatusUpdate.broadcast_lease_expires_at.is_(None),
                    StatusUpdate.broadcast_lease_expires_at < now,
                ),
            ),
        )
        with self.services.db.transaction() as session:
            for status_id in session.scalars(
                select(StatusUpdate.id).where(free).order_by(StatusUpdate.id).limit(5)
            ):
                taken = session.execute(
                    update(StatusUpdate)
                    .where(StatusUpdate.id == status_id, free)
                    .values(
                        broadcast_state="running",
                        broadcast_owner=self.owner,
                        broadcast_lease_expires_at=expires,
                    )
                )
                if taken.rowcount == 1:
                    return status_id
        return None

    @staticmethod
    def _superseded(session: Session, status: StatusUpdate) -> bool:
        """A newer status exists: sending this one now would only confuse (and could overtake it)."""
        return (
            session.scalar(
                select(StatusUpdate.id).where(
                    StatusUpdate.incident_id == status.incident_id, StatusUpdate.version > status.version
                )
            )
            is not None
        )

    def run_once(self) -> int:
        """Send one slice of one due broadcast; returns how many tickets were settled."""
        status_id = self._lease()
        if status_id is None:
            return 0
        with self.services.db.transaction() as session:
            status = session.get(StatusUpdate, status_id)
            incident = session.get(Incident, status.incident_id)
            if incident.shadow_mode:
                return self._finish(session, status, "shadow mode: nothing was sent", state="skipped")
            if self._superseded(session, status):
                return self._finish(session, status, "a newer status update replaced it", state="superseded")
            if not self._settle_pending(session, status, incident):
                return self._pause(session, status)
            links = self._due_links(session, status)
            if not links:
                if status.stage == "resolved":
                    self._solve_problem(session, incident, status)
                return self._finish(session, status, None)
            if status.broadcast_total == 0:
                status.broadcast_total = self._count_due(session, status)
            for link in links:
                link.pending_version = status.version
            changes = [self._change(status, incident, link) for link in links]
            solving = status.stage == "resolved"
            assign_to = (incident.solve_group_id, incident.solve_assignee_id)
        if solving and any(assign_to):
            changes = self._assign_unassigned(changes, *assign_to)
        # A refused solve still delivers the final message, sent again without the status change.
        outcome, unsolved = (
            self.executor.apply_solving(changes) if solving else (self.executor.apply(changes), {})
        )
        with self.services.db.transaction() as session:
            status = session.get(StatusUpdate, status_id)
            done = outcome.succeeded()
            self._confirm(session, status, [t for t in done if t not in unsolved])
            self._confirm(session, status, list(unsolved), solved=False)
            record_unsolved(session, status, unsolved)
            refused = outcome.refused()
            if refused:  # the helpdesk said no for these tickets: report them, do not try again
                session.execute(
                    update(TicketLink)
                    .where(
                        TicketLink.incident_id == status.incident_id, TicketLink.ticket_id.in_(list(refused))
                    )
                    .values(pending_version=None, refused_version=status.version)
                )
                record(
                    session,
                    "status.broadcast_failures",
                    incident_id=status.incident_id,
                    detail={
                        "version": status.version,
                        "errors": dict(list(refused.items())[:20]),
                        "count": len(refused),
                    },
                )
                self._skip_unsendable(session, status, refused)
            # Uncertain tickets keep pending_version: the next step reads their version tag back.
            record(
                session,
                "status.broadcast_slice",
                incident_id=status.incident_id,
                detail={
                    "version": status.version,
                    "sent": len(done),
                    "sent_unsolved": len(unsolved),
                    "refused": len(refused),
                    "uncertain": len(outcome.uncertain),
                    "calls": outcome.writes,
                },
            )
        return len(done)

    def _due_links(self, session: Session, status: StatusUpdate) -> list[TicketLink]:
        return list(session.scalars(self._due(status).order_by(TicketLink.id).limit(SLICE)))

    def _count_due(self, session: Session, status: StatusUpdate) -> int:
        return len(session.scalars(self._due(status).with_only_columns(TicketLink.id)).all())

    @staticmethod
    def _due(status: StatusUpdate):
        return select(TicketLink).where(
            TicketLink.incident_id == status.incident_id,
            TicketLink.state == LinkState.LINKED,
            TicketLink.ticket_status.in_(sorted(OPEN_STATUSES)),
            or_(TicketLink.status_version.is_(None), TicketLink.status_version < status.version),
            TicketLink.pending_version.is_(None),
            or_(TicketLink.refused_version.is_(None), TicketLink.refused_version != status.version),
        )

    def _change(self, status: StatusUpdate, incident: Incident, link: TicketLink) -> TicketChange:
        old = (version_tag(incident.tag, link.status_version),) if link.status_version else ()
        added = (version_tag(incident.tag, status.version),)
        if status.stage == "resolved":  # for the account's own survey automation to include or skip
            # Read from the final message itself, which this broadcast sends, not from the incident row.
            added += (SURVEY_SENT_TAG if asks_for_survey(status.texts) else SURVEY_SKIPPED_TAG,)
        return TicketChange(
            ticket_id=link.ticket_id,
            add_tags=added,
            remove_tags=old,
            status="solved" if status.stage == "resolved" else None,
            comment=Comment(status_comment(status, incident, link), public=True),
            macro_ids=(incident.macro_id,) if incident.macro_id else (),
        )

    def _assign_unassigned(
        self, changes: list[TicketChange], group_id: int | None, assignee_id: int | None
    ) -> list[TicketChange]:
        """Tickets without an assignee are assigned where the incident says, so the helpdesk lets
        them be solved; an agent's own assignment is left alone. Unread tickets go unassigned."""
        try:
            tickets = {t.id: t for t in self.services.helpdesk.get_tickets([c.ticket_id for c in changes])}
        except HelpdeskError as exc:
            log.warning("could not read tickets to assign before solving: %s", exc)
            return changes
        return [
            replace(c, assignee_id=assignee_id, group_id=group_id)
            if c.ticket_id in tickets and tickets[c.ticket_id].assignee_id is None
            else c
            for c in changes
        ]

    def _confirm(
        self, session: Session, status: StatusUpdate, ticket_ids: list[int], solved: bool = True
    ) -> None:
        """These tickets got ``status``; a resolution also solved them unless ``solved`` is False."""
        if not ticket_ids:
            return
        values = {"status_version": status.version, "pending_version": None}
        if status.stage == "resolved" and solved:
            values["ticket_status"] = "solved"
        session.execute(
            update(TicketLink)
            .where(  # never step a ticket back to an older version
                TicketLink.incident_id == status.incident_id,
                TicketLink.ticket_id.in_(ticket_ids),
                or_(TicketLink.status_version.is_(None), TicketLink.status_version < status.version),
            )
            .values(**values)
        )
        status.broadcast_done += len(ticket_ids)

    def _skip_unsendable(self, session: Session, status: StatusUpdate, refused: dict[int, str]) -> None:
        """A ticket the helpdesk refuses because it is closed or gone will not take later updates either."""
        gone = [t for t, e in refused.items() if is_gone(e)]
        if gone:
            session.execute(
                update(TicketLink)
                .where(TicketLink.incident_id == status.incident_id, TicketLink.ticket_id.in_(gone))
                .values(ticket_status="closed")
            )

    def _settle_pending(self, session: Session, status: StatusUpdate, incident: Incident) -> bool:
        """Links left pending by a crashed worker or an unknown outcome: the version tag on the
        ticket says what happened. False when that could not be read yet."""
        pending = list(
            session.scalars(
                select(TicketLink).where(
                    TicketLink.incident_id == status.incident_id, TicketLink.pending_version == status.version
                )
            )
        )
        if not pending:
            return True
        try:
            tickets = {
                t.id: t for t in self.services.helpdesk.get_tickets([link.ticket_id for link in pending])
            }
        except HelpdeskError as exc:
            log.warning("could not settle %d pending tickets yet: %s", len(pending), exc)
            return False
        tag = version_tag(incident.tag, status.version)
        delivered = [
            link.ticket_id
            for link in pending
            if link.ticket_id in tickets and tag in tickets[link.ticket_id].tags
        ]
        # A resolution's message may have gone out without the solve (sent again without it).
        unsolved = [
            t for t in delivered if status.stage == "resolved" and tickets[t].status not in SOLVED_STATUSES
        ]
        self._confirm(session, status, [t for t in delivered if t not in unsolved])
        self._confirm(session, status, unsolved, solved=False)
        record_unsolved(
            session,
            status,
            dict.fromkeys(unsolved, "the ticket was not solved (read back after an interruption)"),
        )
        for link in pending:
            if link.ticket_id not in delivered:
                link.pending_version = None
        record(
            session,
            "status.broadcast_settled",
            incident_id=status.incident_id,
            detail={
                "version": status.version,
                "already_delivered": len(delivered),
                "to_send_again": len(pending) - len(delivered),
            },
        )
        return True

    def _pause(self, session: Session, status: StatusUpdate) -> int:
        """Let the lease go, so this broadcast is taken up again on a later step."""
        status.broadcast_lease_expires_at = clock.now() + timedelta(
            seconds=self.services.settings.worker_poll_seconds
        )
        status.broadcast_owner = None
        return 0

    def _solve_problem(self, session: Session, incident: Incident, status: StatusUpdate) -> None:
        if not incident.problem_ticket_id:
            return
        note = (
            f"Resolved in IncidentDesk (status v{status.version}); linked tickets were answered and solved."
        )
        try:
            self.services.helpdesk.update_ticket(
                TicketChange(
                    ticket_id=incident.problem_ticket_id, status="solved", comment=Comment(note, public=False)
                )
            )
        except HelpdeskError as exc:
            record(session, "problem.solve_failed", incident_id=incident.id, detail={"error": str(exc)})

    def _finish(self, session: Session, status: StatusUpdate, note: str | None, state: str = "done") -> int:
        status.broadcast_state = state
        status.broadcast_owner = None
        status.broadcast_lease_expires_at = None
        record(
            session,
            f"status.broadcast_{state}",
            incident_id=status.incident_id,
            detail={"version": status.version, "sent": status.broadcast_done, "note": note},
        )
        return 0
