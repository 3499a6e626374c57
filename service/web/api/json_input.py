"""The one way the REST API reads a JSON body: an object, then a marshmallow schema.

A body that is not JSON, or not an object, is a 400 that says how to send it; fields the schema
refuses are a 422 that names each one. Both are ``IncidentDeskError``s, so the app-wide handler in
``service.web.errors`` answers them; routes only ever see clean data.
"""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import Schema, ValidationError

from service.domain.errors import IncidentDeskError, InvalidInput


class UnreadableBody(IncidentDeskError):
    """The body is not a JSON object (answered with 400)."""


class InvalidFields(InvalidInput):
    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__("Some fields are missing, unknown or have the wrong type; see 'fields'.")
        self.errors = errors


def json_object(example: str = "") -> dict[str, Any]:
    """The request's JSON object; ``example`` shows the caller the expected shape."""
    if not request.is_json:
        raise UnreadableBody("Send JSON with 'Content-Type: application/json'.")
    body = request.get_json(silent=True)
    if body is None:
        raise UnreadableBody("The body is not valid JSON; check quotes, commas and brackets.")
    if not isinstance(body, dict):
        raise UnreadableBody(f"Send a JSON object{', e.g. ' + example if example else ''}.")
    return body


def load_json(schema: Schema, example: str = "") -> dict[str, Any]:
    try:
        return schema.load(json_object(example))
    except ValidationError as invalid:
        raise InvalidFields(invalid.normalized_messages()) from None
