"""Local admin users: hashed passwords, a minimum length, a unique name."""

from __future__ import annotations

import pytest

from service.db import Database
from service.models import AdminUser
from service.users import InvalidAdmin, authenticate, create_admin


@pytest.fixture
def database(database_url):
    database = Database(database_url)
    yield database
    database.dispose()


def test_password_is_stored_hashed_and_checked(database):
    with database.transaction() as session:
        create_admin(session, "grace", "a-long-password")
    with database.transaction() as session:
        stored = session.query(AdminUser).one()
        assert stored.password_hash != "a-long-password"
        assert authenticate(session, "grace", "a-long-password").username == "grace"
        assert authenticate(session, "grace", "a-long-passworD") is None
        assert authenticate(session, "nobody", "a-long-password") is None


def test_short_password_refused_with_a_clear_message(database):
    with database.transaction() as session, pytest.raises(InvalidAdmin, match="at least 10 characters"):
        create_admin(session, "grace", "short")


def test_duplicate_and_empty_usernames_refused(database):
    with database.transaction() as session:
        create_admin(session, "grace", "a-long-password")
    with database.transaction() as session, pytest.raises(InvalidAdmin, match="already exists"):
        create_admin(session, "grace", "another-long-password")
    with database.transaction() as session, pytest.raises(InvalidAdmin, match="username"):
        create_admin(session, "  ", "another-long-password")
