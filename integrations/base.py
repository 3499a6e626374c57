"""The helpdesk port: the one interface the service uses to read and change a helpdesk.

Plain data in, plain data out. Vendor field names stay inside the adapters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class HelpdeskError(Exception):
    """The helpdesk refused or failed a call. ``retryable`` says whether trying later may help."""

    def __init__(
        self, message: str, *, retryable: bool, status: int | None = None, retry_after: float | None = None
    ):
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


class HelpdeskNotFound(HelpdeskError):
    def __init__(self, message: str):
        super().__init__(message, retryable=False, status=404)


@dataclass(frozen=True)
class HelpdeskUser:
    id: int
    name: str
    email: str | None
    locale: str
    tags: tuple[str, ...] = ()
    organization_id: int | None = None
    role: str = "end-user"  # end-user | agent | admin
    created_at: datetime | None = None  # a customer since then
    fields: Mapping[str, object] = field(default_factory=dict)  # the account's user fields, by key


@dataclass(frozen=True)
class HelpdeskOrganization:
    id: int
    name: str
    tags: tuple[str, ...] = ()
    fields: Mapping[str, object] = field(default_factory=dict)  # organisation fields, by key


@dataclass(frozen=True)
class HelpdeskTicket:
    id: int
    subject: str
    description: str
    status: str
    requester_id: int | None
    tags: tuple[str, ...]
    type: str | None = None
    problem_id: int | None = None
    priority: str | None = None
    channel: str | None = None
    organization_id: int | None = None
    brand_id: int | None = None
    form_id: int | None = None
    external_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    custom_fields: dict[int, object] = field(default_factory=dict)
    is_public: bool = True  # False: the ticket has no public comments (Zendesk's private ticket)
    assignee_id: int | None = None
    group_id: int | None = None


@dataclass(frozen=True)
class ChangedTicket:
    """A ticket as the helpdesk's change feed lists it: enough to know it must be looked at."""

    id: int
    updated_at: datetime
    status: str


@dataclass(frozen=True)
class ChangedTicketsPage:
    """One page of the change feed. ``cursor`` is where the next page starts; it is kept even at
    the end of the stream, where the next read finds the changes made since. At the end of the
    stream ``complete_until`` says before when every change has now been listed."""

    tickets: tuple[ChangedTicket, ...]
    cursor: str
    end_of_stream: bool
    complete_until: datetime | None = None


@dataclass(frozen=True)
class SatisfactionRating:
    """A customer's rating of a solved ticket. ``comment`` is the customer's own text."""

    id: int
    ticket_id: int
    score: str  # good | bad
    comment: str
    created_at: datetime
    reason: str | None = None


@dataclass(frozen=True)
class RecentTickets:
    """A requester's tickets created since a date, as the helpdesk's search found them."""

    statuses: Mapping[int, str]  # ticket id -> status (new, open, pending, hold, solved, closed)
    complete: bool = True  # False when the search's result limit cut the list short


@dataclass(frozen=True)
class Comment:
    body: str
    public: bool


@dataclass(frozen=True)
class TicketChange:
    """One ticket's change. Tags are added/removed, never replaced, so agents' tags survive."""

    ticket_id: int
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    type: str | None = None
    problem_id: int | None = None
    priority: str | None = None
    status: str | None = None
    comment: Comment | None = None
    clear_problem: bool = False  # unlink from the problem ticket (problem_id becomes null)
    assignee_id: int | None = None  # the agent (and group) a ticket is assigned to, to solve it
    group_id: int | None = None
    # Macros this change stands for, recorded in the ticket's audit (nothing more is applied):
    # an automatic status reply is the incident's macro, applied on the agents' behalf.
    macro_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class NewTicket:
    subject: str
    comment: Comment
    requester_email: str
    requester_name: str
    requester_locale: str | None = None
    tags: tuple[str, ...] = ()
    type: str | None = None
    problem_id: int | None = None
    priority: str | None = None
    external_id: str | None = None
    group_id: int | None = None
    submitter_id: int | None = None  # the agent the message comes from (its comment's author)


@dataclass(frozen=True)
class JobItemResult:
    ticket_id: int | None
    success: bool
    error: str | None = None
    index: int | None = None


@dataclass(frozen=True)
class JobResult:
    id: str
    status: str  # queued | working | completed | failed | killed
    results: tuple[JobItemResult, ...] = ()
    message: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in {"completed", "failed", "killed"}


class RequestBudget(Protocol):
    """Paces calls to the helpdesk account: one ``acquire`` per request (or ``count`` grants at
    once, for a limit that counts the items of a request); ``block_for`` on a 429."""

    def acquire(self, count: int = 1) -> None: ...

    def block_for(self, seconds: float) -> None: ...


class CallObserver(Protocol):
    """Told of every call to the helpdesk (for metrics): its method, its endpoint with ids
    replaced (``GET /api/v2/tickets/{id}.json``), the answer's status and how long it took; and
    of each pause a 429 imposed."""

    def called(self, method: str, endpoint: str, status: int, seconds: float) -> None: ...

    def paused(self, seconds: float) -> None: ...


