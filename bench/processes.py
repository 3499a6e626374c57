"""What the benchmarks that start ``incidentdesk serve`` share: a free port on loopback and the
environment a bench server runs with."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_env(database_url: str, webhook_secret: str) -> dict[str, str]:
    """Settings for a bench's ``serve``: its database, the webhook secret its senders sign with,
    and stand-ins for the rest (no Zendesk is called)."""
    return {
        "INCIDENTDESK_SECRET_KEY": "b" * 40,
        "INCIDENTDESK_DATABASE_URL": database_url,
        "ZENDESK_WEBHOOK_SECRET": webhook_secret,
        "ZENDESK_EMAIL": "bench@example.com",
        "ZENDESK_API_TOKEN": "bench",
    }
