"""Logging set-up, once per process: JSON lines (python-json-logger) or plain text, with the
request and delivery the line belongs to.

``bind(request_id=..., delivery_keys=...)`` puts fields into every line logged inside it, in
this thread (a ``contextvars`` variable: a web request and a worker's batch each have their own).
``safe_id`` is what a line (and the inbox row behind a worker's lines) keeps of an id that came
in a header: headers are the sender's to write, so only a bounded run of plain characters.
``redact`` keeps SQL parameters out of log lines: SQLAlchemy puts them into its error
messages (``[parameters: ...]``), and they hold customers' names, subjects and e-mails.
"""

from __future__ import annotations

import contextvars
import logging
import logging.config
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter

LOG_FORMATS = ("json", "text")
_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "incidentdesk_log", default=MappingProxyType({})
)
# SQLAlchemy's error text: "...\n[SQL: ...]\n[parameters: (...)]\n(Background on this error at: ...)".
_SQL_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\n|\s*\(Background|$)", re.DOTALL)
REDACTED = "[parameters: redacted]"
# An id from a header: letters, digits and the separators of UUIDs, ULIDs and proxies' ids, at
# most as long as a delivery key's id part (integrations/zendesk/payloads.py, MAX_KEY_CHARS).
MAX_ID_CHARS = 192
ID_CHARACTERS = "A-Za-z0-9._:-"  # a regular expression's character class
_NOT_ID = re.compile(f"[^{ID_CHARACTERS}]+")
# Libraries whose chatter at INFO would carry data: SQLAlchemy logs every statement's parameters,
# urllib3 every URL (search queries hold e-mail addresses).
QUIET_LOGGERS = {"sqlalchemy": logging.WARNING, "urllib3": logging.WARNING, "zenpy": logging.WARNING}


def safe_id(raw: str | None) -> str | None:
    """``raw`` without anything but letters, digits and ``._:-``, cut to MAX_ID_CHARS; None when
    nothing is left. Never raises: a hostile id is cut down, not a reason to refuse a delivery."""
    if not raw:
        return None
    return _NOT_ID.sub("", raw)[:MAX_ID_CHARS] or None


def redact(text: str) -> str:
    return _SQL_PARAMETERS.sub(REDACTED, text)


@contextmanager
def bind(**fields: Any) -> Iterator[None]:
    """Add ``fields`` to every log line in this block (and this thread), nested blocks adding theirs."""
    token = _context.set({**_context.get(), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def bind_until_reset(**fields: Any) -> contextvars.Token[Mapping[str, Any]]:
    """For frameworks with separate before/after hooks: ``reset(token)`` ends it."""
    return _context.set({**_context.get(), **fields})


def reset(token: contextvars.Token[Mapping[str, Any]]) -> None:
    _context.reset(token)


def current_fields() -> Mapping[str, Any]:
    return _context.get()


class ContextFilter(logging.Filter):
    """Puts the bound fields on the record and redacts SQL parameters from its message."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _context.get().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        message = record.getMessage()
        if "[parameters: " in message:
            record.msg, record.args = redact(message), None
        return True


class RedactingJsonFormatter(JsonFormatter):
    """python-json-logger's formatter; tracebacks redacted like messages."""

    def formatException(self, ei: Any) -> str | list[str]:  # type: ignore[override]  # a list with exc_info_as_array
        formatted = super().formatException(ei)
        return redact(formatted) if isinstance(formatted, str) else [redact(line) for line in formatted]


class RedactingTextFormatter(logging.Formatter):
    def formatException(self, ei: Any) -> str:
        return redact(super().formatException(ei))

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = " ".join(f"{k}={v}" for k, v in _context.get().items())
        return f"{line} [{fields}]" if fields else line


JSON_FIELDS = ["levelname", "name", "message"]
JSON_RENAMES = {"levelname": "level", "name": "logger"}
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def logging_config(
    *, level: str = "INFO", fmt: str = "json", stream: IO[str] | None = None
) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dictionary: every line to stderr, as JSON or text; also
    given to gunicorn (``logconfig_dict``) so its own lines are alike."""
    if fmt not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, got {fmt!r}")
    formatter: dict[str, Any]
    if fmt == "json":
        formatter = {
            "()": RedactingJsonFormatter,
            "fmt": JSON_FIELDS,
            "rename_fields": JSON_RENAMES,
            "timestamp": "time",  # ISO 8601 in UTC
        }
    else:
        formatter = {"()": RedactingTextFormatter, "format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter}},
        "formatters": {"main": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": stream or sys.stderr,
                "formatter": "main",
                "filters": ["context"],
            }
        },
        "root": {"level": level.upper(), "handlers": ["stderr"]},
        "loggers": {
            # gunicorn's own lines through the same handler; its access line is replaced by the
            # app's request line (service/web/request_log.py), which has the request id and no
            # query string.
            "gunicorn.error": {"level": level.upper(), "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
            **{name: {"level": logging.getLevelName(lvl)} for name, lvl in QUIET_LOGGERS.items()},
        },
    }


def configure_logging(
    *, level: str = "INFO", fmt: str = "json", stream: IO[str] | None = None
) -> dict[str, Any]:
    """Set up this process's logging; returns the configuration (for gunicorn)."""
    config = logging_config(level=level, fmt=fmt, stream=stream)
    logging.config.dictConfig(config)
    return config
