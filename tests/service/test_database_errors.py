"""A database error logged anywhere (SQLAlchemy's own log, a traceback, a stored message)
carries no row values: customers' names, subjects and excerpts stay out of the logs."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import IntegrityError

from service.db import Database, without_values
from service.models import AdminUser, Incident, TicketLink

SECRET_NAME = "Dana SECRET-NAME-4711"
SECRET_SUBJECT = "SECRET-SUBJECT my card 4111 1111 1111 1111"
SECRET_USER = "SECRET-USERNAME-0815"

log = logging.getLogger("incidentdesk.test")


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    yield database
    database.dispose()


def _logged(caplog, db: Database, rows) -> IntegrityError:
    """Insert ``rows`` in one transaction that fails; log the error the way the service does."""
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # as with echo: statements logged
    with pytest.raises(IntegrityError) as failure:
        with db.transaction() as session:
            session.add_all(rows)
    log.exception("insert failed: %s", failure.value)
    log.error("stored as: %s", str(failure.value.orig))
    return failure.value


def test_a_not_null_violation_does_not_quote_the_failing_row(caplog, db):
    # PostgreSQL's DETAIL would say "Failing row contains (..., Dana SECRET-NAME-4711, ...)".
    link = TicketLink(incident_id=None, ticket_id=5, requester_name=SECRET_NAME, subject=SECRET_SUBJECT)
    error = _logged(caplog, db, [link])
    assert "ticket_links" in str(error) or "incident_id" in str(error)  # still says what failed
    assert SECRET_NAME not in caplog.text and SECRET_SUBJECT not in caplog.text
    assert "SECRET" not in caplog.text
    assert "Failing row" not in caplog.text


def test_a_unique_violation_does_not_quote_the_duplicate_key(caplog, db):
    with db.transaction() as session:
        session.add(AdminUser(username=SECRET_USER, password_hash="x"))
    # PostgreSQL's DETAIL would say "Key (username)=(SECRET-USERNAME-0815) already exists."
    error = _logged(caplog, db, [AdminUser(username=SECRET_USER, password_hash="y")])
    assert "admin_users" in str(error) or "username" in str(error)
    assert SECRET_USER not in caplog.text and SECRET_USER not in str(error)


def test_a_failed_insert_of_several_rows_hides_every_parameter(caplog, db):
    rows = [
        Incident(title="SECRET-TITLE", tag="dup-tag"),
        Incident(title="SECRET-TITLE-2", tag="dup-tag"),
    ]
    _logged(caplog, db, rows)
    assert "SECRET" not in caplog.text
    assert "hidden" in caplog.text  # SQLAlchemy says the parameters were hidden


@pytest.mark.parametrize(
    "message, expected",
    [
        (
            'duplicate key value violates unique constraint "admin_users_username_key"\n'
            "DETAIL:  Key (username)=(SECRET) already exists.",
            'duplicate key value violates unique constraint "admin_users_username_key"',
        ),
        (
            'null value in column "incident_id" of relation "ticket_links" violates not-null constraint\n'
            "DETAIL:  Failing row contains (1, null, 5, Dana SECRET).\n[SQL: INSERT ...]",
            'null value in column "incident_id" of relation "ticket_links" violates not-null constraint\n'
            "[SQL: INSERT ...]",
        ),
        (
            'invalid input syntax for type integer: "SECRET"\nCONTEXT:  unnamed portal parameter $1',
            "invalid input syntax for type integer: [value hidden]",
        ),
        ("UNIQUE constraint failed: incidents.tag", "UNIQUE constraint failed: incidents.tag"),
    ],
)
def test_without_values_keeps_what_failed_and_drops_the_values(message, expected):
    assert without_values(message) == expected
