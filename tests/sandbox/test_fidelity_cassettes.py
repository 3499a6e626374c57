"""Replay the requests zenpy recorded against real Zendesk and compare the sandbox's
answers: same status code, the recorded keys present with the same JSON types, and the
recorded rate-limit/location headers. Ids, timestamps and cursors are mapped, not compared.
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import quote, urlsplit

import pytest

from tests.helpers import needs_reference
from zendesk_sandbox.seed import seed_demo

from .cassettes import CASSETTES, cassette_names, interactions, structure_diff

pytestmark = needs_reference(CASSETTES)

# Requests of zenpy's own test set-up that IncidentDesk does not use.
NOT_SANDBOXED = {"/api/v2/custom_roles/": "custom roles (read by zenpy's test set-up)"}
CHECKED_HEADERS = (
    "x-rate-limit",
    "x-rate-limit-remaining",
    "rate-limit",
    "rate-limit-remaining",
    "rate-limit-reset",
    "location",
    "content-type",
)
MAPPED_KEYS = ("id", "after_cursor", "before_cursor")
# Custom user/organization fields defined in the recorded account only.
ACCOUNT_SPECIFIC = re.compile(r"\.(user_fields|organization_fields)\.\w+: missing")
# Objects the recorded account already had before zenpy's tests ran.
PREEXISTING_WEBHOOK = "01HAN96XNH1J7DY8D7RZ22QMT9"
PREEXISTING_INVOCATION = "01HANA2B5D5W9XSJS3NE5SQA1J"


def _learn_ids(recorded, actual, mapping: dict) -> None:
    if isinstance(recorded, dict) and isinstance(actual, dict):
        for key, value in recorded.items():
            other = actual.get(key)
            if (
                key in MAPPED_KEYS
                and value is not None
                and other is not None
                and not isinstance(value, (dict, list))
                and str(value) != str(other)
            ):
                mapping[str(value)] = str(other)
            _learn_ids(value, other, mapping)
    elif isinstance(recorded, list) and isinstance(actual, list):
        for rec, act in zip(recorded, actual, strict=False):
            _learn_ids(rec, act, mapping)


def _substitute(text: str, mapping: dict, receiver_url: str) -> str:
    text = re.sub(r"https://example\.(com|org)[^\"\s]*", receiver_url, text)
    for old in sorted(mapping, key=len, reverse=True):
        for form in {old, quote(old, safe="")}:
            new = mapping[old] if form == old else quote(mapping[old], safe="")
            text = re.sub(rf"(?<![\w-]){re.escape(form)}(?![\w-])", new, text)
    return text


def _inject_webhook(state, webhook_id: str) -> None:
    """A webhook the recorded account had before the recording started."""
    from zendesk_sandbox.webhook_routes import create_webhook

    with state.lock:
        hook = create_webhook(
            state,
            {
                "name": "existing",
                "description": "existed before the recording",
                "status": "active",
                "endpoint": "http://127.0.0.1:9/unused",
                "subscriptions": ["zen:event-type:user.deleted"],
                "authentication": {
                    "type": "basic_auth",
                    "add_position": "header",
                    "data": {"username": "u", "password": "p"},
                },
            },
            state.admin_id,
        )
        del state.webhooks[hook["id"]]
        hook["id"] = webhook_id
        state.webhooks[webhook_id] = hook
        state.webhook_secrets[webhook_id] = state.new_signing_secret()


def _inject_invocations(state, webhook_id: str, count: int) -> None:
    """Past failed invocations: as many as the recorded account had (9 pages)."""
    with state.lock:
        for n in range(count):
            invocation_id = PREEXISTING_INVOCATION if n == count - 1 else f"{n:026d}"
            state.invocations[invocation_id] = {
                "id": invocation_id,
                "webhook_id": webhook_id,
                "trigger_id": None,
                "ticket_id": None,
                "body": "{}",
                "created_at": state.now(),
                "status": "failed",
                "attempts": 1,
                "status_code": 403,
                "latest_completed_at": state.now(),
            }
            state.deliveries.append(
                {
                    "webhook_id": webhook_id,
                    "invocation_id": invocation_id,
                    "attempt": 1,
                    "url": "http://127.0.0.1:9/unused",
                    "status": 403,
                    "error": None,
                    "body": "{}",
                    "headers": {"User-Agent": "Zendesk Webhook"},
                    "at": state.now(),
                    "response": "denied",
                }
            )


def _ensure_referenced_webhooks(state, path: str, mapping: dict) -> None:
    match = re.search(r"/webhooks/([0-9A-Z]{26})", path)
    if match and match.group(1) not in mapping and match.group(1) not in state.webhooks:
        _inject_webhook(state, match.group(1))
        if match.group(1) == PREEXISTING_WEBHOOK:
            _inject_invocations(state, PREEXISTING_WEBHOOK, 888)


def _wait_for_job(api, url: str, recorded_status: str) -> None:
    if recorded_status not in ("completed", "failed"):
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if api.get(url).json()["job_status"]["status"] == recorded_status:
            return
        time.sleep(0.02)


def replay(name: str, sandbox, api, receiver) -> list[str]:
    """Replay one cassette; returns the differences found."""
    with sandbox.state.lock:
        seed_demo(sandbox.state)
    mapping: dict[str, str] = {}
    problems = []
    for number, rec in enumerate(interactions(name)):
        parts = urlsplit(rec["uri"])
        if any(parts.path.startswith(prefix) for prefix in NOT_SANDBOXED):
            continue
        target = _substitute(parts.path + (f"?{parts.query}" if parts.query else ""), mapping, receiver.url)
        body = _substitute(rec["request_body"], mapping, receiver.url)
        label = f"{name} #{number} {rec['method']} {parts.path}"
        _ensure_referenced_webhooks(sandbox.state, parts.path, mapping)
        if "/job_statuses/" in target and rec["body"]:
            _wait_for_job(api, sandbox.url + target, rec["body"]["job_status"]["status"])
        resp = api.request(
            rec["method"],
            sandbox.url + target,
            data=body.encode() or None,
            headers={"Content-Type": "application/json"},
        )
        if resp.status_code != rec["status"]:
            problems.append(
                f"{label}: status {resp.status_code}, recorded {rec['status']}: {resp.text[:200]}"
            )
            continue
        actual = resp.json() if resp.content.strip() else None
        problems += [
            f"{label}: {p}" for p in structure_diff(rec["body"], actual) if not ACCOUNT_SPECIFIC.search(p)
        ]
        problems += [
            f"{label}: header {h} missing"
            for h in CHECKED_HEADERS
            if h in rec["headers"] and h not in {k.lower() for k in resp.headers}
        ]
        _learn_ids(rec["body"], actual, mapping)
    return problems


@pytest.mark.parametrize("name", cassette_names())
def test_replayed_cassette_matches_recorded_structure(name, sandbox, api, receiver):
    problems = replay(name, sandbox, api, receiver)
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)