class HelpdeskPort(Protocol):
    """What IncidentDesk needs from a helpdesk."""

    # How texts stored in the helpdesk (the status macro's content) name the requester's first
    # name, so that an agent applying the macro by hand sends the customer's name.
    requester_first_name_placeholder: str
    # The most tickets one ``update_many`` may carry: 100, or fewer on an account whose Update
    # Ticket limit counts them.
    bulk_update_limit: int

    def get_tickets(self, ticket_ids: Sequence[int]) -> list[HelpdeskTicket]:
        """Tickets by id (missing ids are left out), up to 100 per underlying call."""

    def get_users(self, user_ids: Sequence[int]) -> list[HelpdeskUser]:
        """Users by id (missing ids are left out)."""

    def own_user_id(self) -> int:
        """The helpdesk user IncidentDesk acts as (asked once, then remembered)."""

    def account_default_locale(self) -> str:
        """The account's default language, the one every new user gets until it is changed."""

    def get_organizations(self, organization_ids: Sequence[int]) -> list[HelpdeskOrganization]:
        """Organisations by id (missing ids are left out)."""

    def update_ticket(self, change: TicketChange) -> None:
        """Apply one change synchronously."""

    def update_many(self, changes: Sequence[TicketChange]) -> JobResult:
        """Start a bulk update of at most ``bulk_update_limit`` tickets; returns the queued job."""

    def create_many(self, tickets: Sequence[NewTicket]) -> JobResult:
        """Start a bulk creation of at most 100 tickets; returns the queued job."""

    def job_status(self, job_id: str) -> JobResult:
        """The current state of a bulk job."""

    def job_statuses(self, job_ids: Sequence[str]) -> list[JobResult]:
        """Several jobs' states in one call (show_many)."""

    def create_problem_ticket(
        self,
        subject: str,
        body: str,
        tags: Sequence[str],
        *,
        assignee_id: int | None = None,
        group_id: int | None = None,
    ) -> int:
        """Create the incident's problem ticket (assigned, if given, so it can be solved); returns its id."""

    def publish_status_content(
        self, name: str, texts: dict[str, str], default_locale: str, item_id: int | None = None
    ) -> tuple[int, str]:
        """Create or update the per-locale status text (dynamic content); returns (id, placeholder)."""

    def ensure_status_macro(self, title: str, tag: str, placeholder: str, macro_id: int | None = None) -> int:
        """Create or update the incident's macro that applies the status text; returns its id."""

    def merge_tickets(
        self,
        target_id: int,
        source_ids: Sequence[int],
        *,
        target_comment: str,
        source_comment: str,
        target_public: bool,
        source_public: bool,
    ) -> JobResult:
        """Merge the sources into the target (asynchronous; Zendesk cannot undo it)."""

    def search_tickets(self, query: str, limit: int = 1000) -> list[HelpdeskTicket]:
        """Tickets matching a helpdesk search query (``type:ticket`` is added)."""

    def search_users(self, query: str, limit: int = 10000) -> list[HelpdeskUser]:
        """Users matching a helpdesk user search query."""

    def recent_tickets(self, requester_ids: Sequence[int], since: datetime) -> dict[int, RecentTickets]:
        """Per requester, their tickets created since ``since``: a bounded number of searches
        for all of them together (never one call per requester)."""

    def group_exists(self, group_id: int) -> bool:
        """Whether the helpdesk has this (not deleted) group, so tickets can be routed to it."""

    def ticket_fields(self) -> dict[int, str]:
        """The account's ticket fields: id -> title."""

    def public_agent_replies(self, ticket_ids: Sequence[int]) -> set[int]:
        """The tickets among these in which a human agent (not IncidentDesk's own user) has
        replied publicly."""

    def tickets_by_external_id(self, external_id: str) -> list[HelpdeskTicket]:
        """Tickets carrying this external id (how outreach finds what it already created)."""

    def changed_tickets(self, *, cursor: str | None, since: datetime) -> ChangedTicketsPage:
        """One page of the tickets changed after ``cursor`` or, without one, since ``since``
        (oldest change first). The helpdesk may leave out its latest changes (Zendesk: the last
        minute); they come with a later page."""

    def problem_incidents(self, problem_id: int) -> list[HelpdeskTicket]:
        """The incident tickets linked to this problem ticket (``problem_id``), oldest first, read
        page by page; a bounded number of pages (more raise ``HelpdeskError``, never a partial
        list); a ``HelpdeskError`` with status 404 when there is no such ticket."""

    def satisfaction_ratings(self, *, since: datetime, until: datetime) -> list[SatisfactionRating]:
        """Every rating customers gave (good or bad) created from ``since`` to ``until``, oldest
        first, read page by page within the request budget; a bounded number of pages (more
        ratings than those hold raise ``HelpdeskError``, never a partial count)."""
