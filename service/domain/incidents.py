"""Validation of what an admin submits for an incident, with messages that say what to fix."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime

from service.domain.adoption import SHADOW
from service.domain.errors import InvalidInput
from service.domain.text.customer_locales import CUSTOMER_LOCALES
from service.domain.text.locales import customer_locale

MAX_PHRASES = 200
MAX_PHRASE_LENGTH = 200
MAX_TITLE_LENGTH = 200
MAX_STATUS_LENGTH = 5000


class InvalidIncident(InvalidInput):
    """``errors`` maps a field name to a list of messages, ready to show next to the field."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class IncidentDraft:
    title: str
    phrases: tuple[str, ...]
    status_texts: dict[str, str] = field(default_factory=dict)
    severity: str = "major"
    default_locale: str = "en"
    shadow_mode: bool = False
    affected_products: tuple[str, ...] = ()
    affected_regions: tuple[str, ...] = ()
    started_at: datetime | None = None
    # Where a ticket without an assignee goes when the incident solves it (and the problem ticket).
    solve_group_id: int | None = None
    solve_assignee_id: int | None = None
    # An existing problem ticket to adopt instead of opening a new one (service.incidents.adopt).
    problem_ticket_id: int | None = None


SEVERITIES = ("minor", "major", "critical")
STAGES = ("investigating", "identified", "monitoring", "resolved")


def unknown_language(locale: object) -> str:
    return f"Unknown language '{locale}'; use a Zendesk locale code: {', '.join(sorted(CUSTOMER_LOCALES))}."


def clean_texts(
    texts: dict[str, str] | None, errors: dict[str, list[str]], field: str = "status_texts"
) -> dict[str, str]:
    """Customer texts per language: any language Zendesk has, keyed by its customer-text code
    (``pt-BR`` -> ``pt-br``), trimmed, at least one."""
    cleaned: dict[str, str] = {}
    for locale, text in (texts or {}).items():
        key = customer_locale(locale)
        text = (text or "").strip()
        if not text:
            continue
        if key is None:
            errors.setdefault(field, []).append(unknown_language(locale))
        elif len(text) > MAX_STATUS_LENGTH:
            errors.setdefault(field, []).append(
                f"The {key} text is longer than {MAX_STATUS_LENGTH} characters."
            )
        else:
            cleaned[key] = text
    if not cleaned and field not in errors:
        errors.setdefault(field, []).append("Write the text for customers in at least one language.")
    return cleaned


def clean_status(stage: str, texts: dict[str, str] | None) -> tuple[str, dict[str, str]]:
    """A status update: a known stage and its customer text per language."""
    errors: dict[str, list[str]] = {}
    if stage not in STAGES:
        errors["stage"] = [f"Stage must be one of {', '.join(STAGES)}."]
    cleaned = clean_texts(texts, errors)
    if errors:
        raise InvalidIncident(errors)
    return stage, cleaned


def clean_report_texts(**texts: dict[str, str] | None) -> dict[str, dict[str, str]]:
    """The post-incident report's texts per language (``what_happened``, ``prevention``):
    optional, so none is fine, but what is written is checked as a customer text is."""
    errors: dict[str, list[str]] = {}
    cleaned = {}
    for field_name, given in texts.items():
        written = {k: v for k, v in (given or {}).items() if (v or "").strip()}
        cleaned[field_name] = clean_texts(written, errors, field_name) if written else {}
    if errors:
        raise InvalidIncident(errors)
    return cleaned


def tag_for_title(title: str) -> str:
    """A Zendesk-safe tag derived from the title: ``incident_checkout_is_down``."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_title.lower()).strip("_")[:50]
    return f"incident_{slug or 'unnamed'}"


def _names(raw: object) -> tuple[str, ...]:
    """A list typed one per line or comma separated, or given as a list."""
    items = raw if isinstance(raw, (list, tuple)) else re.split(r"[\n,]", str(raw or ""))
    return tuple(dict.fromkeys(" ".join(str(i).split()) for i in items if str(i).strip()))


MAX_HELPDESK_ID = 2**63 - 1


def helpdesk_id(raw: object, field: str, what: str, errors: dict[str, list[str]]) -> int | None:
    """An optional helpdesk record id (a group's, an agent's): a positive whole number, or empty."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    text = str(raw).strip()
    digits = text.isascii() and text.isdigit() and len(text) <= 19
    if isinstance(raw, bool) or not digits or not 0 < int(text) <= MAX_HELPDESK_ID:
        errors.setdefault(field, []).append(
            f"Give the {what}'s id in Zendesk as a whole number, e.g. 360001234567, or leave it empty."
        )
        return None
    return int(text)


