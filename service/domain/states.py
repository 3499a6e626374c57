"""Each state machine's states, written once. ``StrEnum`` members are the strings stored in the
database, so a row's column compares equal to them."""

from __future__ import annotations

from enum import StrEnum


class LinkState(StrEnum):
    """A ticket's link to an incident: reserved and being written, written, or undone."""

    APPLYING = "applying"
    LINKED = "linked"
    UNLINKED = "unlinked"


# A link that counts: written, or being written right now.
LIVE_LINK_STATES = (LinkState.LINKED, LinkState.APPLYING)


class MergeState(StrEnum):
    APPLYING = "applying"
    MERGED = "merged"


class BroadcastState(StrEnum):
    """A status update's broadcast to the linked unsolved tickets."""

    NONE = "none"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class DeliveryState(StrEnum):
    """An inbox row: waiting (maybe leased), then done, ignored or failed for good."""

    PENDING = "pending"
    DONE = "done"
    IGNORED = "ignored"
    FAILED = "failed"


class CampaignState(StrEnum):
    """An outreach campaign: draft -> running <-> paused -> done | cancelled."""

    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    CANCELLED = "cancelled"
