"""Zendesk's rate limits: requests per minute by plan, Update Ticket per account, updates per
ticket, and the incremental exports' own 10 a minute. Sliding windows; a refusal is a 429 with
an integer ``Retry-After``. The exports' one-minute exclusion of the latest changes is set here
too, so a test can shorten it with the other limits.

Whether the tickets of an ``update_many`` count against Update Ticket is not documented (the
limit is documented for ``PUT /api/v2/tickets/{id}``, agents' edits in the UI included). By
default they do not; ``update_many_counts_items`` is the strict reading, a plan option: every
ticket of the request takes one from the Update Ticket window, and a request whose tickets do
not all fit is refused whole.
"""

from __future__ import annotations

import math
import time
from collections import deque
from typing import TYPE_CHECKING

from .common import ApiError

if TYPE_CHECKING:  # state builds the limits, so the limits only name its type
    from .state import SandboxState

UPDATE_TICKET_PER_MINUTE = 100
UPDATES_PER_TICKET = 30
PER_TICKET_WINDOW_SECONDS = 600
# "You can make up to 10 requests per minute to these endpoints" (the incremental exports).
INCREMENTAL_EXPORTS_PER_MINUTE = 10
# "Any items that were created or changed within the minute prior to your request are excluded."
INCREMENTAL_EXCLUSION_SECONDS = 60.0
INCREMENTAL_PREFIX = "/api/v2/incremental/"


class Window:
    """At most ``limit`` events in any ``seconds``-long window."""

    def __init__(self, limit: int, seconds: float):
        self.limit = limit
        self.seconds = seconds
        self.events: deque[float] = deque()

    def _trim(self, now: float) -> None:
        while self.events and self.events[0] <= now - self.seconds:
            self.events.popleft()

    def try_take(self, now: float, count: int = 1) -> float:
        """Record ``count`` events and return 0, or return the seconds to wait until they fit
        (all or none; more than the limit fits only an empty window, and is still refused)."""
        self._trim(now)
        over = len(self.events) + count - self.limit
        if over > 0:
            oldest_to_leave = self.events[min(over, len(self.events)) - 1] if self.events else now
            return max(oldest_to_leave + self.seconds - now, 0.001)
        self.events.extend([now] * count)
        return 0.0

    def remaining(self, now: float) -> int:
        self._trim(now)
        return max(0, self.limit - len(self.events))

    def reset_in(self, now: float) -> int:
        self._trim(now)
        return math.ceil(self.events[0] + self.seconds - now) if self.events else 0


class RateLimits:
    """The account's windows; ``configure`` changes limits (plan, or custom for tests)."""

    def __init__(self, state: SandboxState):
        self.state = state
        self.enabled = True
        self.configure()

    def configure(
        self,
        *,
        requests_per_minute: int | None = None,
        update_ticket_per_minute: int = UPDATE_TICKET_PER_MINUTE,
        updates_per_ticket: int = UPDATES_PER_TICKET,
        incremental_exports_per_minute: int = INCREMENTAL_EXPORTS_PER_MINUTE,
        incremental_exclusion_seconds: float = INCREMENTAL_EXCLUSION_SECONDS,
        window_seconds: float = 60.0,
        update_many_counts_items: bool = False,
        enabled: bool = True,
    ) -> None:
        self.enabled = enabled
        self.update_many_counts_items = update_many_counts_items
        self.window_seconds = window_seconds
        self.account = Window(requests_per_minute or self.state.rate_limit, window_seconds)
        self.update_ticket = Window(update_ticket_per_minute, window_seconds)
        self.incremental_exports = Window(incremental_exports_per_minute, window_seconds)
        self.incremental_exclusion_seconds = incremental_exclusion_seconds
        self.updates_per_ticket = updates_per_ticket
        self.per_ticket: dict[int, Window] = {}

    def describe(self) -> dict:
        return {
            "enabled": self.enabled,
            "requests_per_minute": self.account.limit,
            "update_ticket_per_minute": self.update_ticket.limit,
            "updates_per_ticket": self.updates_per_ticket,
            "incremental_exports_per_minute": self.incremental_exports.limit,
            "incremental_exclusion_seconds": self.incremental_exclusion_seconds,
            "window_seconds": self.window_seconds,
            "update_many_counts_items": self.update_many_counts_items,
        }

    def admit(self, is_ticket_update: bool, path: str = "") -> None:
        """Count one API request against the account limit, and against the Update Ticket or
        the incremental exports' limit when it is one of those."""
        if not self.enabled:
            return
        now = time.monotonic()
        wait = self.account.try_take(now)
        if wait:
            raise _too_many(
                wait, "APIRateLimitExceeded", "Number of allowed API requests per minute exceeded"
            )
        if path.startswith(INCREMENTAL_PREFIX):
            wait = self.incremental_exports.try_take(now)
            if wait:
                raise _too_many(
                    wait,
                    "APIRateLimitExceeded",
                    "Number of allowed incremental export API requests per minute exceeded",
                )
        if is_ticket_update:
            self._take_updates(now, 1)

    def bulk_update(self, tickets: int) -> None:
        """An ``update_many`` of ``tickets``: Update Tickets too under the strict reading."""
        if self.enabled and self.update_many_counts_items:
            self._take_updates(time.monotonic(), tickets)

    def _take_updates(self, now: float, count: int) -> None:
        wait = self.update_ticket.try_take(now, count)
        if wait:
            raise _too_many(
                wait, "APIRateLimitExceeded", "Number of allowed ticket updates per minute exceeded"
            )

    def record_agent_edit(self) -> None:
        """An agent's own edit in the Zendesk UI uses the Update Ticket budget too."""
        self.update_ticket.events.append(time.monotonic())

    def ticket_update(self, ticket_id: int) -> None:
        if not self.enabled:
            return
        window = self.per_ticket.setdefault(
            ticket_id, Window(self.updates_per_ticket, PER_TICKET_WINDOW_SECONDS * self.window_seconds / 60.0)
        )
        wait = window.try_take(time.monotonic())
        if wait:
            raise _too_many(
                wait,
                "TicketUpdateRateLimitExceeded",
                "Rate limit for ticket updates exceeded, please wait before updating this ticket again",
            )

    def headers(self) -> dict:
        now = time.monotonic()
        limit, remaining = str(self.account.limit), str(self.account.remaining(now))
        reset = str(self.account.reset_in(now) or int(self.window_seconds))
        return {
            "X-Rate-Limit": limit,
            "X-Rate-Limit-Remaining": remaining,
            "ratelimit-limit": limit,
            "ratelimit-remaining": remaining,
            "ratelimit-reset": reset,
            "rate-limit": limit,
            "rate-limit-remaining": remaining,
            "rate-limit-reset": reset,
        }


def _too_many(wait: float, error: str, description: str) -> ApiError:
    return ApiError(
        429, {"error": error, "description": description}, {"Retry-After": str(max(1, math.ceil(wait)))}
    )


def check_bulk_update(state: SandboxState, tickets: int) -> None:
    """The Update Ticket limit for an ``update_many``'s tickets, when the plan counts them."""
    state.rate_limits.bulk_update(tickets)


def check_ticket_update(state: SandboxState, ticket_id: int) -> None:
    """The per-ticket update limit, for requests that change one ticket."""
    state.rate_limits.ticket_update(ticket_id)
