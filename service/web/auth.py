"""Admin login: a signed session cookie holds the admin's id; every admin page requires it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, render_template, request, session, url_for

from service.models import AdminUser
from service.users import authenticate
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


def login_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(*args, **kwargs):
        user_id = session.get("admin_id")
        user = None
        if user_id is not None:
            with services().db.transaction() as db:
                user = db.get(AdminUser, user_id)
        if user is None:
            session.pop("admin_id", None)
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        g.admin = user.username
        return view(*args, **kwargs)

    return wrapped


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.values.get("next"))
    error = None
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").replace("\x00", "")
        with services().db.transaction() as db:
            user = authenticate(db, username, request.form.get("password", ""))
        if user is not None:
            lang = session.get("lang")
            session.clear()  # a fresh session at login: nothing from before carries privilege
            if lang:
                session["lang"] = lang
            session["admin_id"] = user.id
            return redirect(next_url or url_for("admin.incidents"))
        error = translate("login.failed")
    return render_template("login.html", error=error, username=username, next_url=next_url)


@bp.post("/logout")
def logout():
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("auth.login"))


@bp.post("/language")
def set_language():
    lang = request.form.get("lang", "")
    if lang in UI_LANGUAGES:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next")) or url_for("admin.incidents"))
