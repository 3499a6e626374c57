"""The one composition root: every process (web, worker, demo, tests) builds its parts here."""

from __future__ import annotations

from dataclasses import dataclass, field

from integrations.base import HelpdeskPort
from integrations.zendesk.adapter import ZendeskAdapter
from integrations.zendesk.update_limit import TicketUpdates
from service.db import Database
from service.domain.text.reply_language import LanguageDetector
from service.helpdesk.budget import (
    UPDATE_TICKET_PER_MINUTE,
    UPDATE_TICKET_SHARE,
    UPDATE_TICKET_WINDOW_SECONDS,
    rate_budget_for,
)
from service.helpdesk.job_watch import JobWatch
from service.language_detection import OfflineLanguageDetector
from service.metrics import HelpdeskCalls
from service.settings import Settings


@dataclass
class Services:
    """Everything a request handler or the worker needs, built once per process."""

    settings: Settings
    db: Database
    helpdesk: HelpdeskPort
    language_detector: LanguageDetector = field(default_factory=OfflineLanguageDetector)
    # Every bulk job the process has running, polled together (``helpdesk/job_watch``).
    job_watch: JobWatch = field(init=False)

    def __post_init__(self) -> None:
        self.job_watch = JobWatch(self.helpdesk, first_pause=self.settings.job_poll_seconds)


def build_services(settings: Settings, helpdesk: HelpdeskPort | None = None) -> Services:
    """``helpdesk`` is given by tests and the demo; otherwise the Zendesk adapter is built here,
    pacing every request through the account's budget shared in the database."""
    db = Database(settings.database_url)
    if helpdesk is None:
        budget = rate_budget_for(db, settings.our_requests_per_minute)
        per_minute = settings.our_share_of(UPDATE_TICKET_PER_MINUTE)
        ticket_updates = TicketUpdates(
            rate_budget_for(db, per_minute, UPDATE_TICKET_SHARE, UPDATE_TICKET_WINDOW_SECONDS),
            per_minute,
            counts_bulk_items=settings.zendesk_update_many_counts_items,
        )
        helpdesk = ZendeskAdapter.from_settings(
            settings, budget=budget, observer=HelpdeskCalls(), ticket_updates=ticket_updates
        )
    return Services(settings=settings, db=db, helpdesk=helpdesk)
