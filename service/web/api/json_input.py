"""The one way the REST API reads a JSON body: an object, then a marshmallow schema.

A body that is not JSON, is nested too deeply to read, or is not an object is a 400 that says
how to send it; text the database cannot store (a lone UTF-16 surrogate such as ``\\ud800``, a
NUL character) is a 422 naming the field, and so are fields the schema refuses. All are
``IncidentDeskError``s, so the app-wide handler in ``service.web.errors`` answers them; routes
only ever see clean data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from flask import request
from flask.json.provider import DefaultJSONProvider
from marshmallow import Schema, ValidationError

from service.domain.errors import IncidentDeskError, InvalidInput

MAX_DEPTH = 32  # far deeper than any body the API takes; deeper is refused before parsing
STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
BRACKETS = re.compile(r"[][{}]")
TOO_DEEP = f"The JSON nests arrays and objects more than {MAX_DEPTH} levels deep; flatten it."


class UnreadableBody(IncidentDeskError):
    """The body is not a JSON object (answered with 400)."""


class InvalidFields(InvalidInput):
    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__("Some fields are missing, unknown or have the wrong type; see 'fields'.")
        self.errors = errors


def nesting_depth(text: str, stop_at: int | None = None) -> int:
    """How deeply arrays and objects nest in JSON ``text``, brackets inside strings ignored;
    counted without recursion, so any depth is measured safely (and at C speed but for the
    brackets themselves)."""
    depth = deepest = 0
    for bracket in BRACKETS.finditer(STRINGS.sub("", text)):
        if bracket.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if stop_at is not None and deepest >= stop_at:  # deep enough to refuse: stop counting
                break
        else:
            depth -= 1
    return deepest


class BoundedJSONProvider(DefaultJSONProvider):
    """The app's JSON: ``request.get_json`` anywhere (the Zendesk app's routes included) refuses
    nesting deeper than MAX_DEPTH as unreadable (a 400, or None when silent) instead of
    recursing into a RecursionError (a 500)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        text = s.decode(json.detect_encoding(s)) if isinstance(s, bytes) else s
        if _too_deep(text):
            raise ValueError(TOO_DEEP)
        try:
            return super().loads(text, **kwargs)
        except RecursionError:
            raise ValueError(TOO_DEEP) from None


def _too_deep(text: str) -> bool:
    # Only bodies with many brackets are measured, so ordinary bodies cost two counts.
    return (
        text.count("[") + text.count("{") > MAX_DEPTH
        and nesting_depth(text, stop_at=MAX_DEPTH + 1) > MAX_DEPTH
    )


def parse_json(data: bytes) -> Any:
    """JSON from raw bytes, or ``UnreadableBody`` saying what is wrong with them."""
    try:
        text = data.decode(json.detect_encoding(data))  # UTF-8, or UTF-16/32 by their BOM
    except UnicodeDecodeError:
        raise UnreadableBody("The body is not UTF-8 text; send JSON encoded as UTF-8.") from None
    if not text.strip():
        raise UnreadableBody("The body is empty; send a JSON object.")
    if _too_deep(text):
        raise UnreadableBody(TOO_DEEP)
    try:
        return json.loads(text)
    except RecursionError:
        raise UnreadableBody(TOO_DEEP) from None
    except ValueError:
        raise UnreadableBody("The body is not valid JSON; check quotes, commas and brackets.") from None


def _strings(value: Any) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every string in a parsed body (keys included) with where it is: ("messages", "en", "body")."""
    pending: list[tuple[tuple[str, ...], Any]] = [((), value)]
    while pending:
        where, item = pending.pop()
        if isinstance(item, str):
            yield where, item
        elif isinstance(item, dict):
            for key, child in item.items():
                yield (*where, key), key
                pending.append(((*where, key), child))
        elif isinstance(item, list):
            pending.extend(((*where, str(i)), child) for i, child in enumerate(item))


def _problem(text: str) -> str | None:
    if "\x00" in text:
        return "Remove the NUL character (\\u0000) from this text."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "This text has an unpaired surrogate escape (\\ud800-\\udfff); send valid UTF-8."
    return None


def storable_text_problems(body: Any) -> dict[str, Any]:
    """Fields holding text no database column can store (a NUL character, a lone surrogate),
    nested as marshmallow nests its messages: {"status_texts": {"en": "..."}}."""
    problems: dict[str, Any] = {}
    for where, text in _strings(body):
        message = _problem(text)
        if message is None:
            continue
        node = problems
        *parents, leaf = [_printable(part) for part in where]
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):  # the key itself was already reported
                break
            node = child
        else:
            node.setdefault(leaf, message)
    return problems


def _printable(part: str) -> str:
    """A field name as the caller can be shown it (a bad key is shown escaped)."""
    return part if _problem(part) is None else part.encode("unicode_escape").decode("ascii")


def _body_object(example: str) -> dict[str, Any]:
    if not request.is_json:
        raise UnreadableBody("Send JSON with 'Content-Type: application/json'.")
    body = parse_json(request.get_data(cache=True))
    if not isinstance(body, dict):
        raise UnreadableBody(f"Send a JSON object{', e.g. ' + example if example else ''}.")
    return body


def _refuse_unstorable_text(body: dict[str, Any]) -> None:
    problems = storable_text_problems(body)
    if problems:
        raise InvalidFields(problems)


def json_object(example: str = "") -> dict[str, Any]:
    """The request's JSON object; ``example`` shows the caller the expected shape. Text no
    database can store is refused here, wherever in the body it is."""
    body = _body_object(example)
    _refuse_unstorable_text(body)
    return body


def load_json(schema: Schema, example: str = "") -> dict[str, Any]:
    """The body through ``schema``: its own messages first (its text fields say what to fix in
    their words), then the same check for unstorable text as ``json_object``, for every field
    the schema does not check itself."""
    body = _body_object(example)
    try:
        loaded = schema.load(body)
    except ValidationError as invalid:
        raise InvalidFields(invalid.normalized_messages()) from None
    _refuse_unstorable_text(body)
    return loaded
