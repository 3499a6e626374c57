"""Typed settings read from the environment.

This module is the only reader of ``os.environ`` in the project. Everything else receives a
``Settings`` object from the composition root (``service.create_app`` or the CLI).
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from email.headerregistry import Address
from pathlib import Path
from urllib.parse import urlsplit

from integrations.zendesk.setup import WEBHOOK_KINDS


class SettingsError(ValueError):
    """A variable is present but cannot be used; the message names it and says what to fix."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None


def _email(env: Mapping[str, str], name: str) -> str:
    """An e-mail address (``name@domain``) or empty."""
    raw = env.get(name, "").strip()
    if not raw:
        return ""
    try:
        address = Address(addr_spec=raw)
    except (ValueError, IndexError):
        address = None
    if address is None or not address.username or "." not in address.domain:
        raise SettingsError(f"{name} must be one e-mail address like digest@example.com, got {raw!r}")
    return raw


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _subdomain(env: Mapping[str, str]) -> str:
    """The account's subdomain goes into URLs and the Zendesk app's frame-ancestors policy."""
    raw = env.get("ZENDESK_SUBDOMAIN", "sandbox")
    if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", raw):
        raise SettingsError(
            f"ZENDESK_SUBDOMAIN must be the account's subdomain, like 'acme' for acme.zendesk.com; got {raw!r}"
        )
    return raw


def _trusted_proxies(env: Mapping[str, str]) -> tuple[str, ...]:
    """Addresses or networks (CIDR) of the reverse proxies whose X-Forwarded-* headers count."""
    raw = env.get("INCIDENTDESK_TRUSTED_PROXIES", "")
    networks = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            networks.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise SettingsError(
                f"INCIDENTDESK_TRUSTED_PROXIES must list addresses or networks like 10.0.0.5, 10.1.0.0/16; got {part!r}"
            ) from None
    return tuple(networks)


def _public_url(env: Mapping[str, str]) -> str:
    raw = env.get("INCIDENTDESK_PUBLIC_URL", "").strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
        raise SettingsError(
            f"INCIDENTDESK_PUBLIC_URL must be the service's address like https://incidentdesk.example.com, got {raw!r}"
        )
    return raw.rstrip("/")


# Zendesk's Apps framework SDK, as its documentation says to load it (auto-updated 2.0 patches):
# https://developer.zendesk.com/documentation/apps/app-developer-guide/using-the-apps-framework/
ZAF_SDK_URL = "https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("json", "text")


@dataclass(frozen=True)
class LogSettings:
    """How a process logs; read apart from ``Settings`` so that a configuration error in those
    can itself be logged. ``None`` is "unset": the command's own default applies."""

    level: str | None = None
    format: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LogSettings:
        env = os.environ if env is None else env
        level = env.get("INCIDENTDESK_LOG_LEVEL", "").strip().upper() or None
        if level is not None and level not in LOG_LEVELS:
            raise SettingsError(
                f"INCIDENTDESK_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level!r}"
            )
        fmt = env.get("INCIDENTDESK_LOG_FORMAT", "").strip().lower() or None
        if fmt is not None and fmt not in LOG_FORMATS:
            raise SettingsError(f"INCIDENTDESK_LOG_FORMAT must be json or text, got {fmt!r}")
        return cls(level=level, format=fmt)


