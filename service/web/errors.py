"""Error pages: JSON for machines (/api/, /webhooks/), a friendly HTML page for people.

Whatever goes wrong, the client gets a status code and a message saying what to do — never a
bare 500 with a traceback.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from service.domain.errors import Conflict, IncidentDeskError, InvalidInput, NotFound
from service.web.i18n import translate

log = logging.getLogger("incidentdesk.web")

JSON_PREFIXES = ("/api/", "/webhooks/")
HANDLED_CODES = (400, 401, 403, 404, 405, 413, 422, 500)

# Messages that tell a client what to do next, rather than werkzeug's generic descriptions.
JSON_MESSAGES = {
    400: "The request could not be read. Send a well-formed JSON body with Content-Type: application/json.",
    401: "Authentication required. Send 'Authorization: Bearer <token>' with a valid API token.",
    403: "You are not allowed to do this.",
    404: "No such resource. Check the URL and the id.",
    405: "This method is not allowed on this URL.",
    413: "The request body is too large.",
    422: "The request was understood but some fields are invalid.",
    500: "Something went wrong on our side. The error was logged; try again later.",
}


def wants_json() -> bool:
    return request.path.startswith(JSON_PREFIXES) or request.path in ("/api", "/webhooks")


def json_error(status: int, message: str | None = None, fields: dict | None = None, headers=None):
    body = {"error": message or JSON_MESSAGES.get(status, "Error.")}
    if fields:
        body["fields"] = fields
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _html_error(status: int) -> str:
    try:
        return render_template(
            "error.html",
            status=status,
            heading=translate(f"error.{status}.title"),
            message=translate(f"error.{status}.text"),
        )
    except Exception:  # the error page itself must never fail
        log.exception("could not render the error page for %s", status)
        return f"Error {status}"


def _handle_http(error: HTTPException):
    status = error.code or 500
    if status not in HANDLED_CODES:
        return error
    headers = {}
    if status == 405 and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    if wants_json():
        message = error.description if isinstance(error, CSRFError) else None
        return json_error(status, message, headers=headers)
    return _html_error(status), status, headers


# The one mapping from the error hierarchy to HTTP.
STATUS_OF_ERROR: tuple[tuple[type[IncidentDeskError], int], ...] = (
    (InvalidInput, 422),
    (Conflict, 409),
    (NotFound, 404),
)


def status_for(error: IncidentDeskError) -> int:
    return next((status for kind, status in STATUS_OF_ERROR if isinstance(error, kind)), 400)


def domain_error_response(error: IncidentDeskError):
    """JSON for a refused request: the message, and the fields to fix when the error knows them."""
    fields = error.fields if isinstance(error, InvalidInput) else {}
    message = "Some fields need fixing; see 'fields'." if fields else str(error)
    return json_error(status_for(error), message, fields=fields)


def _handle_domain(error: IncidentDeskError):
    if wants_json():
        return domain_error_response(error)
    return _html_error(status_for(error)), status_for(error)


# A database that does not answer is the one 5xx we give: "try again", and when.
DATABASE_RETRY_AFTER_SECONDS = 15


def _handle_database_down(error: OperationalError | InterfaceError):
    log.error("the database did not answer on %s %s: %s", request.method, request.path, type(error).__name__)
    message = (
        f"The database did not answer; nothing was changed. Try again in {DATABASE_RETRY_AFTER_SECONDS} s."
    )
    headers = {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}
    if wants_json():
        return json_error(503, message, headers=headers)
    return _html_error(503), 503, headers


def _handle_unexpected(error: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _handle_http(InternalServerError())


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(IncidentDeskError, _handle_domain)
    app.register_error_handler(OperationalError, _handle_database_down)
    app.register_error_handler(InterfaceError, _handle_database_down)
    app.register_error_handler(Exception, _handle_unexpected)
