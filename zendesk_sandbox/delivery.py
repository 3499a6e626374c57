"""Asynchronous, signed webhook delivery with Zendesk's headers and retry rules.

Retry rules (Zendesk's webhook documentation, see the sandbox README): a 409 response is
retried up to 3 times; 429 and 503 responses are retried, up to 3 times, when they carry a
``Retry-After`` under 60 seconds; a request that times out is retried up to 5 times.
Anything else (a 500, 502, 504, any 4xx) is final. The circuit breaker is always on, as on
Zendesk (``circuit_breaker: false`` is a sandbox-only switch). The sandbox waits
``retry_delay_seconds`` (short, configurable) between retries instead of Zendesk's longer
backoff, and never waits longer than ``max_retry_after_seconds`` for Retry-After.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import itertools
import queue
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from .circuit import CircuitBreaker
from .state import ACCOUNT_ID, SandboxState, iso

TIMEOUT_SECONDS = 10.0
MAX_409_RETRIES = 3
MAX_TIMEOUT_RETRIES = 5
MAX_RETRY_AFTER_RETRIES = 3  # the cap on 429/503 retries is not confirmed (see the README)
RETRY_AFTER_CEILING = 60
DEFAULT_OPTIONS = {
    "duplicate": False,
    "shuffle": False,
    "shuffle_window_ms": 200,
    "retry_delay_seconds": 0.2,
    "max_retry_after_seconds": 2.0,
    "timeout_seconds": TIMEOUT_SECONDS,
    "circuit_breaker": True,
    "circuit_window_seconds": 300,
    "circuit_min_attempts": 10,
    "circuit_open_seconds": 5,
}


def sign(secret: str, timestamp: str, body: str | bytes) -> str:
    """base64(HMAC-SHA256(key=secret, msg=timestamp + body)), as Zendesk signs."""
    raw = body.encode() if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), timestamp.encode() + raw, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def new_session() -> requests.Session:
    """A session that ignores proxy settings from the environment (receivers are local)."""
    session = requests.Session()
    session.trust_env = False
    return session


def headers_for(webhook: dict, secret: str, invocation_id: str, body: str) -> dict:
    timestamp = iso(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Zendesk Webhook",
        "X-Zendesk-Account-Id": str(ACCOUNT_ID),
        "X-Zendesk-Webhook-Id": webhook["id"],
        "X-Zendesk-Webhook-Invocation-Id": invocation_id,
        "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
        "X-Zendesk-Webhook-Signature": sign(secret, timestamp, body),
    }
    auth = webhook.get("_auth") or {}
    data = auth.get("data") or {}
    if auth.get("type") == "basic_auth":
        token = base64.b64encode(f"{data.get('username', '')}:{data.get('password', '')}".encode())
        headers["Authorization"] = "Basic " + token.decode()
    elif auth.get("type") == "bearer_token":
        headers["Authorization"] = "Bearer " + data.get("token", "")
    elif auth.get("type") == "api_key":
        headers[data.get("name", "X-Api-Key")] = data.get("value", "")
    return headers


def send(
    session: requests.Session, webhook: dict, secret: str, invocation_id: str, body: str, timeout: float
) -> tuple[int | None, str, dict]:
    """One HTTP attempt. Returns (status or None, error text, response headers)."""
    headers = headers_for(webhook, secret, invocation_id, body)
    method = webhook.get("http_method", "POST")
    try:
        resp = session.request(
            method,
            webhook["endpoint"],
            headers=headers,
            data=body.encode() if method != "GET" else None,
            timeout=timeout,
        )
    except requests.Timeout:
        return None, "timeout", headers
    except requests.RequestException as exc:
        return None, f"connection error: {exc.__class__.__name__}", headers
    return resp.status_code, resp.text[:2000], headers | {"_response_headers": dict(resp.headers)}


def retry_delay(status: int | None, attempt: int, response_headers: dict, options: dict) -> float | None:
    """Seconds until the next attempt, or None when Zendesk would not retry."""
    if status is None:
        return options["retry_delay_seconds"] if attempt <= MAX_TIMEOUT_RETRIES else None
    if status == 409:
        return options["retry_delay_seconds"] if attempt <= MAX_409_RETRIES else None
    if status in (429, 503):
        if attempt > MAX_RETRY_AFTER_RETRIES:
            return None
        try:
            after = int(response_headers.get("Retry-After", ""))
        except ValueError:
            return None
        if after >= RETRY_AFTER_CEILING:
            return None
        return min(float(after), options["max_retry_after_seconds"])
    return None


class Deliverer:
    """Scheduler thread plus a small pool of senders; retries go back on the schedule."""

    def __init__(self, state: SandboxState, workers: int = 4):
        self.state = state
        self._stop = threading.Event()
        self._heap: list = []
        self._heap_lock = threading.Lock()
        self._seq = itertools.count()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sandbox-hook")
        self._sessions = threading.local()  # requests sessions are not shared across threads
        self._breaker = CircuitBreaker()
        self._thread = threading.Thread(target=self._loop, name="sandbox-deliveries", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _options(self) -> dict:
        return DEFAULT_OPTIONS | self.state.webhook_options

    def _schedule(self, due: float, invocation_id: str, attempt: int) -> None:
        with self._heap_lock:
            heapq.heappush(self._heap, (due, next(self._seq), invocation_id, attempt))

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._collect()
            now = time.monotonic()
            with self._heap_lock:
                due = []
                while self._heap and self._heap[0][0] <= now:
                    due.append(heapq.heappop(self._heap))
            for _, _, invocation_id, attempt in due:
                self._pool.submit(self._attempt, invocation_id, attempt)

    def _collect(self) -> None:
        """Move new invocations from the queue onto the schedule (shuffled if asked)."""
        timeout = 0.02 if self._heap else 0.05
        fresh = []
        try:
            fresh.append(self.state.delivery_queue.get(timeout=timeout))
            while True:
                fresh.append(self.state.delivery_queue.get_nowait())
        except queue.Empty:
            pass
        options = self._options()
        now = time.monotonic()
        for invocation_id in fresh:
            spread = options["shuffle_window_ms"] / 1000.0 if options["shuffle"] else 0.0
            self._schedule(now + random.uniform(0, spread), invocation_id, 1)
            if options["duplicate"] and random.random() < float(options["duplicate"]):
                self._schedule(now + random.uniform(0, spread), invocation_id, 1)

    def _attempt(self, invocation_id: str, attempt: int) -> None:
        state = self.state
        with state.lock:
            invocation = state.invocations.get(invocation_id)
            webhook = state.webhooks.get(invocation["webhook_id"]) if invocation else None
            secret = state.webhook_secrets.get(webhook["id"]) if webhook else None
        if invocation is None or webhook is None:
            return
        options = self._options()
        if options["circuit_breaker"] and self._circuit_broken(invocation, webhook, attempt):
            return
        if not hasattr(self._sessions, "session"):
            self._sessions.session = new_session()
        status, text, headers = send(
            self._sessions.session,
            webhook,
            secret,
            invocation_id,
            invocation["body"],
            float(options["timeout_seconds"]),
        )
        response_headers = headers.pop("_response_headers", {})
        succeeded = status is not None and 200 <= status < 300
        delay = None if succeeded else retry_delay(status, attempt, response_headers, options)
        with state.lock:
            if options["circuit_breaker"]:
                self._breaker.record(webhook["id"], not succeeded, time.monotonic(), options)
            state.deliveries.append(
                {
                    "webhook_id": webhook["id"],
                    "invocation_id": invocation_id,
                    "attempt": attempt,
                    "url": webhook["endpoint"],
                    "status": status,
                    "error": text if status is None else None,
                    "body": invocation["body"],
                    "headers": headers,
                    "at": iso(time.time()),
                    "response": text if status is not None else None,
                }
            )
            invocation["attempts"] += 1
            invocation["status_code"] = status
            invocation["latest_completed_at"] = iso(time.time())
            if succeeded:
                invocation["status"] = "success"
            elif delay is None:
                invocation["status"] = "failed"
            else:
                invocation["status"] = "retrying"
        if delay is not None and not self._stop.is_set():
            self._schedule(time.monotonic() + delay, invocation_id, attempt + 1)

    def _circuit_broken(self, invocation: dict, webhook: dict, attempt: int) -> bool:
        """While the webhook's circuit is open the invocation ends unsent."""
        with self.state.lock:
            if self._breaker.allows(webhook["id"], time.monotonic()):
                return False
            self.state.deliveries.append(
                {
                    "webhook_id": webhook["id"],
                    "invocation_id": invocation["id"],
                    "attempt": attempt,
                    "url": webhook["endpoint"],
                    "status": None,
                    "error": "circuit broken",
                    "body": invocation["body"],
                    "headers": {},
                    "at": iso(time.time()),
                    "response": None,
                }
            )
            invocation["status"] = "circuit broken"
            invocation["latest_completed_at"] = iso(time.time())
            return True
