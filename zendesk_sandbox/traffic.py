"""Per-endpoint call counters and injected faults for ``/api/v2`` requests."""

from __future__ import annotations

import random
import re
import time

from .common import ApiError
from .state import SandboxState

_ID_SEGMENT = re.compile(r"^(\d+|V3-[0-9a-f]+|[0-9A-HJKMNP-TV-Z]{26})$")


def endpoint_key(method: str, path: str) -> str:
    """``PUT /api/v2/tickets/12.json`` -> ``PUT /api/v2/tickets/{id}``."""
    if path.endswith(".json"):
        path = path[:-5]
    parts = ["{id}" if _ID_SEGMENT.match(p) else p for p in path.split("/")]
    return f"{method} {'/'.join(parts)}"


def count(state: SandboxState, method: str, path: str) -> None:
    key = endpoint_key(method, path)
    with state.lock:
        state.counters[key] = state.counters.get(key, 0) + 1


def _take(faults: dict, name: str) -> dict | None:
    """Consume one use of a counted fault; drop it when used up."""
    fault = faults.get(name)
    if not fault:
        return None
    fault["remaining"] = fault.get("remaining", fault.get("count", 1)) - 1
    if fault["remaining"] <= 0:
        faults.pop(name, None)
    return fault


def latency_seconds(spec: dict) -> float:
    """A delay drawn from ``{"distribution": fixed|uniform|normal|exponential, ...}`` (ms)."""
    kind = spec.get("distribution", "fixed")
    if kind == "uniform":
        ms = random.uniform(spec.get("min_ms", 0), spec.get("max_ms", 0))
    elif kind == "normal":
        ms = random.gauss(spec.get("mean_ms", 0), spec.get("stddev_ms", 0))
    elif kind == "exponential":
        ms = random.expovariate(1.0 / max(spec.get("mean_ms", 1), 1e-3))
    else:
        ms = spec.get("ms", 0)
    return max(0.0, ms) / 1000.0


def apply_faults(state: SandboxState) -> None:
    """Sleep or fail as the configured faults say; called before authentication."""
    with state.lock:
        faults = state.faults
        latency = faults.get("latency")
        timeout = _take(faults, "timeout")
        burst = _take(faults, "error_burst")
        storm = _take(faults, "rate_limit_storm")
    if latency:
        time.sleep(latency_seconds(latency))
    if timeout:
        time.sleep(float(timeout.get("seconds", 30)))
        raise ApiError(504, {"error": "GatewayTimeout", "description": "Request timed out"})
    if burst:
        status = int(burst.get("status", 503))
        raise ApiError(
            status,
            {
                "error": "ServiceUnavailable" if status == 503 else "InternalError",
                "description": "Injected server error",
            },
        )
    if storm:
        raise ApiError(
            429,
            {
                "error": "APIRateLimitExceeded",
                "description": "Number of allowed API requests per minute exceeded",
            },
            {"Retry-After": str(int(storm.get("retry_after", 1)))},
        )
