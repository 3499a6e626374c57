"""The REST API's documentation page for people: the OpenAPI document's operations by tag, and
each schema's fields (``/admin/api``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from service.web.api.openapi import document
from service.web.auth import login_required

bp = Blueprint("apidocs", __name__, url_prefix="/admin")


@bp.get("/api")
@login_required
def page() -> str:
    groups, schemas = for_people()
    return render_template("api/docs.html", groups=groups, schemas=schemas)


def _ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref") or (schema.get("items") or {}).get("$ref")
    return ref.rsplit("/", 1)[1] if ref else None


def _type_of(schema: dict[str, Any]) -> str:
    name = _ref_name(schema)
    if schema.get("type") == "array":
        return f"[{name or schema.get('items', {}).get('type', 'any')}]"
    return name or schema.get("type", "any") + (" | null" if schema.get("nullable") else "")


def _answer_name(answer: dict[str, Any]) -> str | None:
    content = answer.get("content") or {}
    json_body = content.get("application/json", {}).get("schema", {})
    return _ref_name(json_body) or (next(iter(content)) if content and not json_body.get("$ref") else None)


def for_people() -> tuple[list[tuple[str, list[dict[str, Any]]]], list[tuple[str, list[dict[str, Any]]]]]:
    """The document as the docs page lists it: operations by tag, then each schema's fields."""
    doc = document()
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            body = (
                (op.get("requestBody") or {}).get("content", {}).get("application/json", {}).get("schema", {})
            )
            groups.setdefault(op["tags"][0], []).append(
                {
                    "method": method,
                    "path": path,
                    "anchor": f"{method}-{path.strip('/').replace('/', '-').replace('{', '').replace('}', '')}",
                    "summary": op["summary"],
                    "description": op.get("description", ""),
                    "body": _ref_name(body),
                    "answers": [(status, _answer_name(answer)) for status, answer in op["responses"].items()],
                }
            )
    schemas = [
        (
            name,
            [
                {
                    "name": field_name,
                    "type": _type_of(prop),
                    "ref": _ref_name(prop),
                    "required": field_name in schema.get("required", ()),
                    "description": prop.get("description", ""),
                }
                for field_name, prop in schema.get("properties", {}).items()
            ],
        )
        for name, schema in sorted(doc["components"]["schemas"].items())
    ]
    return list(groups.items()), schemas
