"""The sandbox's in-memory account: one store (a dict) per resource, ids, clock and queues.

Records are kept in Zendesk's JSON shape without the ``url`` field, which depends on the
host a client used and is added when a record is rendered. Every read-modify-write of the
stores happens under ``state.lock``.
"""

from __future__ import annotations

import base64
import itertools
import os
import queue
import threading
import time
from datetime import UTC, datetime

from .limits import RateLimits
from .locales import account_locale, locale_id_for

DEMO_AGENT_EMAIL = "agent@sandbox.incidentdesk.test"
DEMO_API_TOKEN = "sandbox-demo-token"
DEMO_OAUTH_TOKEN = "sandbox-demo-oauth-token"
ACCOUNT_ID = 18_000_042
SUBDOMAIN = "sandbox"

PLAN_LIMITS = {
    # A trial account: the API budget is assumed to be Team's (not confirmed); its webhook limits
    # are in ``events`` (10 webhooks, 60 invocations a minute).
    "trial": 200,
    "team": 200,
    "growth": 400,
    "professional": 400,
    "enterprise": 700,
    "high_volume": 2500,
    "enterprise_plus": 2500,
}

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def iso(ts: float) -> str:
    """Zendesk's timestamp format: second precision, UTC, ``Z`` suffix."""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> float:
    text = text.strip()
    if len(text) == 10:
        text += "T00:00:00Z"
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def ulid() -> str:
    """A 26-character ULID-like id, the form Zendesk uses for webhooks and invocations."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


class SandboxState:
    """Everything one sandbox account holds. ``reset()`` returns it to an empty account
    with the demo admin agent and the account-level API token."""

    def __init__(self, plan: str = "team"):
        if plan not in PLAN_LIMITS:
            raise ValueError(f"unknown plan {plan!r}; expected one of {sorted(PLAN_LIMITS)}")
        self.plan = plan
        self.lock = threading.RLock()
        self.job_queue: queue.Queue = queue.Queue()
        self.delivery_queue: queue.Queue = queue.Queue()
        self.base_url = f"https://{SUBDOMAIN}.zendesk.com"
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self._drain(self.job_queue)
            self._drain(self.delivery_queue)
            self._ids = itertools.count(360_000_000_001)
            self._ticket_ids = itertools.count(1)
            self.users: dict[int, dict] = {}
            self.organizations: dict[int, dict] = {}
            self.groups: dict[int, dict] = {}
            self.tickets: dict[int, dict] = {}
            self.comments: dict[int, list[dict]] = {}
            self.audits: dict[int, list[dict]] = {}
            self.satisfaction_ratings: dict[int, dict] = {}
            self.webhooks: dict[str, dict] = {}
            self.webhook_secrets: dict[str, str] = {}
            self.triggers: dict[int, dict] = {}
            self.macros: dict[int, dict] = {}
            self.dynamic_content: dict[int, dict] = {}
            self.ticket_fields: dict[int, dict] = {}
            self.jobs: dict[str, dict] = {}
            self.invocations: dict[str, dict] = {}
            self.deliveries: list[dict] = []
            self.api_tokens: set[str] = {DEMO_API_TOKEN}
            self.oauth_tokens: dict[str, int] = {}
            self.counters: dict[str, int] = {}
            self.faults: dict = {}
            self.webhook_options: dict = {"duplicate": False, "shuffle": False}
            self.job_ttl_seconds = 3600
            # Account settings that change how tickets behave; Zendesk's defaults.
            self.account_settings: dict = {"tickets": {"assign_tickets_upon_solve": True}}
            self.rate_limits = RateLimits(self)
            self.default_group_id = self._add_group("Support")
            self.brand_id = self.next_id()
            self.ticket_form_id = self.next_id()
            self.custom_status_ids = {
                status: self.next_id() for status in ("new", "open", "pending", "hold", "solved", "closed")
            }
            self.admin_id = self.add_user(
                name="Sandbox Admin",
                email=DEMO_AGENT_EMAIL,
                role="admin",
                default_group_id=self.default_group_id,
            )
            self.oauth_tokens[DEMO_OAUTH_TOKEN] = self.admin_id

    @staticmethod
    def _drain(q: queue.Queue) -> None:
        while True:
            try:
                q.get_nowait()
            except queue.Empty:
                return

    # ---- ids and clock -------------------------------------------------------------
    def next_id(self) -> int:
        return next(self._ids)

    def next_ticket_id(self) -> int:
        return next(self._ticket_ids)

    def restart_ids(self, next_id: int, next_ticket_id: int) -> None:
        self._ids = itertools.count(next_id)
        self._ticket_ids = itertools.count(next_ticket_id)

    def now(self) -> str:
        return iso(time.time())

    @property
    def rate_limit(self) -> int:
        return PLAN_LIMITS[self.plan]

    # ---- basic records -------------------------------------------------------------
    def _add_group(self, name: str) -> int:
        gid = self.next_id()
        now = self.now()
        self.groups[gid] = {
            "id": gid,
            "name": name,
            "description": "",
            "default": True,
            "deleted": False,
            "is_public": True,
            "created_at": now,
            "updated_at": now,
        }
        return gid

    def add_user(
        self,
        *,
        name: str,
        email: str | None = None,
        role: str = "end-user",
        locale: str | None = None,
        organization_id: int | None = None,
        tags=(),
        external_id=None,
        phone=None,
        default_group_id=None,
        user_fields=None,
    ) -> int:
        uid = self.next_id()
        now = self.now()
        agent = role in ("agent", "admin")
        locale = locale or account_locale(self)  # as Zendesk: a new user speaks the account's language
        self.users[uid] = {
            "id": uid,
            "name": name,
            "email": email.lower() if email else None,
            "created_at": now,
            "updated_at": now,
            "time_zone": "UTC",
            "iana_time_zone": "Etc/UTC",
            "phone": phone,
            "shared_phone_number": None,
            "photo": None,
            "locale_id": locale_id_for(locale),
            "locale": locale,
            "organization_id": organization_id,
            "role": role,
            "verified": agent,
            "external_id": external_id,
            "tags": list(tags),
            "alias": None,
            "active": True,
            "shared": False,
            "shared_agent": False,
            "last_login_at": None,
            "two_factor_auth_enabled": False if not agent else None,
            "signature": None,
            "details": None,
            "notes": None,
            "role_type": 4 if role == "admin" else None,
            "custom_role_id": None,
            "moderator": role == "admin",
            "ticket_restriction": None if agent else "requested",
            "only_private_comments": False,
            "restricted_agent": not agent,
            "suspended": False,
            "default_group_id": default_group_id,
            "report_csv": role == "admin",
            "user_fields": dict(user_fields or {}),
        }
        return uid

    def user_by_email(self, email: str | None) -> dict | None:
        if not email:
            return None
        email = email.lower()
        for user in self.users.values():
            if user["email"] == email:
                return user
        return None

    def new_signing_secret(self) -> str:
        return base64.b64encode(os.urandom(32)).decode()
