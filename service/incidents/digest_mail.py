"""Management's digest by e-mail through the helpdesk: each period, one ticket whose requester
is the digest's address and whose first comment, public and by IncidentDesk's agent, is the
digest, so the helpdesk mails it to that address. Zendesk makes the authenticated agent the
first comment's author unless ``author_id`` says otherwise
(https://develop.zendesk.com/hc/en-us/articles/360059146153) and shows the ticket as created
"on behalf of" the requester (http://developer.zendesk.com/documentation/rest_api/tickets.html);
that the requester is e-mailed depends on the account's notification triggers (Zendesk's
default ones notify the requester of an agent's public comment).

The ticket carries ``DIGEST_TAG``, so IncidentDesk never links or answers it, and an external id
naming the period it was claimed for. A create the helpdesk refused is tried again five minutes
later (as the chat's); one whose answer was lost but which landed is then sent a second time."""

from __future__ import annotations

from datetime import datetime

from integrations.base import Comment, HelpdeskError, HelpdeskPort, NewTicket
from service.db import Database
from service.domain.digest import DIGEST_TAG, digest_subject
from service.incidents.digest import CHECK_EVERY_SECONDS, MAIL_ROW, BacklogDigest, NotDelivered

SENDER_NAME = "IncidentDesk digest"


def digest_external_id(claimed_at: datetime) -> str:
    """The digest's ticket names the period it was claimed for."""
    return f"incidentdesk-digest-{claimed_at:%Y%m%dT%H%M%SZ}"


class MailDigest(BacklogDigest):
    row = MAIL_ROW
    route = "mail"

    def __init__(
        self,
        db: Database,
        helpdesk: HelpdeskPort,
        address: str,
        minutes: int,
        *,
        check_every_seconds: float = CHECK_EVERY_SECONDS,
    ):
        super().__init__(db, "", minutes, check_every_seconds=check_every_seconds)
        self.helpdesk, self.address = helpdesk, address

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def deliver(self, text: str, now: datetime) -> None:
        external_id = digest_external_id(now)
        ticket = NewTicket(
            subject=digest_subject(now),
            comment=Comment(text, public=True),
            requester_email=self.address,
            requester_name=SENDER_NAME,
            tags=(DIGEST_TAG,),
            external_id=external_id,
        )
        try:
            job = self.helpdesk.create_many([ticket])
        except HelpdeskError as refused:
            raise NotDelivered(str(refused)) from None
        if job.status in ("failed", "killed") or any(not r.success for r in job.results):
            raise NotDelivered(f"the helpdesk's job {job.id} did not create the digest ticket")
