"""Merge settings as admins send them (form fields or JSON): checked, with a message per field."""

from __future__ import annotations

from collections.abc import Mapping

from service.domain.errors import InvalidInput
from service.domain.phrases import Phrase, sentence
from service.domain.text.customer_locales import CUSTOMER_LOCALES
from service.domain.text.locales import customer_locale
from service.merging.models import MergeSettings

MAX_WINDOW_MINUTES = 30 * 24 * 60
MAX_COMMENT = 2000
COMMENT_KINDS = ("source", "target")
LOWEST_SIMILARITY = 0.3
FLOOR_EXPECTED = sentence(
    "merge_settings.floor_expected",
    "Expected a number from 0.3 to 1.0; set it to the similarity threshold to suggest no alike texts.",
)
FLOOR_ABOVE_THRESHOLD = sentence(
    "merge_settings.floor_above_threshold",
    "The suggestion floor ({floor}) cannot be above the similarity threshold ({threshold}): texts "
    "above the threshold are merged without asking.",
)
TRUE_OR_FALSE = sentence("merge_settings.true_or_false", "Expected on or off.")
WINDOW_EXPECTED = sentence(
    "merge_settings.window_expected", "Expected a whole number of minutes from 1 to {most}."
)
THRESHOLD_EXPECTED = sentence("merge_settings.threshold_expected", "Expected a number from 0.3 to 1.0.")
TAG_EXPECTED = sentence(
    "merge_settings.tag_expected", "Expected one tag: letters, digits, _ or -, up to 80 characters."
)
ORG_IDS_EXPECTED = sentence(
    "merge_settings.org_ids_expected", "Expected organisation ids separated by commas or spaces."
)
TAGS_EXPECTED = sentence("merge_settings.tags_expected", "Expected tags separated by commas or spaces.")
FIELD_ID_EXPECTED = sentence("merge_settings.field_id_expected", "Expected a ticket field id.")
COMMENTS_SHAPE = sentence("merge_settings.comments_shape", "Expected an object like {example}.")
COMMENTS_EXAMPLE = '{"source": {"en": "..."}, "target": {"en": "..."}}'
COMMENT_TEXTS = sentence(
    "merge_settings.comment_texts",
    "Each comment maps a Zendesk locale code (en, he, ru, ar, pt-br, ...) to a text of at most {most} "
    "characters.",
)


class InvalidSettings(InvalidInput):
    def __init__(self, errors: Mapping[str, Phrase]):
        super().__init__("invalid merge settings")
        self.errors = errors


def _ids(value: object) -> list[int]:
    items = value.replace(",", " ").split() if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise ValueError
    ids = [int(i) for i in items]
    if any(i <= 0 or i >= 2**63 for i in ids):
        raise ValueError
    return sorted(set(ids))


def _tags(value: object) -> list[str]:
    items = value.replace(",", " ").split() if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(t, str) for t in items):
        raise ValueError
    return sorted({t.strip().lower() for t in items if t.strip()})


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("1", "true", "on", "yes", "0", "false", "off", "no", ""):
        return value.lower() in ("1", "true", "on", "yes")
    raise ValueError


def clean_settings(data: Mapping[str, object]) -> dict:
    """Values for ``store.save_settings`` from the keys present in ``data``."""
    values: dict = {}
    errors: dict[str, Phrase] = {}
    checks = {
        "enabled": (_bool, TRUE_OR_FALSE()),
        "public_comments": (_bool, TRUE_OR_FALSE()),
        "merge_after_agent_reply": (_bool, TRUE_OR_FALSE()),
        "window_minutes": (
            lambda v: _in_range(int(v), 1, MAX_WINDOW_MINUTES),
            WINDOW_EXPECTED(most=MAX_WINDOW_MINUTES),
        ),
        "similarity_threshold": (lambda v: _in_range(float(v), 0.3, 1.0), THRESHOLD_EXPECTED()),
        "suggestion_floor": (lambda v: _in_range(float(v), LOWEST_SIMILARITY, 1.0), FLOOR_EXPECTED()),
        "suggest_same_organization": (_bool, TRUE_OR_FALSE()),
        "skip_tag": (lambda v: _tag(v), TAG_EXPECTED()),
        "cross_requester_org_ids": (_ids, ORG_IDS_EXPECTED()),
        "intermediary_org_ids": (_ids, ORG_IDS_EXPECTED()),
        "intermediary_tags": (_tags, TAGS_EXPECTED()),
        "order_field_id": (lambda v: _ids(str(v))[0] if v not in (None, "") else None, FIELD_ID_EXPECTED()),
    }
    for key, (convert, expected) in checks.items():
        if key not in data:
            continue
        try:
            values[key] = convert(data[key])
        except (TypeError, ValueError, IndexError):
            errors[key] = expected
    comments = _comments(data, errors)
    if comments is not None:
        values["comments"] = comments
    if errors:
        raise InvalidSettings(errors)
    return values


