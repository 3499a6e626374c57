"""Log lines: JSON, one request id per request (echoed), the delivery key from the webhook into
the worker's lines, and no personal data or secrets in any of them."""

from __future__ import annotations

import io
import json
import logging

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from service.app import create_app
from service.logs import bind, configure_logging, logging_config
from service.settings import LogSettings, SettingsError
from service.web.request_log import REQUEST_ID_HEADER, request_id_from
from service.wiring import build_services
from tests.conftest import make_settings
from tests.factories import declare_checkout_incident
from tests.helpers import start_service, wait_for

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
