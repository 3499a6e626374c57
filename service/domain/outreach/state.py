"""A campaign's life: draft -> running <-> paused -> done | cancelled. Pure."""

from __future__ import annotations

from service.domain.phrases import sentence

DRAFT, RUNNING, PAUSED, DONE, CANCELLED = "draft", "running", "paused", "done", "cancelled"
STATES = (DRAFT, RUNNING, PAUSED, DONE, CANCELLED)

# action -> (states it may start from, state it leads to)
TRANSITIONS = {
    "launch": ((DRAFT,), RUNNING),
    "pause": ((RUNNING,), PAUSED),
    "resume": ((PAUSED,), RUNNING),
    "cancel": ((DRAFT, RUNNING, PAUSED), CANCELLED),
    "finish": ((RUNNING,), DONE),
}


STATE_NAMES = {state: sentence(f"campaign.state.{state}", state) for state in STATES}
ACTION_NAMES = {action: sentence(f"campaign.action.{action}", action) for action in TRANSITIONS}
UNKNOWN_ACTION = sentence("campaign.unknown_action", "unknown action '{action}'; use one of {actions}")
CANNOT = sentence("campaign.cannot", "a {state} campaign cannot {action}; it can {allowed}")
CANNOT_ANY_MORE = sentence(
    "campaign.cannot_any_more", "a {state} campaign cannot {action}; it can do nothing more"
)


class TransitionRefused(ValueError):
    pass


def next_state(current: str, action: str) -> str:
    if action not in TRANSITIONS:
        raise TransitionRefused(UNKNOWN_ACTION(action=action, actions=", ".join(TRANSITIONS)))
    allowed, target = TRANSITIONS[action]
    if current not in allowed:
        possible = tuple(ACTION_NAMES[a]() for a, (starts, _) in TRANSITIONS.items() if current in starts)
        names = {"state": STATE_NAMES[current](), "action": ACTION_NAMES[action]()}
        raise TransitionRefused(CANNOT(allowed=possible, **names) if possible else CANNOT_ANY_MORE(**names))
    return target


def editable(state: str) -> bool:
    """Audience, message and coupons can change only before launch."""
    return state == DRAFT
