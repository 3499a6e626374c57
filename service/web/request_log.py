"""One request id per request, and one log line per request.

The id is the caller's ``X-Request-Id`` when it is well-formed (a proxy or Zendesk set it),
otherwise a new one; it is echoed in the response's ``X-Request-Id`` and is a field of every log
line written while the request is handled (``service.logs.bind``). The request's own line says
method, path (never the query string: searches hold e-mail addresses), status and duration.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from service import logs

log = logging.getLogger("incidentdesk.requests")
REQUEST_ID_HEADER = "X-Request-Id"
SOURCE_DELIVERY_PREFIX = "/webhooks/sources/"
# Letters, digits and a few separators, as UUIDs, ULIDs and proxies' ids are; nothing that could
# break a log line or a header.
WELL_FORMED = re.compile(f"[A-Za-z0-9][{logs.ID_CHARACTERS}]{{7,127}}")


def request_id_from(header: str | None) -> str:
    if header and WELL_FORMED.fullmatch(header):
        return header
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """This request's id (None outside a request our hooks saw), for what outlives the request:
    an inbox row keeps it for the worker's lines."""
    request_id: str | None = g.get("request_id")
    return request_id


def _start() -> None:
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    g.request_started = time.monotonic()
    g.log_token = logs.bind_until_reset(request_id=g.request_id)


def _logged_path() -> str:
    # An incident source's delivery URL carries its token, the only credential of an unsigned
    # source (Statuspage): it is never written to a log.
    if request.path.startswith(SOURCE_DELIVERY_PREFIX):
        return f"{SOURCE_DELIVERY_PREFIX}<token>"
    return request.path


def _finish(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id is None:  # a request that failed before our first hook
        return response
    response.headers[REQUEST_ID_HEADER] = request_id
    log.info(
        "%s %s %s",
        request.method,
        _logged_path(),
        response.status_code,
        extra={
            "method": request.method,
            "path": _logged_path(),
            "status": response.status_code,
            "duration_ms": round((time.monotonic() - g.request_started) * 1000, 1),
        },
    )
    return response


def _unbind(_error: BaseException | None) -> None:
    token = g.pop("log_token", None)
    if token is not None:
        logs.reset(token)


def register_request_log(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_unbind)
