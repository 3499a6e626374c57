"""What a public status page shows, as plain data: only what was written for customers (the
title, the stages and their status texts with times, the resolution), never notes, rules,
tickets or names. The visitor's language is chosen here, and each text is filled in for a
reader nobody knows: no first name, the page's own address for ``{{status_page_url}}``."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from service.domain.errors import InvalidInput
from service.domain.text.locales import base_locale, customer_locale, direction, pick_text
from service.domain.text.templates import render

MAX_SLUG_LENGTH = 60
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
STATUS_PAGE_PATH = "/status/"


class InvalidSlug(InvalidInput):
    def __init__(self, message: str):
        super().__init__(message)
        self.errors = {"slug": [message]}


def slug_for_title(title: str) -> str:
    """A URL-safe slug from the title: 'Checkout is down!' -> 'checkout-is-down'; a title with
    no Latin letters or digits (Hebrew, Cyrillic) gives 'incident'."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:MAX_SLUG_LENGTH].strip("-")
    return slug or "incident"


def clean_slug(raw: object) -> str:
    """An admin's slug, lower-cased and checked: letters a–z, digits and single hyphens."""
    slug = str(raw or "").strip().lower()
    if not slug:
        raise InvalidSlug("Give the page an address, e.g. 'checkout-is-down'.")
    if len(slug) > MAX_SLUG_LENGTH:
        raise InvalidSlug(f"Keep the address under {MAX_SLUG_LENGTH + 1} characters.")
    if not SLUG.fullmatch(slug):
        raise InvalidSlug(
            "Use only letters a–z, digits and single hyphens between them, e.g. 'checkout-is-down'."
        )
    return slug


def status_page_url(base_url: str, slug: str) -> str:
    """The page's address under the service's public address ('' without one: a link in an
    e-mail must be absolute)."""
    base = base_url.rstrip("/")
    return f"{base}{STATUS_PAGE_PATH}{slug}" if base else ""


def visitor_locale(
    asked: str | None,
    accepted: Iterable[str],
    available: Iterable[str],
    default_locale: str,
) -> str:
    """The page's language: ``?lang=`` when it names a customer locale; else the first of the
    browser's Accept-Language (best first) that a text is written in, directly or through its
    broader form (``pt-br`` finds ``pt``); else the incident's default."""
    chosen = customer_locale(asked)
    if chosen:
        return chosen
    written = {customer_locale(code) or code for code in available}
    for language in accepted:
        locale = customer_locale(language)
        if locale and {locale, customer_locale(base_locale(locale))} & written:
            return locale
    return customer_locale(default_locale) or default_locale


@dataclass(frozen=True)
class StatusVersion:
    """A status version as stored: its stage, texts per locale and time."""

    version: int
    stage: str
    texts: Mapping[str, str]
    at: datetime


@dataclass(frozen=True)
class PublicUpdate:
    version: int
    stage: str
    text: str
    locale: str
    direction: str
    at: datetime


@dataclass(frozen=True)
class PublicIncident:
    slug: str
    title: str
    state: str  # active | resolved
    stage: str  # the current status's stage
    locale: str  # the current text's language: the page's
    direction: str
    url: str
    started_at: datetime | None
    updated_at: datetime | None
    resolved_at: datetime | None
    updates: tuple[PublicUpdate, ...]  # newest first; the resolution among them
    resolution: PublicUpdate | None


# Any placeholder left after ours are filled: the helpdesk's ({{satisfaction.rating_section}}).
_LEFTOVER_PLACEHOLDER = re.compile(r"\{\{[^{}]*\}\}|\{%[^{}]*%\}")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"[ \t]+([,.!?;:،])")
_REPEATED_COMMA = re.compile(r"([,،])(\s*[,،])+")


def public_text(text: str, *, incident_title: str, status_time: datetime, page_url: str) -> str:
    """A status text for a reader nobody knows: the title, time and page filled in, the first
    name and any other placeholder (the survey's) left out, with the spacing they leave tidied:
    'Hi {{first_name}}, checkout' -> 'Hi, checkout'."""
    values = {
        "incident_title": incident_title,
        "status_time": status_time.strftime("%Y-%m-%d %H:%M UTC"),
        "status_page_url": page_url,
    }
    filled = _LEFTOVER_PLACEHOLDER.sub("", render(text, values))
    filled = _REPEATED_COMMA.sub(r"\1", _SPACE_BEFORE_PUNCTUATION.sub(r"\1", filled))
    return "\n".join(line.strip() for line in filled.strip().splitlines())


def public_incident(
    *,
    slug: str,
    title: str,
    state: str,
    default_locale: str,
    versions: Sequence[StatusVersion],
    locale: str,
    url: str,
    started_at: datetime | None,
    resolved_at: datetime | None,
) -> PublicIncident:
    """The incident as the page shows it in ``locale`` (each text falling back as a reply does)."""
    updates = tuple(
        _public_update(v, locale, default_locale, title=title, url=url)
        for v in sorted(versions, key=lambda v: v.version, reverse=True)
        if any(t.strip() for t in v.texts.values())
    )
    current = updates[0] if updates else None
    shown_locale = current.locale if current else locale
    resolution = current if current and state == "resolved" and current.stage == "resolved" else None
    return PublicIncident(
        slug=slug,
        title=title,
        state=state,
        stage=current.stage if current else "investigating",
        locale=shown_locale,
        direction=direction(shown_locale),
        url=url,
        started_at=started_at,
        updated_at=current.at if current else started_at,
        resolved_at=resolved_at,
        updates=updates,
        resolution=resolution,
    )


def _public_update(
    version: StatusVersion, locale: str, default_locale: str, *, title: str, url: str
) -> PublicUpdate:
    chosen, text = pick_text(version.texts, locale, default_locale)
    return PublicUpdate(
        version=version.version,
        stage=version.stage,
        text=public_text(text, incident_title=title, status_time=version.at, page_url=url),
        locale=chosen,
        direction=direction(chosen),
        at=version.at,
    )
