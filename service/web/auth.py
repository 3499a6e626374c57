"""Admin login: the session cookie holds only a random session id; every admin page checks that
the server still has that session (logout deletes it, it expires). Wrong passwords are throttled
per username and per client address, with a 429 that says when to try again."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, Request, g, redirect, render_template, request, session, url_for

from service.users import (
    Throttled,
    authenticate,
    end_session,
    login_throttled,
    record_login_failure,
    reset_login_failures,
    session_user,
    start_session,
    throttle_keys,
)
from service.web.context import services
from service.web.i18n import UI_LANGUAGES, translate

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """Only same-site paths are followed after login, so the login page is no open redirect."""
    if not target or "\\" in target or any(ord(ch) < 0x20 for ch in target):
        return None  # browsers read a backslash as a slash: "/\\evil.example" would leave the site
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


SESSION_KEY = "sid"


def client_address(req: Request) -> str | None:
    """The client's address: the connection's, or behind a trusted proxy the one it forwarded
    (``service.web.proxies`` has already applied or dropped X-Forwarded-For)."""
    return req.remote_addr


def _keep_only_language() -> None:
    lang = session.get("lang")
    session.clear()  # nothing from before carries privilege
    if lang:
        session["lang"] = lang


def login_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(*args, **kwargs):
        session_id = session.get(SESSION_KEY)
        user = None
        if session_id is not None:
            with services().db.transaction() as db:
                user = session_user(db, session_id)
        if user is None:
            session.pop(SESSION_KEY, None)
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        g.admin = user.username
        return view(*args, **kwargs)

    return wrapped


def _throttled_page(throttled: Throttled, username: str, next_url: str | None):
    error = translate(
        "login.throttled", minutes=throttled.minutes, time=throttled.until.strftime("%H:%M UTC")
    )
    page = render_template("login.html", error=error, username=username, next_url=next_url)
    return page, 429, {"Retry-After": str(throttled.retry_after)}


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.values.get("next"))
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").replace("\x00", "")
        keys = throttle_keys(username, client_address(request))
        with services().db.transaction() as db:
            # Checked before the password, so a right guess while throttled is not confirmed.
            throttled = login_throttled(db, keys)
            if throttled is None:
                user = authenticate(db, username, request.form.get("password", ""))
                if user is None:
                    record_login_failure(db, keys)
                else:
                    reset_login_failures(db, keys)
                    session_id = start_session(db, user)
        if throttled is not None:
            return _throttled_page(throttled, username, next_url)
        if user is not None:
            _keep_only_language()  # a fresh session at login
            session[SESSION_KEY] = session_id
            return redirect(next_url or url_for("admin.incidents"))
        error = translate("login.failed")
    return render_template("login.html", error=error, username=username, next_url=next_url)


@bp.post("/logout")
def logout():
    session_id = session.get(SESSION_KEY)
    if session_id is not None:
        with services().db.transaction() as db:
            end_session(db, session_id)
    _keep_only_language()
    return redirect(url_for("auth.login"))


@bp.post("/language")
def set_language():
    lang = request.form.get("lang", "")
    if lang in UI_LANGUAGES:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next")) or url_for("admin.incidents"))
