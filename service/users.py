"""Local admin users: created from the command line, checked at login. Passwords are hashed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from service.domain.errors import InvalidInput
from service.models import AdminUser

MIN_PASSWORD_LENGTH = 10
MAX_USERNAME_LENGTH = 120

# Checked against when the username is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("incidentdesk-no-such-user")


class InvalidAdmin(InvalidInput):
    """The username or password cannot be used; the message says what to fix."""


def create_admin(session: Session, username: str, password: str) -> AdminUser:
    username = (username or "").strip()
    if not username:
        raise InvalidAdmin("Give the admin a username.")
    if len(username) > MAX_USERNAME_LENGTH:
        raise InvalidAdmin(f"Keep the username under {MAX_USERNAME_LENGTH} characters.")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidAdmin(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if session.scalar(select(AdminUser.id).where(AdminUser.username == username)) is not None:
        raise InvalidAdmin(f"An admin named '{username}' already exists; pick another username.")
    user = AdminUser(username=username, password_hash=generate_password_hash(password))
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> AdminUser | None:
    """The user whose username and password match, or None."""
    user = session.scalar(select(AdminUser).where(AdminUser.username == (username or "").strip()))
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return user if check_password_hash(user.password_hash, password or "") else None
