"""X-Forwarded-* headers believed only from the reverse proxies the settings name.

Behind a proxy the connection's address is the proxy's; the client's is in X-Forwarded-For,
which anyone can also send. So a connection from a trusted proxy (INCIDENTDESK_TRUSTED_PROXIES)
goes through werkzeug's ProxyFix (``trusted_proxy_hops`` values of X-Forwarded-For, one of
X-Forwarded-Proto); from anyone else the forwarded headers are removed before the app sees
them, so nothing downstream (login throttling, logs, URL building) can believe a forged one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

FORWARDED_ENVIRON_KEYS = (
    "HTTP_FORWARDED",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_PREFIX",
)


class TrustedProxies:
    """WSGI middleware: ProxyFix for connections from ``proxies``, forwarded headers dropped
    for every other one."""

    def __init__(self, app: Any, *, proxies: Iterable[str], hops: int):
        self.app = app
        self.networks = tuple(ipaddress.ip_network(p, strict=False) for p in proxies)
        self.fixed = ProxyFix(app, x_for=hops, x_proto=1) if self.networks else None

    def trusts(self, remote_addr: str | None) -> bool:
        if not remote_addr or not self.networks:
            return False
        try:
            address = ipaddress.ip_address(remote_addr)
        except ValueError:  # a UNIX socket or something else that is not an IP address
            return False
        return any(address in network for network in self.networks)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.fixed is not None and self.trusts(environ.get("REMOTE_ADDR")):
            return self.fixed(environ, start_response)
        for key in FORWARDED_ENVIRON_KEYS:
            environ.pop(key, None)
        return self.app(environ, start_response)
