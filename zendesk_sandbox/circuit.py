"""The webhook circuit breaker, on by default as on Zendesk (webhook option ``circuit_breaker``
turns it off, a sandbox-only switch).

Zendesk stops sending a webhook's requests for a while when, within five minutes, 70 % of
them failed or more than 1,000 failed. The sandbox also wants ``circuit_min_attempts``
before judging a ratio, and keeps the circuit open ``circuit_open_seconds``; invocations
due meanwhile end as "circuit broken" and are not retried. Use under ``state.lock``.
"""

from __future__ import annotations

from collections import deque

FAILURE_RATIO = 0.7
FAILURE_COUNT = 1000


class CircuitBreaker:
    def __init__(self):
        self._outcomes: dict[str, deque] = {}
        self._open_until: dict[str, float] = {}

    def allows(self, webhook_id: str, now: float) -> bool:
        return now >= self._open_until.get(webhook_id, 0.0)

    def record(self, webhook_id: str, failed: bool, now: float, options: dict) -> None:
        outcomes = self._outcomes.setdefault(webhook_id, deque())
        outcomes.append((now, failed))
        while outcomes and outcomes[0][0] <= now - float(options["circuit_window_seconds"]):
            outcomes.popleft()
        failures = sum(1 for _, bad in outcomes if bad)
        enough = len(outcomes) >= int(options["circuit_min_attempts"])
        if failures > FAILURE_COUNT or (enough and failures >= FAILURE_RATIO * len(outcomes)):
            self._open_until[webhook_id] = now + float(options["circuit_open_seconds"])
            outcomes.clear()
