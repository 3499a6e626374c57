"""Local admin users: created from the command line, checked at login. Passwords are hashed.

A signed-in admin has a server-side session (``AdminSession``): the browser holds only a random
id, so logout or expiry revokes it. Wrong passwords are counted per username and per client
address; after ``MAX_FAILURES_PER_USER`` within ``FAILURE_WINDOW`` that username must wait, and
after ``MAX_FAILURES_PER_ADDRESS`` (higher: an office shares one address) that address must.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from service import clock
from service.domain.errors import InvalidInput
from service.domain.moments import utc
from service.models import AdminSession, AdminUser, LoginFailure

MIN_PASSWORD_LENGTH = 10
MAX_USERNAME_LENGTH = 120
SESSION_LIFETIME = timedelta(hours=12)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20
FAILURE_WINDOW = timedelta(minutes=15)

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


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_session(session: Session, user: AdminUser) -> str:
    """A new session for ``user``; the random id returned goes into the cookie, its hash here."""
    session_id = secrets.token_urlsafe(32)
    now = clock.now()
    session.execute(delete(AdminSession).where(AdminSession.expires_at <= now))
    session.add(
        AdminSession(
            id_hash=_hash(session_id), admin_id=user.id, created_at=now, expires_at=now + SESSION_LIFETIME
        )
    )
    session.flush()
    return session_id


def session_user(session: Session, session_id: object) -> AdminUser | None:
    """The admin whose live (unexpired, not logged out) session this is, or None."""
    if not isinstance(session_id, str) or not session_id:
        return None
    return session.scalar(
        select(AdminUser)
        .join(AdminSession, AdminSession.admin_id == AdminUser.id)
        .where(AdminSession.id_hash == _hash(session_id), AdminSession.expires_at > clock.now())
    )


def end_session(session: Session, session_id: object) -> None:
    if isinstance(session_id, str) and session_id:
        session.execute(delete(AdminSession).where(AdminSession.id_hash == _hash(session_id)))


@dataclass(frozen=True)
class Throttled:
    """Too many wrong passwords lately: try again at ``until`` (``retry_after`` seconds from now)."""

    until: datetime
    retry_after: int

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


@dataclass(frozen=True)
class ThrottleKey:
    key: str  # "user:<name>" or "address:<ip>"
    limit: int  # failures within FAILURE_WINDOW before it must wait


def throttle_keys(username: str, address: str | None) -> tuple[ThrottleKey, ...]:
    """What failures are counted against: the username as typed (trimmed) and the address."""
    keys = [ThrottleKey(f"user:{(username or '').strip()[:MAX_USERNAME_LENGTH]}", MAX_FAILURES_PER_USER)]
    if address:
        keys.append(ThrottleKey(f"address:{address[:180]}", MAX_FAILURES_PER_ADDRESS))
    return tuple(keys)


def login_throttled(session: Session, keys: tuple[ThrottleKey, ...]) -> Throttled | None:
    """When any key has reached its limit of failures in the window, until when it must wait."""
    now = clock.now()
    until: datetime | None = None
    for key in keys:
        recent = list(
            session.scalars(
                select(LoginFailure.at)
                .where(LoginFailure.key == key.key, LoginFailure.at > now - FAILURE_WINDOW)
                .order_by(LoginFailure.at.desc())
                .limit(key.limit)
            )
        )
        if len(recent) < key.limit:
            continue
        # Free again when the oldest of the last ``limit`` failures leaves the window.
        free_at = utc(recent[-1]) + FAILURE_WINDOW
        until = free_at if until is None else max(until, free_at)
    if until is None:
        return None
    return Throttled(until=until, retry_after=max(1, math.ceil((until - now).total_seconds())))


def record_login_failure(session: Session, keys: tuple[ThrottleKey, ...]) -> None:
    """Count a wrong password; failures that left the window are purged, so the table stays small."""
    now = clock.now()
    session.execute(delete(LoginFailure).where(LoginFailure.at <= now - FAILURE_WINDOW))
    session.add_all(LoginFailure(key=key.key, at=now) for key in keys)


def reset_login_failures(session: Session, keys: tuple[ThrottleKey, ...]) -> None:
    """A successful login forgets the failures of its username and its address."""
    session.execute(delete(LoginFailure).where(LoginFailure.key.in_([key.key for key in keys])))
