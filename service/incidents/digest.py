"""The backlog digest for management, posted to a chat while an incident is active: every
``digest_minutes``, by one worker (the slot is claimed with a conditional update of the route's
``digest_state`` row), with the trend since the last digest. Nothing while no incident is active.
The same digest by e-mail through the helpdesk is ``digest_mail.MailDigest``, on its own row."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from sqlalchemy import or_, update

from integrations.chat import ChatRefused, post_text
from service import clock
from service.audit import record
from service.db import Database
from service.domain.digest import DigestLine, digest_text
from service.incidents.backlog import backlog
from service.models import DigestState

log = logging.getLogger("incidentdesk.digest")
CHECK_EVERY_SECONDS = 30.0
RETRY_AFTER = timedelta(minutes=5)  # a route that did not take the digest is tried again this much later
CHAT_ROW = 1  # the ``digest_state`` row of each route
MAIL_ROW = 2


class NotDelivered(Exception):
    """The route did not take the digest; the message names no secret."""


class BacklogDigest:
    """The digest to a chat's incoming webhook (``url``, a secret)."""

    row = CHAT_ROW
    route = "chat"

    def __init__(
        self, db: Database, url: str, minutes: int, *, check_every_seconds: float = CHECK_EVERY_SECONDS
    ):
        self.db, self.url = db, url
        self.interval = timedelta(minutes=minutes)
        self.check_every = check_every_seconds
        self._next_check = 0.0  # monotonic

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    def deliver(self, text: str, now: datetime) -> None:
        try:
            post_text(self.url, text)
        except ChatRefused as refused:
            raise NotDelivered(str(refused)) from None

    def run_once(self) -> int:
        """Send the digest when it is due; 1 when one was sent."""
        if not self.enabled or time.monotonic() < self._next_check:
            return 0
        self._next_check = time.monotonic() + self.check_every
        now = clock.now()
        with self.db.transaction() as session:
            report = backlog(session, now)
            if not report.rows:
                return 0
            claimed = session.execute(
                update(DigestState)
                .where(
                    DigestState.id == self.row,
                    or_(DigestState.sent_at.is_(None), DigestState.sent_at <= now - self.interval),
                )
                .values(sent_at=now)
                .returning(DigestState.unsolved)
            ).first()
        if claimed is None:
            return 0  # another worker posted it, or it is not due
        lines = [
            DigestLine(r.title, r.linked, r.unsolved, r.earliest_unanswered_contact) for r in report.rows
        ]
        mine = DigestState.id == self.row
        try:
            self.deliver(digest_text(lines, claimed.unsolved), now)
        except NotDelivered as refused:
            log.warning("the %s digest was not sent: %s; trying again in 5 minutes", self.route, refused)
            with self.db.transaction() as session:  # the slot comes round again soon, not in an interval
                retry_at = now - self.interval + RETRY_AFTER
                session.execute(update(DigestState).where(mine).values(sent_at=retry_at))
            return 0
        with self.db.transaction() as session:
            session.execute(update(DigestState).where(mine).values(unsolved=report.unsolved))
            detail = {"route": self.route, "incidents": len(lines), "unsolved": report.unsolved}
            record(session, "digest.sent", detail=detail)
        return 1
