"""The public status pages: ``/status`` (the public active incidents) and ``/status/<slug>``, each
also as Atom (``feed.atom``) and JSON. No login, no cookie, GET only. Every answer carries an
ETag and a short public ``Cache-Control``; its body comes from an in-process cache keyed by the
incident, the format and the language, and rebuilt when the incident's version changes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from service.domain.status_page import documents
from service.domain.status_page.documents import iso
from service.domain.status_page.pages import PublicIncident, visitor_locale
from service.domain.text.locales import customer_locale, direction
from service.status_page.cache import VersionedCache
from service.status_page.reads import (
    PageVersion,
    index_version,
    load_public_incident,
    page_version,
    written_locales,
)
from service.web.context import services
from service.web.i18n import UI_LANGUAGES, translate

bp = Blueprint("status_page", __name__)
T = TypeVar("T")

MAX_AGE_SECONDS = 30
CACHE_CONTROL = f"public, max-age={MAX_AGE_SECONDS}"
ATOM = "application/atom+xml"
HTML = "text/html"
JSON = "application/json"


@dataclass(frozen=True)
class Rendered:
    body: bytes
    mimetype: str
    etag: str


def _rendered(body: str | bytes, mimetype: str) -> Rendered:
    data = body.encode() if isinstance(body, str) else body
    return Rendered(data, mimetype, hashlib.sha256(data).hexdigest()[:32])


@bp.record_once
def _make_cache(state: BlueprintSetupState) -> None:
    state.app.extensions["status_page_cache"] = VersionedCache()


def _cache() -> VersionedCache[Any]:
    cache: VersionedCache[Any] = current_app.extensions["status_page_cache"]
    return cache


def _answer(rendered: Rendered) -> Response:
    """The cached body, or a 304 when the visitor already has it."""
    not_modified = rendered.etag in request.if_none_match
    response = Response(b"" if not_modified else rendered.body, status=304 if not_modified else 200)
    response.mimetype = rendered.mimetype
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Vary"] = "Accept-Language"
    response.set_etag(rendered.etag)
    return response


@lru_cache(maxsize=4096)
def _negotiated(asked: str | None, accept_language: str, written: tuple[str, ...], default: str) -> str:
    """``visitor_locale`` for a request's ``?lang=`` and raw Accept-Language header, remembered:
    a spike brings the same few headers again and again."""
    accepted = [language for language, _ in parse_accept_header(accept_language, LanguageAccept)]
    return visitor_locale(asked, accepted, written, default)


def _visitor_locale(written: tuple[str, ...], default: str) -> str:
    return _negotiated(request.args.get("lang"), request.headers.get("Accept-Language", ""), written, default)


def _stage_label(stage: str, locale: str) -> str:
    return translate(f"stage.{stage}", locale)


def _chrome_language(locale: str) -> str:
    """The page's own strings: in the texts' language where there is a catalog, else English."""
    base = (customer_locale(locale) or "").split("-")[0]
    return base if base in UI_LANGUAGES else "en"


def _incident_in(version: PageVersion) -> tuple[str, tuple[str, ...], Callable[[], PublicIncident]]:
    """The visitor's language for this incident, the languages it is written in, and how to
    read the incident in the visitor's."""
    languages, default = _cache().get(
        ("locales", version.incident_id), version, lambda: _read(written_locales, version.incident_id)
    )
    chosen = _visitor_locale(languages, default)
    return chosen, languages, lambda: _read(load_public_incident, version.incident_id, chosen)


def _read(query: Callable[..., T], *args: object) -> T:
    with services().db.transaction() as session:
        return query(session, *args)


def _version(query: Callable[..., T], *args: object) -> T:
    """A version read: on a bare connection, the cheapest way to the database on every request."""
    with services().db.engine.connect() as connection:
        return query(connection, *args)


def _not_found(kind: str) -> Response:
    locale = _visitor_locale(UI_LANGUAGES, "en")
    if kind == HTML:
        lang = _chrome_language(locale)
        body = render_template("status_page/not_found.html", lang=lang, dir=direction(lang))
        response = Response(body, status=404, mimetype=HTML)
    else:
        message = {"error": "No public status page at this address."}
        response = Response(json.dumps(message), status=404, mimetype=JSON)
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def _incident_answer(slug: str, kind: str) -> Response:
    version = _version(page_version, slug)
    if version is None:
        return _not_found(kind)
    locale, languages, read = _incident_in(version)

    def build() -> Rendered:
        incident = read()
        if kind == HTML:
            lang = _chrome_language(incident.locale)
            return _rendered(
                render_template(
                    "status_page/incident.html", incident=incident, languages=languages, lang=lang, iso=iso
                ),
                HTML,
            )
        if kind == ATOM:  # addressed from the page's fixed address, never from this request's Host
            self_url = f"{incident.url}/feed.atom"
            return _rendered(documents.incident_feed(incident, self_url=self_url, label=_stage_label), ATOM)
        return _rendered(json.dumps(documents.incident_document(incident), ensure_ascii=False), JSON)

    return _answer(_cache().get((kind, version.incident_id, locale), version, build))


def _index_answer(kind: str) -> Response:
    versions = _version(index_version)
    locale = _visitor_locale(UI_LANGUAGES, "en")
    chosen = [_incident_in(version) for version in versions]
    # The index's feed names its own address: keyed by it, so a forged Host header only ever
    # shapes the answers to the requests that sent it.
    key = (kind, "index", public_base_url(), locale, tuple(language for language, _, _ in chosen))

    def build() -> Rendered:
        incidents = [read() for _, _, read in chosen]
        lang = _chrome_language(locale)
        if kind == HTML:
            body = render_template("status_page/index.html", incidents=incidents, lang=lang, iso=iso)
            return _rendered(body, HTML)
        if kind == ATOM:
            feed = documents.index_feed(
                incidents,
                title=translate("status_page.index_title", lang),
                self_url=_absolute(url_for("status_page.index_feed")),
                page_url=_absolute(url_for("status_page.index")),
                lang=lang,
                label=_stage_label,
            )
            return _rendered(feed, ATOM)
        return _rendered(json.dumps(documents.index_document(incidents), ensure_ascii=False), JSON)

    return _answer(_cache().get(key, versions, build))


def public_base_url() -> str:
    """The service's public address when one is set, else the address this request came to."""
    return services().settings.public_url.rstrip("/") or request.host_url.rstrip("/")


def _absolute(path: str) -> str:
    return f"{public_base_url()}{path}"


@bp.get("/status")
def index() -> Response:
    return _index_answer(HTML)


@bp.get("/status.json")
def index_json() -> Response:
    return _index_answer(JSON)


@bp.get("/status/feed.atom")
def index_feed() -> Response:
    return _index_answer(ATOM)


@bp.get("/status/<slug>")
def incident(slug: str) -> Response:
    return _incident_answer(slug, HTML)


@bp.get("/status/<slug>.json")
def incident_json(slug: str) -> Response:
    return _incident_answer(slug, JSON)


@bp.get("/status/<slug>/feed.atom")
def incident_feed(slug: str) -> Response:
    return _incident_answer(slug, ATOM)
