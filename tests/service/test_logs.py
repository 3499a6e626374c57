"""Log lines: JSON, one request id per request (echoed), the delivery key, the request id and
Zendesk's invocation id from the webhook into the worker's lines, and no personal data, secrets
or raw header values in any of them."""

from __future__ import annotations

import io
import json
import logging
import secrets
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import SQLAlchemyError

from integrations.zendesk.signature import sign
from service.app import create_app
from service.domain.sources.signatures import sign_generic
from service.inbox import store as inbox
from service.inbox.worker import Worker
from service.logs import MAX_ID_CHARS, bind, configure_logging, logging_config, safe_id
from service.models import InboxDelivery
from service.settings import LogSettings, SettingsError
from service.web.request_log import REQUEST_ID_HEADER, request_id_from
from service.wiring import build_services
from tests.conftest import make_settings
from tests.factories import declare_checkout_incident, sandbox_create
from tests.helpers import start_service, wait_for
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN

# Loggers of the stand-ins the tests run beside the service (the sandbox and werkzeug's
# development server); production serves with gunicorn and talks to Zendesk.
NOT_OURS = ("zendesk_sandbox", "werkzeug")


@pytest.fixture
def log_lines():
    """Logging as the CLI sets it up, at DEBUG, into a buffer; each call parses what is there."""
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    touched = [logging.getLogger(name) for name in logging_config()["loggers"]]
    saved_levels = [logger.level for logger in touched]
    buffer = io.StringIO()
    configure_logging(level="DEBUG", fmt="json", stream=buffer)

    def lines() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]

    yield lines
    root.handlers[:] = saved[1]
    root.setLevel(saved[0])
    for logger, level in zip(touched, saved_levels, strict=True):
        logger.setLevel(level)


def test_lines_are_json_with_the_bound_fields(log_lines):
    with bind(request_id="r-1234567"), bind(delivery_keys=["trigger:abc"]):
        logging.getLogger("incidentdesk.test").info("hello %s", "there")
    logging.getLogger("incidentdesk.test").info("outside")
    inside, outside = [line for line in log_lines() if line["logger"] == "incidentdesk.test"]
    assert inside["message"] == "hello there" and inside["level"] == "INFO"
    assert inside["request_id"] == "r-1234567" and inside["delivery_keys"] == ["trigger:abc"]
    assert inside["time"].endswith("+00:00")
    assert "request_id" not in outside


@pytest.mark.parametrize(
    "header, kept",
    [
        ("0f8fad5b-d9cb-469f-a165-70867728950e", True),
        ("01HZX3J5Q8Y2W6V9T4R7N1M0KA", True),
        ("short", False),
        ("has space in it", False),
        ("x" * 200, False),
        ("evil\r\nSet-Cookie: a=b", False),
        (None, False),
    ],
)
def test_a_well_formed_request_id_is_kept_and_anything_else_replaced(header, kept):
    made = request_id_from(header)
    assert (made == header) is kept
    assert request_id_from(None) != request_id_from(None)


def test_each_request_has_its_id_echoed_and_in_its_log_line(log_lines, sqlite_url, helpdesk):
    services = build_services(make_settings(sqlite_url), helpdesk=helpdesk)
    client = create_app(services=services).test_client()
    given = client.get("/healthz?email=dana@example.com", headers={REQUEST_ID_HEADER: "abc-123-proxy"})
    made = client.get("/healthz")
    assert given.headers[REQUEST_ID_HEADER] == "abc-123-proxy"
    assert len(made.headers[REQUEST_ID_HEADER]) == 32
    request_lines = [line for line in log_lines() if line["logger"] == "incidentdesk.requests"]
    assert [line["request_id"] for line in request_lines] == [
        "abc-123-proxy",
        made.headers[REQUEST_ID_HEADER],
    ]
    assert request_lines[0]["path"] == "/healthz" and request_lines[0]["status"] == 200
    assert "dana@example.com" not in json.dumps(request_lines)  # the query string is never logged
    services.db.dispose()


