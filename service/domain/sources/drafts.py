"""Validation of a source an admin adds, with messages that say what to fix."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from service.domain.errors import InvalidInput
from service.domain.phrases import sentence
from service.domain.sources.events import SourceKind
from service.domain.text.locales import customer_locale

MAX_NAME = 120
MAX_COVERS = 200
MAX_SECRET = 200


CHOOSE_KIND = sentence("source.choose_kind", "Choose one of {kinds}.")
NAME_IT = sentence("source.name_it", "Name the source, e.g. 'PagerDuty: checkout service'.")
NAME_TOO_LONG = sentence("source.name_too_long", "Keep the name under {limit} characters.")
CHOOSE_TEMPLATE = sentence(
    "source.choose_template", "Choose the incident whose rules and texts new incidents start from."
)
COVERS_TOO_LONG = sentence("source.covers_too_long", "Keep it under {limit} characters.")
UNKNOWN_LANGUAGE = sentence(
    "source.unknown_language",
    "The vendor's language must be a language Zendesk speaks, e.g. en, he, bg, pt-br.",
)
STATUSPAGE_UNSIGNED = sentence(
    "source.statuspage_unsigned",
    "Statuspage signs nothing; leave the secret empty (the delivery URL is the secret).",
)
SECRET_TOO_LONG = sentence("source.secret_too_long", "The secret is longer than {limit} characters.")
PAGERDUTY_SECRET = sentence(
    "source.pagerduty_secret",
    "Paste the signing secret PagerDuty showed when the webhook subscription was created.",
)
INCIDENT_IO_SECRET = sentence(
    "source.incident_io_secret", "Paste the webhook's signing secret from incident.io; it starts with whsec_."
)
INCIDENT_IO_BASE64 = sentence(
    "source.incident_io_base64", "The part after whsec_ is not base64; copy the whole secret again."
)
NOTES_PAGERDUTY_ONLY = sentence(
    "source.notes_pagerduty_only", "Impact notes go to PagerDuty only; leave these empty for this tool."
)
NOTES_KEY = sentence(
    "source.notes_key", "Paste a PagerDuty REST API key to post impact notes, or leave both empty."
)
NOTES_FROM = sentence("source.notes_from", "Give the e-mail of a PagerDuty user; notes are posted as them.")
NOTES_URL = sentence("source.notes_url", "Give the API's address, e.g. https://api.pagerduty.com.")


class InvalidSource(InvalidInput):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class SourceDraft:
    kind: SourceKind
    name: str
    template_incident_id: int
    covers: str = ""
    locale: str = "en"
    auto_declare: bool = False
    auto_resolve: bool = True
    broadcast_updates: bool = True
    signing_secret: str = ""  # empty for a generic source: one is made and shown once
    # PagerDuty only: an API key and a user's e-mail to post customer impact as incident notes.
    notes_api_token: str = ""
    notes_from: str = ""
    notes_api_url: str = ""


def _secret_problem(kind: SourceKind, secret: str) -> str | None:
    if kind == SourceKind.STATUSPAGE:
        return STATUSPAGE_UNSIGNED() if secret else None
    if len(secret) > MAX_SECRET:
        return SECRET_TOO_LONG(limit=MAX_SECRET)
    if kind == SourceKind.PAGERDUTY and not secret:
        return PAGERDUTY_SECRET()
    if kind == SourceKind.INCIDENT_IO:
        if not secret.startswith("whsec_"):
            return INCIDENT_IO_SECRET()
        try:
            base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except (binascii.Error, ValueError):
            return INCIDENT_IO_BASE64()
    return None


def clean_source(
    *,
    kind: object,
    name: object,
    template_incident_id: object,
    covers: object = "",
    locale: object = "en",
    auto_declare: object = False,
    auto_resolve: object = True,
    broadcast_updates: object = True,
    signing_secret: object = "",
    notes_api_token: object = "",
    notes_from: object = "",
    notes_api_url: object = "",
) -> SourceDraft:
    errors: dict[str, list[str]] = {}
    kinds = [k.value for k in SourceKind]
    if kind not in kinds:
        errors["kind"] = [CHOOSE_KIND(kinds=", ".join(kinds))]
    clean_name = " ".join(str(name or "").split())
    if not clean_name:
        errors["name"] = [NAME_IT()]
    elif len(clean_name) > MAX_NAME:
        errors["name"] = [NAME_TOO_LONG(limit=MAX_NAME)]
    template = str(template_incident_id or "").strip()
    if not (template.isascii() and template.isdigit() and 0 < int(template) < 2**31):
        errors["template_incident_id"] = [CHOOSE_TEMPLATE()]
    clean_covers = str(covers or "").strip()
    if len(clean_covers) > MAX_COVERS:
        errors["covers"] = [COVERS_TOO_LONG(limit=MAX_COVERS)]
    clean_locale = customer_locale(str(locale or "").strip() or "en") or ""
    if not clean_locale:
        errors["locale"] = [UNKNOWN_LANGUAGE()]
    secret = str(signing_secret or "").strip()
    if kind in kinds:
        problem = _secret_problem(SourceKind(str(kind)), secret)
        if problem:
            errors["signing_secret"] = [problem]
    notes = _clean_notes(
        kind,
        str(notes_api_token or "").strip(),
        str(notes_from or "").strip(),
        str(notes_api_url or "").strip(),
        errors,
    )
    if errors:
        raise InvalidSource(errors)
    return SourceDraft(
        kind=SourceKind(str(kind)),
        name=clean_name,
        template_incident_id=int(template),
        covers=clean_covers,
        locale=clean_locale,
        auto_declare=bool(auto_declare),
        auto_resolve=bool(auto_resolve),
        broadcast_updates=bool(broadcast_updates),
        signing_secret=secret,
        notes_api_token=notes[0],
        notes_from=notes[1],
        notes_api_url=notes[2],
    )


PAGERDUTY_API_URL = "https://api.pagerduty.com"


def _clean_notes(
    kind: object, token: str, sender: str, url: str, errors: dict[str, list[str]]
) -> tuple[str, str, str]:
    """Impact notes back to the tool: PagerDuty only, with an API key, a user's e-mail (its
    ``From`` header) and the API's address (PagerDuty's unless a stand-in is named)."""
    if not (token or sender):
        return "", "", ""
    if kind != SourceKind.PAGERDUTY:
        errors["notes_api_token"] = [NOTES_PAGERDUTY_ONLY()]
    if not token or len(token) > MAX_SECRET:
        errors["notes_api_token"] = [NOTES_KEY()]
    if "@" not in sender or len(sender) > 254:
        errors["notes_from"] = [NOTES_FROM()]
    url = url or PAGERDUTY_API_URL
    if not url.startswith(("https://", "http://")) or len(url) > 200:
        errors["notes_api_url"] = [NOTES_URL()]
    return token, sender, url
