"""How unmodified zenpy reaches a Zendesk-compatible host, paced by the request budget."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import requests
from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry
from zenpy import Zenpy

from integrations.base import CallObserver, RequestBudget

# The incremental exports have their own limit (10 requests a minute per account, shared with any
# other integration reading them): a 429 there is most likely that limit's, so it does not pause
# every other call (the caller waits out its Retry-After); were it the account's, the next other
# call is refused too and pauses the budget then.
OWN_LIMIT_PATH = "/api/v2/incremental/"
ID_SEGMENT = re.compile(r"/\d+(\.json)?(?=/|$)")


class RebasingAdapter(HTTPAdapter):
    """Route calls meant for ``origin`` to ``base_url``, and show zenpy the origin in the response.

    zenpy always builds ``https://{subdomain}.zendesk.com/api/v2/...`` and only accepts responses
    whose request URL carries that host. Mounted on the session zenpy is given, this transport
    adapter is how the same, unmodified zenpy talks to the sandbox (or any Zendesk-compatible
    host) by configuration. Links the host returns (``next_page``) are routed the same way.
    """

    def __init__(
        self,
        origin: str,
        base_url: str,
        budget: RequestBudget | None = None,
        observer: CallObserver | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.origin = origin.rstrip("/")
        self.base_url = base_url.rstrip("/")
        self.budget = budget
        self.observer = observer

    def send(self, request: PreparedRequest, **kwargs) -> Response:
        if self.budget is not None:
            self.budget.acquire()
        started = time.monotonic()
        response = self._send_routed(request, **kwargs)
        if self.observer is not None:
            endpoint = endpoint_of(request.url or "")
            self.observer.called(
                request.method or "GET", endpoint, response.status_code, time.monotonic() - started
            )
        if response.status_code == 429 and OWN_LIMIT_PATH not in (request.url or ""):
            try:
                pause = float(response.headers.get("Retry-After", "1"))
            except ValueError:
                pause = 1.0
            if self.budget is not None:
                self.budget.block_for(pause)
            if self.observer is not None:
                self.observer.paused(pause)
        return response

    def _send_routed(self, request: PreparedRequest, **kwargs) -> Response:
        url = request.url or ""
        if url.startswith(self.origin):
            routed_url, shown_url = self.base_url + url[len(self.origin) :], url
        else:
            routed_url, shown_url = url, self.origin + url[len(self.base_url) :]
        routed = request.copy()
        routed.url = routed_url
        response = super().send(routed, **kwargs)
        request.url = shown_url
        response.request = request
        response.url = shown_url
        return response


def endpoint_of(url: str) -> str:
    """A call's endpoint, few enough to count by: the path with every id replaced, no query
    (``https://x.zendesk.com/api/v2/tickets/17/merge.json?a=1`` -> ``/api/v2/tickets/{id}/merge.json``)."""
    path = urlsplit(url).path or "/"
    return ID_SEGMENT.sub(r"/{id}\1", path)


def zenpy_client(
    subdomain: str,
    email: str,
    api_token: str,
    base_url: str | None = None,
    timeout: float = 30.0,
    budget: RequestBudget | None = None,
    observer: CallObserver | None = None,
) -> Zenpy:
    """zenpy waits out each 429's Retry-After itself; its own ``ratelimit_budget`` is left unset
    because it is spent over the client's whole life, which a long-running worker would exhaust."""
    origin = f"https://{subdomain}.zendesk.com"
    session = requests.Session()
    retries = Retry(
        total=3,
        backoff_factor=0.5,
        status_forcelist=(502, 503, 504),
        allowed_methods=frozenset({"GET"}),
        respect_retry_after_header=False,
    )
    adapter = RebasingAdapter(origin, base_url or origin, budget, observer, max_retries=retries)
    session.mount(origin + "/", adapter)
    if base_url and base_url.rstrip("/") != origin:
        session.mount(base_url.rstrip("/") + "/", adapter)
    return Zenpy(
        subdomain=subdomain,
        email=email,
        token=api_token or None,
        session=session,
        timeout=timeout,
        disable_cache=True,
    )
