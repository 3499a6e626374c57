"""A zenpy client pointed at a sandbox, for tests and scripts (zenpy itself unmodified).

zenpy builds ``https://{subdomain}.zendesk.com/...`` URLs and only deserialises responses
whose request URL contains that host. ``RedirectingSession`` therefore sends such requests
to the sandbox with ``Host: sandbox.zendesk.com`` and ``X-Forwarded-Proto: https`` (so the
sandbox writes Zendesk-style ``url``/``next_page`` links, which come back through this
session) and puts the Zendesk URL back on the response.
"""

from __future__ import annotations

import requests
import zenpy

ZENDESK_HOST = "sandbox.zendesk.com"
ZENDESK_PREFIX = f"https://{ZENDESK_HOST}"


class RedirectingSession(requests.Session):
    """Sends requests meant for ``https://sandbox.zendesk.com`` to the sandbox URL."""

    def __init__(self, sandbox_url: str):
        super().__init__()
        self.sandbox_url = sandbox_url.rstrip("/")
        self.trust_env = False

    def request(self, method, url, *args, **kwargs):
        if not (isinstance(url, str) and url.startswith(ZENDESK_PREFIX)):
            return super().request(method, url, *args, **kwargs)
        headers = dict(kwargs.pop("headers", None) or {})
        headers.update({"Host": ZENDESK_HOST, "X-Forwarded-Proto": "https"})
        response = super().request(
            method, self.sandbox_url + url[len(ZENDESK_PREFIX) :], *args, headers=headers, **kwargs
        )
        response.request.url = url
        response.url = url
        return response


def zenpy_client_for(url: str, email: str, token: str, **zenpy_kwargs) -> zenpy.Zenpy:
    """``Zenpy`` authenticated with ``email``/API ``token`` against the sandbox at ``url``.

    zenpy's object cache is off by default here: with it on, ``tickets.incidents(id)`` and
    repeated ``tickets(id=...)`` answer from the cache instead of asking the sandbox.
    """
    zenpy_kwargs.setdefault("disable_cache", True)
    session = RedirectingSession(url)
    session.auth = (f"{email}/token", token)
    return zenpy.Zenpy(subdomain="sandbox", email=email, token=token, session=session, **zenpy_kwargs)