def test_sql_parameters_are_redacted_from_database_errors(log_lines, tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    person = {"name": "Dana Levi"}  # the traceback shows source lines: the name is not in them
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE people (name TEXT UNIQUE)"))
        conn.execute(text("INSERT INTO people VALUES (:name)"), person)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO people VALUES (:name)"), person)
    except SQLAlchemyError as exc:
        assert "Dana Levi" in str(exc)  # SQLAlchemy puts the parameters into its message
        logging.getLogger("incidentdesk.test").exception("insert failed: %s", exc)
    engine.dispose()
    (line,) = [line for line in log_lines() if line["logger"] == "incidentdesk.test"]
    assert "Dana Levi" not in json.dumps(line)
    assert "[parameters: redacted]" in line["message"] and "IntegrityError" in line["exc_info"]


def test_log_settings_are_read_from_the_environment():
    assert LogSettings.from_env({}) == LogSettings(None, None)
    env = {"INCIDENTDESK_LOG_LEVEL": "debug", "INCIDENTDESK_LOG_FORMAT": "TEXT"}
    assert LogSettings.from_env(env) == LogSettings("DEBUG", "text")
    with pytest.raises(SettingsError, match="INCIDENTDESK_LOG_FORMAT"):
        LogSettings.from_env({"INCIDENTDESK_LOG_FORMAT": "xml"})
    with pytest.raises(SettingsError, match="INCIDENTDESK_LOG_LEVEL"):
        LogSettings.from_env({"INCIDENTDESK_LOG_LEVEL": "loud"})
    with pytest.raises(ValueError):
        logging_config(fmt="xml")


def test_a_webhook_to_worker_flow_logs_no_personal_data_or_secrets(
    log_lines, database_url, sandbox, helpdesk
):
    running = start_service(database_url, sandbox, helpdesk)
    try:
        _, tag, _ = declare_checkout_incident(running.services)
        ticket_id = running.create_ticket(
            "Checkout fails when I pay for order 4471, please call me",
            subject="Zelda Quisling cannot pay",
            name="Zelda Quisling",
            email="zelda.quisling@example.com",
        )
        wait_for(lambda: tag in running.ticket(ticket_id)["tags"], timeout=30)
        wait_for(lambda: any("batch of" in line["message"] for line in log_lines()), timeout=30)
    finally:
        running.stop()
    ours = [line for line in log_lines() if not line["logger"].startswith(NOT_OURS)]
    everything = "\n".join(json.dumps(line, ensure_ascii=False) for line in ours).lower()

    settings = running.services.settings
    forbidden = [
        "Zelda",
        "Quisling",
        "zelda.quisling@example.com",
        "order 4471",
        "please call me",
        settings.zendesk_webhook_secret,
        settings.zendesk_api_token,
        settings.secret_key,
        settings.api_token,
    ]
    for value in forbidden:
        assert value.lower() not in everything, f"{value!r} is in a log line"

    stored = [line for line in ours if line["logger"] == "incidentdesk.webhooks" and "delivery_key" in line]
    assert stored, "the webhook logs what it stored"
    assert all(line["request_id"] and line["invocation_id"] for line in stored)
    assert all(line["delivery_key"] == f"trigger:{line['invocation_id']}" for line in stored)
    batches = [line for line in ours if line["message"].startswith("batch of")]
    worker_keys = {key for line in batches for key in line["delivery_keys"]}
    assert {line["delivery_key"] for line in stored} & worker_keys, (
        "the worker's lines name the same deliveries"
    )
    assert all(line["delivery_ids"] for line in batches)
    request_ids = {line["request_id"] for line in stored}
    invocation_ids = {line["invocation_id"] for line in stored}
    assert request_ids & {rid for line in batches for rid in line["request_ids"]}, (
        "the worker's lines name the requests that stored their deliveries"
    )
    assert invocation_ids & {iid for line in batches for iid in line["invocation_ids"]}
    assert all(len(line["request_ids"]) == len(line["delivery_ids"]) for line in batches)


@pytest.mark.parametrize(
    "raw, kept",
    [
        ("0f8fad5b-d9cb-469f-a165-70867728950e", "0f8fad5b-d9cb-469f-a165-70867728950e"),
        ("evil\r\nSet-Cookie: a=b", "evilSet-Cookie:ab"),
        ("\x1b[31mred\x1b[0m", "31mred0m"),
        ("v" * 10_000, "v" * MAX_ID_CHARS),
        ("<>\"' \t", None),
        ("", None),
        (None, None),
    ],
)
def test_an_id_from_a_header_keeps_only_a_bounded_run_of_plain_characters(raw, kept):
    assert safe_id(raw) == kept


# --- one delivery followed from the webhook's request into the worker's lines ---------------


@pytest.fixture
def sandboxed(database_url, sandbox, helpdesk):
    """The real app and worker on a migrated database, with the adapter against the sandbox."""
    settings = make_settings(
        database_url,
        zendesk_base_url=sandbox.url,
        zendesk_email=DEMO_AGENT_EMAIL,
        zendesk_api_token=DEMO_API_TOKEN,
        zendesk_webhook_secret=secrets.token_hex(16),
    )
    services = build_services(settings, helpdesk=helpdesk)
    yield services
    services.db.dispose()


def _deliver_trigger(services, ticket_id: int, headers: dict[str, str]):
    """A trigger's delivery for ``ticket_id``, signed as Zendesk signs it, through the app."""
    body = json.dumps({"ticket_id": str(ticket_id), "event": "ticket.created"}).encode()
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    signed = {
        "X-Zendesk-Webhook-Signature": sign(services.settings.zendesk_webhook_secret, stamp, body),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "Content-Type": "application/json",
    }
    client = create_app(services=services).test_client()
    return client.post("/webhooks/zendesk", data=body, headers={**signed, **headers})


def _drain(services) -> None:
    worker = Worker(services)

    def drained() -> bool:
        worker.run_once()
        with services.db.transaction() as session:
            return not sum(inbox.queue_depth(session).values())

    wait_for(drained, timeout=60)


def _checkout_ticket(sandbox) -> int:
    return sandbox_create(sandbox, "Checkout broken", "Checkout fails when I pay, please help")


def test_a_log_line_of_a_delivery_carries_the_same_request_and_invocation_ids_in_web_and_worker(
    log_lines, sandboxed, sandbox
):
    _, tag, _ = declare_checkout_incident(sandboxed)
    ticket_id = _checkout_ticket(sandbox)
    request_id, invocation_id = f"req-{secrets.token_hex(8)}", f"inv-{secrets.token_hex(8)}"
    answer = _deliver_trigger(
        sandboxed,
        ticket_id,
        {"X-Request-Id": request_id, "X-Zendesk-Webhook-Invocation-Id": invocation_id},
    )
    assert answer.status_code == 200 and answer.headers["X-Request-Id"] == request_id
    _drain(sandboxed)
    ticket = sandboxed.helpdesk.get_tickets([ticket_id])[0]
    assert tag in ticket.tags  # the worker really acted on the delivery

    key = f"trigger:{invocation_id}"
    (stored,) = [line for line in log_lines() if line["message"].endswith(" stored")]
    assert stored["logger"] == "incidentdesk.webhooks"
    assert (stored["request_id"], stored["invocation_id"], stored["delivery_key"]) == (
        request_id,
        invocation_id,
        key,
    )
    request_line = [line for line in log_lines() if line["logger"] == "incidentdesk.requests"][-1]
    assert (request_line["request_id"], request_line["delivery_key"]) == (request_id, key)

    worker_lines = [line for line in log_lines() if key in line.get("delivery_keys", [])]
    assert any(line["message"].startswith("batch of 1:") for line in worker_lines)
    for line in worker_lines:
        at = line["delivery_keys"].index(key)
        assert line["request_ids"][at] == request_id, line
        assert line["invocation_ids"][at] == invocation_id, line
        assert line["delivery_ids"][at] == stored["delivery_id"], line


def test_hostile_request_and_invocation_ids_are_cut_or_replaced_and_never_logged_raw(
    log_lines, sandboxed, sandbox
):
    declare_checkout_incident(sandboxed)
    ticket_id = _checkout_ticket(sandbox)
    huge_request_id = "r" * 10_000
    escaping_invocation = "inv-\x1b[2J\x1b[31m-" + "x" * 150
    answer = _deliver_trigger(
        sandboxed,
        ticket_id,
        {"X-Request-Id": huge_request_id, "X-Zendesk-Webhook-Invocation-Id": escaping_invocation},
    )
    assert answer.status_code == 200
    made_request_id = answer.headers["X-Request-Id"]
    assert len(made_request_id) == 32  # replaced by a new one, not cut
    too_long = _deliver_trigger(sandboxed, ticket_id, {"X-Zendesk-Webhook-Invocation-Id": "i" * 10_000})
    assert too_long.status_code == 422  # longer than a delivery key can hold: refused
    _drain(sandboxed)

    with sandboxed.db.transaction() as session:
        row = session.scalars(select(InboxDelivery)).one()
        stored_ids = (row.request_id, row.invocation_id)
    kept_invocation = "inv-2J31m-" + "x" * 150
    assert stored_ids == (made_request_id, kept_invocation)

    ours = [line for line in log_lines() if not line["logger"].startswith(NOT_OURS)]
    everything = "\n".join(json.dumps(line) for line in ours)
    assert "r" * 200 not in everything and "i" * 200 not in everything
    assert "\x1b" not in everything and "\\u001b" not in everything
    refused = [line for line in log_lines() if line["message"].startswith("webhook rejected (422)")]
    assert refused and refused[0]["message"].endswith("invocation=" + "i" * MAX_ID_CHARS)
    stored = [line for line in log_lines() if line["message"].endswith(" stored")]
    assert [line["invocation_id"] for line in stored] == [kept_invocation]
    assert [line["delivery_key"] for line in stored] == [f"trigger:{kept_invocation}"]
    batch = [line for line in log_lines() if line["message"].startswith("batch of 1:")]
    assert batch and batch[0]["invocation_ids"] == [kept_invocation]
    assert batch[0]["request_ids"] == [made_request_id]


def test_an_incident_sources_delivery_is_followed_by_its_request_id_into_the_worker(log_lines, sandboxed):
    template_id = declare_checkout_incident(sandboxed)[0]
    client = create_app(services=sandboxed).test_client()
    created = client.post(
        "/api/v1/sources",
        json={"kind": "generic", "name": "curl", "template_incident_id": template_id, "auto_declare": True},
        headers={"Authorization": f"Bearer {sandboxed.settings.api_token}"},
    ).json
    body = json.dumps(
        {
            "id": "x1",
            "title": "Payments",
            "state": "investigating",
            "text": "Looking.",
            "sent_at": int(time.time()),
        }
    ).encode()
    request_id = f"req-{secrets.token_hex(8)}"
    answer = client.post(
        "/webhooks/sources/" + created["delivery_url"].rsplit("/", 1)[1],
        data=body,
        headers={
            "X-IncidentDesk-Signature": sign_generic(created["signing_secret"], body),
            "X-Request-Id": request_id,
        },
    )
    assert answer.status_code == 202, answer.json
    _drain(sandboxed)

    (stored,) = [line for line in log_lines() if line["message"].endswith(" stored")]
    key = stored["delivery_key"]
    assert stored["request_id"] == request_id and key.startswith("generic:")
    worker_lines = [line for line in log_lines() if line.get("delivery_id") == stored["delivery_id"]]
    worker_lines = [line for line in worker_lines if line["logger"] != "incidentdesk.sources.webhooks"]
    assert worker_lines, "the worker says what the delivery did"
    assert all((line["request_id"], line["delivery_key"]) == (request_id, key) for line in worker_lines)