def clean_solve_assignment(group_id: object, assignee_id: object) -> tuple[int | None, int | None]:
    """Where unassigned tickets go to be solved: (group id, agent id), each optional."""
    errors: dict[str, list[str]] = {}
    cleaned = (
        helpdesk_id(group_id, "solve_group_id", "group", errors),
        helpdesk_id(assignee_id, "solve_assignee_id", "agent", errors),
    )
    if errors:
        raise InvalidIncident(errors)
    return cleaned


def clean_draft(
    title: str,
    phrases: list[str] | tuple[str, ...],
    status_texts: dict[str, str],
    severity: str = "major",
    default_locale: str = "en",
    shadow_mode: bool = False,
    affected_products: object = (),
    affected_regions: object = (),
    started_at: datetime | None = None,
    now: datetime | None = None,
    solve_group_id: object = None,
    solve_assignee_id: object = None,
    problem_ticket_id: object = None,
) -> IncidentDraft:
    errors: dict[str, list[str]] = {}
    group_id = helpdesk_id(solve_group_id, "solve_group_id", "group", errors)
    assignee_id = helpdesk_id(solve_assignee_id, "solve_assignee_id", "agent", errors)
    problem_id = helpdesk_id(problem_ticket_id, "problem_ticket_id", "problem ticket", errors)
    if problem_id is not None and shadow_mode:
        errors.setdefault("problem_ticket_id", []).append(SHADOW())
    now = now or datetime.now(UTC)
    if started_at is not None:
        if started_at.tzinfo is None:
            started_at = started_at.replace(tzinfo=UTC)
        if started_at > now:
            errors.setdefault("started_at", []).append("The start time is in the future; use when it began.")
    title = (title or "").strip()
    if not title:
        errors.setdefault("title", []).append("Give the incident a title, e.g. 'Checkout is down'.")
    elif len(title) > MAX_TITLE_LENGTH:
        errors.setdefault("title", []).append(f"Keep the title under {MAX_TITLE_LENGTH} characters.")

    cleaned: list[str] = []
    for raw in phrases or ():
        phrase = " ".join((raw or "").split())
        if not phrase:
            continue
        if len(phrase) > MAX_PHRASE_LENGTH:
            errors.setdefault("phrases", []).append(
                f"The phrase '{phrase[:30]}…' is longer than {MAX_PHRASE_LENGTH} characters; shorten it."
            )
        elif not any(ch.isalnum() for ch in phrase):
            errors.setdefault("phrases", []).append(f"The phrase '{phrase}' has no letters or digits.")
        elif phrase.casefold() not in {p.casefold() for p in cleaned}:
            cleaned.append(phrase)
    if not cleaned and "phrases" not in errors:
        errors.setdefault("phrases", []).append(
            "Add at least one phrase customers would write, one per line, e.g. 'checkout fails'."
        )
    if len(cleaned) > MAX_PHRASES:
        errors.setdefault("phrases", []).append(f"Use at most {MAX_PHRASES} phrases per incident.")

    texts = clean_texts(status_texts, errors)
    if severity not in SEVERITIES:
        errors.setdefault("severity", []).append(f"Severity must be one of {', '.join(SEVERITIES)}.")
    default_key = customer_locale(default_locale or "en")
    if default_key is None:
        errors.setdefault("default_locale", []).append(unknown_language(default_locale))
    default_locale = default_key or "en"
    if errors:
        raise InvalidIncident(errors)
    return IncidentDraft(
        title=title,
        phrases=tuple(cleaned),
        status_texts=texts,
        severity=severity,
        default_locale=default_locale,
        shadow_mode=bool(shadow_mode),
        affected_products=_names(affected_products),
        affected_regions=_names(affected_regions),
        started_at=started_at,
        solve_group_id=group_id,
        solve_assignee_id=assignee_id,
        problem_ticket_id=problem_id,
    )
