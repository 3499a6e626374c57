"""Plain facts about tickets and incidents, as the decision functions see them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from service.domain.linking.triage_rules import DEFAULT_TRIAGE, TriageRules
from service.domain.text.reply_language import DetectedLanguage

if TYPE_CHECKING:  # rules builds on these facts, so the facts only name its type
    from service.domain.linking.rules import RuleSpec


@dataclass(frozen=True)
class EarlierTickets:
    """The requester's other tickets of the last ``RECENT_DAYS`` days, as the helpdesk counts them."""

    total: int
    open: int  # not yet solved or closed
    at_least: bool = False  # the helpdesk's search stopped at its limit: these are floors


@dataclass(frozen=True)
class TicketFacts:
    id: int
    subject: str
    description: str
    status: str
    requester_id: int | None
    requester_locale: str | None = None
    requester_name: str = ""
    requester_email: str | None = None
    requester_tags: tuple[str, ...] = ()
    organization_tags: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    type: str | None = None
    problem_id: int | None = None
    priority: str | None = None
    channel: str | None = None
    organization_id: int | None = None
    brand_id: int | None = None
    form_id: int | None = None
    created_at: datetime | None = None
    custom_fields: dict[int, object] = field(default_factory=dict)
    account_locale: str | None = None  # the helpdesk account's default language
    # The language of the customer's words, when their profile's says nothing (it is the default).
    detected_language: DetectedLanguage | None = None
    customer_since: datetime | None = None  # the requester's helpdesk user was created then
    organization_name: str = ""
    # The requester's user fields and their organisation's fields, by key (a customer's value).
    requester_fields: Mapping[str, object] = field(default_factory=dict)
    organization_fields: Mapping[str, object] = field(default_factory=dict)
    earlier_tickets: EarlierTickets | None = None  # None: the helpdesk could not tell

    @property
    def text(self) -> str:
        return f"{self.subject}\n{self.description}"


@dataclass(frozen=True)
class IncidentFacts:
    id: int
    title: str
    tag: str
    problem_ticket_id: int | None
    status_version: int
    status_texts: dict[str, str]
    status_updated_at: datetime | None = None
    default_locale: str = "en"
    shadow_mode: bool = False
    created_at: datetime | None = None
    has_phrases: bool = True
    phrases: tuple[str, ...] = ()  # its phrase rules (not the exclusions), as the admin wrote them
    macro_id: int | None = None  # the incident's status macro in the helpdesk
    status_page_url: str = ""  # the public status page ('' while it is not public)
    # Rules other than phrases (tags, fields, channel, ...): ``service.domain.linking.rules.RuleSpec``.
    other_rules: tuple[RuleSpec, ...] = ()
    # What makes one of its tickets serious (VIP, a legal or safety threat, a repeat contact).
    triage: TriageRules = DEFAULT_TRIAGE
