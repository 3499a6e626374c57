"""The request's view of the process: the services built by ``service.wiring``, and the
in-process cache of satisfaction ratings the pages and the API share."""

from __future__ import annotations

from flask import current_app

from service.incidents.satisfaction import RatingsCache
from service.wiring import Services


def services() -> Services:
    return current_app.extensions["incidentdesk"]


def ratings_cache() -> RatingsCache:
    cache: RatingsCache = current_app.extensions.setdefault("incidentdesk_ratings", RatingsCache())
    return cache
