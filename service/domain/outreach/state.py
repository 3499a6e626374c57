"""A campaign's life: draft -> running <-> paused -> done | cancelled. Pure."""

from __future__ import annotations

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


class TransitionRefused(ValueError):
    pass


def next_state(current: str, action: str) -> str:
    if action not in TRANSITIONS:
        raise TransitionRefused(f"unknown action '{action}'; use one of {', '.join(TRANSITIONS)}")
    allowed, target = TRANSITIONS[action]
    if current not in allowed:
        raise TransitionRefused(
            f"a {current} campaign cannot {action}; it can "
            + (", ".join(a for a, (s, _) in TRANSITIONS.items() if current in s) or "nothing more")
        )
    return target


def editable(state: str) -> bool:
    """Audience, message and coupons can change only before launch."""
    return state == DRAFT
