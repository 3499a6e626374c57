"""One batch's link reservations, from reserving them to handing them back (see ``reservations``).

The batch shows it is alive while it waits for the helpdesk, writes answers only for the
reservations still its own, and keeps the id of the job carrying them; a worker that finds a
reservation stale asks that job before taking the ticket over.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from integrations.base import HelpdeskError, HelpdeskPort
from service.db import Database
from service.linking import reservations
from service.linking.reservations import Reservation
from service.models import TicketLink


class LinkWriter:
    def __init__(self, db: Database, renew_every_seconds: float):
        self.db = db
        self.token = reservations.new_writer()
        self.renew_every_seconds = renew_every_seconds
        self.held: set[int] = set()
        self._renewed = time.monotonic()

    def reserve(self, wanted: list[Reservation]) -> set[int]:
        """The tickets whose reservation is now ours."""
        with self.db.transaction() as session:
            self.held = reservations.reserve(session, wanted, self.token)
        self._renewed = time.monotonic()
        return set(self.held)

    def heartbeat(self) -> None:
        """Called while the helpdesk works: renews the reservations now and then."""
        if time.monotonic() - self._renewed >= self.renew_every_seconds:
            self.still_ours(self.held)

    def still_ours(self, ticket_ids: Iterable[int]) -> set[int]:
        """Renew now; the tickets (of ``ticket_ids``) whose reservation is still ours."""
        with self.db.transaction() as session:
            ours = reservations.renew(session, self.token, ticket_ids)
        self.held &= ours | (self.held - set(ticket_ids))
        self._renewed = time.monotonic()
        return ours

    def answers_submitted(self, job_id: str, ticket_ids: list[int]) -> None:
        with self.db.transaction() as session:
            reservations.note_answer_job(session, self.token, job_id, ticket_ids)


def take_over_stale(
    db: Database, helpdesk: HelpdeskPort, ticket_ids: list[int], stale_after_seconds: int
) -> dict[int, TicketLink]:
    """Drop the reservations of ``ticket_ids`` whose writer is gone, unless the job carrying
    their answer is still running (then the ticket stays busy and is tried again later).
    Returns the dropped reservations by ticket, so that an answer that did land is confirmed
    as our link."""
    with db.transaction() as session:
        stale = reservations.find_stale(session, ticket_ids, stale_after_seconds)
    if not stale:
        return {}
    job_ids = sorted({link.answer_job_id for link in stale if link.answer_job_id})
    running: set[str] = set()
    if job_ids:
        try:
            running = {job.id for job in helpdesk.job_statuses(job_ids) if not job.finished}
        except HelpdeskError:
            running = set(job_ids)  # not known yet: busy until the helpdesk answers
    with db.transaction() as session:
        return reservations.drop(
            session, [link for link in stale if link.answer_job_id not in running], stale_after_seconds
        )