def check_floor(values: Mapping[str, object], saved_floor: float, saved_threshold: float) -> None:
    """The suggestion floor, new or saved, is not above the threshold, new or saved."""
    floor = values.get("suggestion_floor", saved_floor)
    threshold = values.get("similarity_threshold", saved_threshold)
    if isinstance(floor, float) and isinstance(threshold, float) and floor > threshold:
        raise InvalidSettings({"suggestion_floor": FLOOR_ABOVE_THRESHOLD(floor=floor, threshold=threshold)})


def _in_range(value, low, high):
    if not low <= value <= high:
        raise ValueError
    return value


def _tag(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError
    tag = value.strip().lower()
    if len(tag) > 80 or not all(ch.isalnum() or ch in "_-" for ch in tag):
        raise ValueError
    return tag


def _comments(data: Mapping[str, object], errors: dict[str, Phrase]) -> dict | None:
    """Comments come as {"source": {"en": ...}, "target": {...}} (JSON) or comment_source_en (form)."""
    given = data.get("comments")
    if given is None:
        flat = {
            f"comment_{kind}_{loc}": data.get(f"comment_{kind}_{loc}")
            for kind in COMMENT_KINDS
            for loc in CUSTOMER_LOCALES
        }
        if all(v is None for v in flat.values()):
            return None
        given = {
            k: {loc: flat[f"comment_{k}_{loc}"] or "" for loc in CUSTOMER_LOCALES} for k in COMMENT_KINDS
        }
    if not isinstance(given, dict) or set(given) - set(COMMENT_KINDS):
        errors["comments"] = COMMENTS_SHAPE(example=COMMENTS_EXAMPLE)
        return None
    cleaned: dict[str, dict[str, str]] = {}
    for kind, texts in given.items():
        if (
            not isinstance(texts, dict)
            or not all(isinstance(loc, str) and customer_locale(loc) for loc in texts)
            or not all(
                isinstance(v, str) and len(v) <= MAX_COMMENT and "\x00" not in v for v in texts.values()
            )
        ):
            errors["comments"] = COMMENT_TEXTS(most=MAX_COMMENT)
            return None
        cleaned[kind] = {customer_locale(loc): text.strip() for loc, text in texts.items() if text.strip()}
    return cleaned


def as_json(row: MergeSettings | None, rules) -> dict:
    """Settings as the API shows them: the saved row, or the defaults when none is saved."""
    return {
        "saved": row is not None,
        "enabled": rules.enabled,
        "window_minutes": int(rules.window.total_seconds() // 60),
        "similarity_threshold": rules.similarity_threshold,
        "suggestion_floor": rules.suggestion_floor,
        "suggest_same_organization": rules.suggest_same_organization,
        "public_comments": rules.public_comments,
        "skip_tag": rules.skip_tag,
        "merge_after_agent_reply": rules.merge_after_agent_reply,
        "cross_requester_org_ids": sorted(rules.cross_requester_org_ids),
        "intermediary_tags": sorted(rules.intermediary_tags),
        "intermediary_org_ids": sorted(rules.intermediary_org_ids),
        "order_field_id": rules.order_field_id,
        "comments": {kind: dict(texts) for kind, texts in rules.comments.items()},
    }