def _webhook_kind(env: Mapping[str, str]) -> str:
    kind = env.get("ZENDESK_WEBHOOK_KIND", "trigger").strip().lower()
    if kind not in WEBHOOK_KINDS:
        raise SettingsError(f"ZENDESK_WEBHOOK_KIND must be one of {', '.join(WEBHOOK_KINDS)}; got {kind!r}")
    return kind


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str = field(repr=False)
    api_token: str = field(default="", repr=False)
    # Zendesk account the service talks to. ``zendesk_base_url`` points zenpy at another host
    # (the sandbox) through the HTTP session, without touching zenpy.
    zendesk_subdomain: str = "sandbox"
    zendesk_email: str = ""
    zendesk_api_token: str = field(default="", repr=False)
    zendesk_base_url: str = ""
    zendesk_webhook_secret: str = field(default="", repr=False)
    # What `setup-zendesk` installs: a webhook connected to triggers ("trigger") or one
    # subscribed to Zendesk's ticket events ("event"); the service accepts both kinds.
    zendesk_webhook_kind: str = "trigger"
    insecure_skip_webhook_signature: bool = False
    webhook_max_age_seconds: int = 300
    max_webhook_bytes: int = 512 * 1024
    # Refused webhook requests: at most this many stored per hour and status code (a sample for
    # inspection); the rest are only counted.
    rejected_samples_per_hour: int = 100
    # Finished inbox rows (done, ignored, failed) and refused requests are deleted after this many
    # days by the worker; pending and leased deliveries are never.
    retention_days: int = 30
    # The audit log is deleted after this many days (0: kept for ever). The post-incident report's
    # timeline is read from it, so keep it longer than reports are wanted.
    audit_retention_days: int = 0
    # The reconciler follows the helpdesk's change feed every this many seconds (0: never), and
    # on its first run reads this far back.
    reconcile_seconds: int = 60
    reconcile_lookback_seconds: int = 3600
    # Worker behaviour.
    run_worker_in_web: bool = False
    worker_batch_size: int = 100
    worker_batch_window_seconds: float = 2.0
    # Batches whose helpdesk jobs may be running at once: above 1 the worker begins the next
    # batch while the last ones' jobs run. 1 (one batch at a time, from claim to record) until
    # tests/flows/test_scale_out.py's double answers with a killed worker are understood.
    worker_batches_in_flight: int = 1
    worker_poll_seconds: float = 0.5
    worker_lease_seconds: int = 60
    worker_max_attempts: int = 8
    job_poll_seconds: float = 0.2
    job_timeout_seconds: float = 120.0
    # How long an agent's click in the sidebar waits on Zendesk's merge job before the sidebar
    # is told it is still running (and asks again): well inside a proxy's read timeout.
    sidebar_job_wait_seconds: float = 8.0
    # The account's API budget (Team 200, Growth/Professional 400, Enterprise 700, High Volume
    # 2,500 a minute) and the share of it left to agents and other integrations.
    zendesk_requests_per_minute: int = 200
    agent_headroom: float = 0.2
    # Whether the account counts each ticket of an ``update_many`` against Zendesk's Update
    # Ticket limit (100 a minute), which Zendesk does not document either way: on, IncidentDesk
    # takes every such ticket from its share of that limit and sends bulk updates no larger.
    zendesk_update_many_counts_items: bool = False
    # The Zendesk app's signed requests (ZAF JWT, RS256): the app's public key (PEM) and the
    # audience Zendesk puts in the token for this installation.
    zendesk_app_public_key: str = ""
    zendesk_app_audience: str = ""
    # Who may frame the app's pages and where their ZAF SDK comes from: the account's agent
    # workspace and Zendesk's SDK. Not read from the environment: only the demo changes them, for
    # its stand-in of the workspace (``service.web.demo_workspace``) on its own origin.
    zendesk_app_frame_origin: str = ""
    zendesk_app_sdk_url: str = ZAF_SDK_URL
    # Requesters or organisations with one of these tags get their tickets' priority raised.
    vip_tags: tuple[str, ...] = ("vip",)
    # Management's digest of the backlog while an incident is active: posted as {"text": ...} to
    # a chat's incoming-webhook URL (Slack, Mattermost, Google Chat, Teams workflows) every
    # ``digest_minutes``; no URL, no digest. The URL is a secret: it is never logged.
    digest_url: str = ""
    digest_minutes: int = 60
    # The same digest by e-mail through the helpdesk: each period a ticket tagged
    # incidentdesk_digest with this address as requester and the digest as IncidentDesk's public
    # comment, which the helpdesk mails to it. Empty: no mail.
    digest_email: str = ""
    # Web server.
    host: str = "127.0.0.1"
    port: int = 8000
    session_cookie_secure: bool = False
    # The reverse proxies in front of the service (addresses or CIDR networks). Only a connection
    # from one of them has its X-Forwarded-For/-Proto believed; from anyone else they are dropped.
    trusted_proxies: tuple[str, ...] = ()
    # How many of those proxies append to X-Forwarded-For (1 when proxies are named and this is
    # unset); with no trusted proxies the client address is the connection's (login throttling
    # counts per address).
    trusted_proxy_hops: int = 0
    # Prometheus: /metrics answers only with ``Authorization: Bearer <metrics_token>`` (unset: no
    # /metrics at all); a `worker` process serves its own on ``worker_metrics_port`` (0: none).
    # With several processes per container, prometheus-client keeps their figures in files in
    # ``metrics_multiprocess_dir`` (PROMETHEUS_MULTIPROC_DIR, read by prometheus-client too).
    metrics_token: str = field(default="", repr=False)
    worker_metrics_port: int = 0
    metrics_multiprocess_dir: str = ""
    # Where admins reach the service (https://incidentdesk.example.com); links that leave the
    # service (the Zendesk app's nav page) use it, never the request's Host header.
    public_url: str = ""

    @property
    def our_requests_per_minute(self) -> int:
        """What IncidentDesk may spend: the plan's budget minus the agents' head-room."""
        return self.our_share_of(self.zendesk_requests_per_minute)

    def our_share_of(self, per_minute: int) -> int:
        """A Zendesk limit minus the agents' head-room."""
        share = min(max(1.0 - self.agent_headroom, 0.05), 1.0)
        return max(1, int(per_minute * share))

    @property
    def zendesk_url(self) -> str:
        """Where Zendesk API calls go: the sandbox when configured, otherwise the account."""
        if self.zendesk_base_url:
            return self.zendesk_base_url.rstrip("/")
        return f"https://{self.zendesk_subdomain}.zendesk.com"

    def with_overrides(self, **changes) -> Settings:
        return replace(self, **changes)

    def describe(self) -> dict[str, object]:
        """Settings safe to print: secrets are reported only as set or unset."""
        shown: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            shown[f.name] = ("set" if value else "unset") if not f.repr else value
        return shown

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, defaults: Mapping[str, str] | None = None
    ) -> Settings:
        """``defaults`` fill in variables the environment leaves unset (the demo uses this)."""
        env = dict(os.environ if env is None else env)
        for name, value in (defaults or {}).items():
            if not env.get(name):
                env[name] = value
        default_db = f"sqlite:///{Path('var').absolute() / 'incidentdesk.db'}"
        secret_key = env.get("INCIDENTDESK_SECRET_KEY", "")
        if not secret_key:
            raise SettingsError(
                "INCIDENTDESK_SECRET_KEY is not set: give it a long random value "
                "(for example the output of `python -c 'import secrets; print(secrets.token_hex(32))'`)"
            )
        trusted_proxies = _trusted_proxies(env)
        hops = _int(env, "INCIDENTDESK_TRUSTED_PROXY_HOPS", 1 if trusted_proxies else 0, minimum=0)
        if hops and not trusted_proxies:
            raise SettingsError(
                "INCIDENTDESK_TRUSTED_PROXY_HOPS is set but INCIDENTDESK_TRUSTED_PROXIES is not: name the proxies' "
                "addresses or networks (10.0.0.5, 10.1.0.0/16), so that no one else can forge X-Forwarded-For"
            )
        if trusted_proxies and not hops:
            raise SettingsError(
                "INCIDENTDESK_TRUSTED_PROXY_HOPS must be at least 1 when INCIDENTDESK_TRUSTED_PROXIES is set"
            )
        if _int(env, "INCIDENTDESK_WORKER_METRICS_PORT", 0) and not env.get("INCIDENTDESK_METRICS_TOKEN"):
            raise SettingsError(
                "INCIDENTDESK_WORKER_METRICS_PORT is set but INCIDENTDESK_METRICS_TOKEN is not: metrics are served "
                "only to a bearer of that token"
            )
        return cls(
            database_url=env.get("INCIDENTDESK_DATABASE_URL") or default_db,
            secret_key=secret_key,
            api_token=env.get("INCIDENTDESK_API_TOKEN", ""),
            zendesk_subdomain=_subdomain(env),
            zendesk_email=env.get("ZENDESK_EMAIL", ""),
            zendesk_api_token=env.get("ZENDESK_API_TOKEN", ""),
            zendesk_base_url=env.get("ZENDESK_BASE_URL", ""),
            zendesk_webhook_secret=env.get("ZENDESK_WEBHOOK_SECRET", ""),
            zendesk_webhook_kind=_webhook_kind(env),
            insecure_skip_webhook_signature=_bool(env, "INCIDENTDESK_INSECURE_SKIP_WEBHOOK_SIGNATURE", False),
            webhook_max_age_seconds=_int(env, "INCIDENTDESK_WEBHOOK_MAX_AGE_SECONDS", 300, minimum=1),
            max_webhook_bytes=_int(env, "INCIDENTDESK_MAX_WEBHOOK_BYTES", 512 * 1024, minimum=1024),
            rejected_samples_per_hour=_int(env, "INCIDENTDESK_REJECTED_SAMPLES_PER_HOUR", 100),
            retention_days=_int(env, "INCIDENTDESK_RETENTION_DAYS", 30, minimum=1),
            audit_retention_days=_int(env, "INCIDENTDESK_AUDIT_RETENTION_DAYS", 0),
            reconcile_seconds=_int(env, "INCIDENTDESK_RECONCILE_SECONDS", 60),
            reconcile_lookback_seconds=_int(env, "INCIDENTDESK_RECONCILE_LOOKBACK_SECONDS", 3600, minimum=60),
            run_worker_in_web=_bool(env, "INCIDENTDESK_RUN_WORKER_IN_WEB", False),
            worker_batch_size=_int(env, "INCIDENTDESK_WORKER_BATCH_SIZE", 100, minimum=1),
            worker_batch_window_seconds=_float(env, "INCIDENTDESK_WORKER_BATCH_WINDOW_SECONDS", 2.0),
            worker_batches_in_flight=_int(env, "INCIDENTDESK_WORKER_BATCHES_IN_FLIGHT", 1, minimum=1),
            worker_poll_seconds=_float(env, "INCIDENTDESK_WORKER_POLL_SECONDS", 0.5),
            worker_lease_seconds=_int(env, "INCIDENTDESK_WORKER_LEASE_SECONDS", 60, minimum=1),
            worker_max_attempts=_int(env, "INCIDENTDESK_WORKER_MAX_ATTEMPTS", 8, minimum=1),
            job_poll_seconds=_float(env, "INCIDENTDESK_JOB_POLL_SECONDS", 0.2),
            job_timeout_seconds=_float(env, "INCIDENTDESK_JOB_TIMEOUT_SECONDS", 120.0),
            sidebar_job_wait_seconds=_float(env, "INCIDENTDESK_SIDEBAR_JOB_WAIT_SECONDS", 8.0),
            zendesk_requests_per_minute=_int(env, "ZENDESK_REQUESTS_PER_MINUTE", 200, minimum=10),
            agent_headroom=_float(env, "INCIDENTDESK_AGENT_HEADROOM", 0.2),
            zendesk_update_many_counts_items=_bool(env, "ZENDESK_UPDATE_MANY_COUNTS_ITEMS", False),
            zendesk_app_public_key=env.get("ZENDESK_APP_PUBLIC_KEY", "").replace("\\n", "\n"),
            zendesk_app_audience=env.get("ZENDESK_APP_AUDIENCE", ""),
            vip_tags=tuple(
                t.strip() for t in env.get("INCIDENTDESK_VIP_TAGS", "vip").split(",") if t.strip()
            ),
            digest_url=env.get("INCIDENTDESK_DIGEST_URL", ""),
            digest_minutes=_int(env, "INCIDENTDESK_DIGEST_MINUTES", 60, minimum=1),
            digest_email=_email(env, "INCIDENTDESK_DIGEST_EMAIL"),
            host=env.get("INCIDENTDESK_HOST", "127.0.0.1"),
            port=_int(env, "INCIDENTDESK_PORT", 8000, minimum=1),
            session_cookie_secure=_bool(env, "INCIDENTDESK_SESSION_COOKIE_SECURE", False),
            trusted_proxies=trusted_proxies,
            trusted_proxy_hops=hops,
            public_url=_public_url(env),
            metrics_token=env.get("INCIDENTDESK_METRICS_TOKEN", ""),
            worker_metrics_port=_int(env, "INCIDENTDESK_WORKER_METRICS_PORT", 0),
            metrics_multiprocess_dir=env.get("PROMETHEUS_MULTIPROC_DIR", ""),
        )
