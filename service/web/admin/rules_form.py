"""The rules editor form: one field per rule kind, as an admin types it, and back.

Each field becomes rules in the shape ``incident_rules.replace_rules`` takes; fields that hold
several independent rules (regular expressions, "all of these tags", custom field conditions) take
one rule per line. Checking each field alone puts every message next to the field it is about.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime

from werkzeug.datastructures import MultiDict

from service.domain.linking.rules import InvalidRule, validate_rule

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ID_OR_EMAIL = re.compile(r"^(\d+|[^@\s]+@[^@\s]+\.[^@\s]+)$")
_ID_COLUMNS = {"id", "user_id", "requester_id", "customer_id", "requester"}

# field name -> (rule kind, one rule per line?)
FIELDS: dict[str, tuple[str, bool]] = {
    "phrases": ("phrase", False),
    "exclude_phrases": ("exclude_phrase", False),
    "regexes": ("regex", True),
    "tags_any": ("tags_any", False),
    "tags_all": ("tags_all", True),
    "custom_fields": ("custom_field", True),
    "forms": ("form", False),
    "brands": ("brand", False),
    "organizations": ("organization", False),
    "channels": ("channel", False),
    "requesters": ("requester", False),
}


def _customer_columns(header: list[str]) -> list[int]:
    names = [cell.strip().casefold().replace(" ", "_") for cell in header]
    return [i for i, name in enumerate(names) if "email" in name or name in _ID_COLUMNS]


def _from_row(cells: list[str]) -> list[str]:
    """A row without a usable header: its email cells, else its only or first cell as typed."""
    emails = [cell for cell in cells if _EMAIL.match(cell)]
    return emails or cells[:1]


def audience_from_paste(text: str) -> str:
    """Affected customers pasted as a CSV export (or typed one per line), one per line: with a header
    row, the cells of its id and email columns; without one, each row's emails, else its first cell.
    Anything that is no id or email is kept as typed, so validation names it."""
    rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]
    rows = [row for row in rows if any(row)]
    found: list[str] = []
    columns = _customer_columns(rows[0]) if rows and not any(_ID_OR_EMAIL.match(c) for c in rows[0]) else []
    for row in rows[1:] if columns else rows:
        cells = [row[i] for i in columns if i < len(row) and row[i]] if columns else [c for c in row if c]
        found.extend(cells if columns else _from_row(cells))
    return "\n".join(dict.fromkeys(found))


def _window_value(start: str, end: str) -> str:
    return f"{start.strip()} / {end.strip()}" if end.strip() else start.strip()


def _local_input(moment: object) -> str:
    """A stored window bound as a datetime-local value (UTC, to the minute)."""
    try:
        parsed = datetime.fromisoformat(str(moment).strip())
    except ValueError:
        return str(moment)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed.strftime("%Y-%m-%dT%H:%M")


def rule_text(value: object, joiner: str = " ") -> str:
    """A stored rule value as an admin reads and types it."""
    if isinstance(value, (list, tuple)):
        return joiner.join(str(v) for v in value)
    if isinstance(value, Mapping):  # a custom field condition sent as JSON
        values = value.get("values", value.get("value"))
        values = values if isinstance(values, (list, tuple)) else [values]
        return f"{value.get('field_id', '')} = {', '.join(str(v) for v in values)}"
    return str(value)


@dataclass
class RulesForm:
    phrases: str = ""
    exclude_phrases: str = ""
    regexes: str = ""
    tags_any: str = ""
    tags_all: str = ""
    custom_fields: str = ""
    forms: str = ""
    brands: str = ""
    organizations: str = ""
    channels: str = ""
    requesters: str = ""
    window_start: str = ""
    window_end: str = ""

    @classmethod
    def from_request(cls, form: MultiDict) -> RulesForm:
        return cls(**{f.name: form.get(f.name, "").replace("\x00", "") for f in fields(cls)})

    @classmethod
    def from_rules(cls, raw_rules: list[dict]) -> RulesForm:
        """The form filled from ``incident_rules.rules_as_input``."""
        by_kind = {kind: name for name, (kind, _) in FIELDS.items()}
        values: dict[str, list[str]] = {}
        start = end = ""
        for rule in raw_rules:
            kind, value = rule["kind"], rule["value"]
            if kind == "created_within":
                if isinstance(value, Mapping):
                    start, end = str(value.get("start") or ""), str(value.get("end") or "")
                else:
                    start, _, end = str(value).partition("/")
                start, end = _local_input(start), _local_input(end) if end.strip() else ""
            elif kind in by_kind:
                values.setdefault(by_kind[kind], []).append(
                    rule_text(value, "\n" if "phrase" in kind else " ")
                )
        return cls(
            **{name: "\n".join(texts) for name, texts in values.items()}, window_start=start, window_end=end
        )

    def rules(self) -> list[tuple[str, str, str]]:
        """(field name, rule kind, raw value) for every filled field, one per line where it says so."""
        found = []
        for name, (kind, per_line) in FIELDS.items():
            text = getattr(self, name)
            if name == "requesters":
                text = audience_from_paste(text)
            if not text.strip():
                continue
            parts = [line for line in text.splitlines() if line.strip()] if per_line else [text]
            found.extend((name, kind, part) for part in parts)
        if self.window_start.strip() or self.window_end.strip():
            found.append(("window", "created_within", _window_value(self.window_start, self.window_end)))
        return found

    def check(self, now: datetime | None = None) -> tuple[list[dict], dict[str, list[str]]]:
        """The rules as ``replace_rules`` takes them, and the messages per field for what to fix."""
        raw, errors = [], {}
        for name, kind, value in self.rules():
            try:
                validate_rule(kind, value, now=now)
            except InvalidRule as invalid:
                errors.setdefault(name, []).append(str(invalid))
            raw.append({"kind": kind, "value": value})
        return raw, errors
