"""Reading zenpy's recorded Zendesk traffic (betamax cassettes) from the shared reference
folder, in place, and comparing response structure."""

from __future__ import annotations

import base64
import contextlib
import gzip
import json

from tests.helpers import REFERENCE as SHARED_REFERENCE

REFERENCE = SHARED_REFERENCE / "zendesk"
CASSETTES = REFERENCE / "zenpy-cassettes"
OPENAPI = REFERENCE / "oas" / "zendesk-support-oas-snapshot-2024-07.yaml"


def body_text(body: dict) -> str:
    if body.get("base64_string"):
        raw = base64.b64decode(body["base64_string"])
        with contextlib.suppress(OSError):
            raw = gzip.decompress(raw)
        return raw.decode("utf-8")
    return body.get("string") or ""


def interactions(name: str) -> list[dict]:
    data = json.loads((CASSETTES / name).read_text())
    out = []
    for item in data["http_interactions"]:
        request, response = item["request"], item["response"]
        text = body_text(response["body"])
        out.append(
            {
                "method": request["method"],
                "uri": request["uri"],
                "request_body": body_text(request["body"]),
                "status": response["status"]["code"],
                "headers": {k.lower(): v for k, v in response["headers"].items()},
                "body": json.loads(text) if text.strip() else None,
            }
        )
    return out


def cassette_names() -> list[str]:
    return sorted(p.name for p in CASSETTES.glob("Test*.json")) + sorted(
        p.name for p in CASSETTES.glob("Tickets*.json")
    )


def structure_diff(recorded, actual, path: str = "$") -> list[str]:
    """Where ``actual`` lacks a key or has another JSON type than ``recorded``.

    ``null`` on either side matches anything; lists compare their first elements."""
    if recorded is None or actual is None:
        return []
    if isinstance(recorded, dict):
        if not isinstance(actual, dict):
            return [f"{path}: object expected, got {type(actual).__name__}"]
        problems = [f"{path}.{k}: missing" for k in recorded if k not in actual]
        for key in recorded:
            if key in actual:
                problems += structure_diff(recorded[key], actual[key], f"{path}.{key}")
        return problems
    if isinstance(recorded, list):
        if not isinstance(actual, list):
            return [f"{path}: array expected, got {type(actual).__name__}"]
        if recorded and actual:
            return structure_diff(recorded[0], actual[0], f"{path}[0]")
        return []
    kinds = (bool, int, float, str)
    want = next(k for k in kinds if isinstance(recorded, k))
    if want in (int, float) and isinstance(actual, (int, float)) and not isinstance(actual, bool):
        return []
    if not isinstance(actual, want) or (want is int and isinstance(actual, bool)):
        return [f"{path}: {want.__name__} expected, got {type(actual).__name__}"]
    return []
