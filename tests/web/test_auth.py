"""The admin UI needs a login, and every form needs its CSRF token."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import request

from service import clock
from service.settings import Settings, SettingsError
from service.users import FAILURE_WINDOW, MAX_FAILURES_PER_ADDRESS, SESSION_LIFETIME, create_admin
from service.web.auth import client_address
from tests.web.conftest import ADMIN_PASSWORD, ADMIN_USERNAME, build_app, csrf_token, declare_form, log_in


@pytest.mark.parametrize("path", ["/admin/incidents", "/admin/incidents/new", "/admin/incidents/1"])
def test_pages_redirect_to_login_when_signed_out(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.location == f"/login?next={path}"


def test_home_leads_to_login_when_signed_out(client):
    response = client.get("/", follow_redirects=True)
    assert response.request.path == "/login"
    assert b'name="password"' in response.data


def test_declare_post_while_signed_out_creates_nothing(client, admin):
    token = csrf_token(client.get("/login").data)
    response = client.post("/admin/incidents/new", data={"csrf_token": token, **declare_form()})
    assert response.status_code == 302 and response.location.startswith("/login")


def test_wrong_password_is_refused_and_grants_nothing(client, admin):
    response = log_in(client, password="not-the-password")
    assert response.status_code == 200
    assert b"do not match" in response.data
    assert b'value="ada"' in response.data  # the username is kept
    assert client.get("/admin/incidents").status_code == 302


def test_login_goes_to_next_page_and_logout_ends_the_session(client, admin):
    response = log_in(client, next_url="/admin/incidents/new")
    assert response.status_code == 302 and response.location == "/admin/incidents/new"
    page = client.get("/admin/incidents")
    assert page.status_code == 200 and b"ada" in page.data
    client.post("/logout", data={"csrf_token": csrf_token(page.data)})
    assert client.get("/admin/incidents").status_code == 302


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_login_never_redirects_off_site(client, admin, next_url):
    response = log_in(client, next_url=next_url)
    assert response.location == "/admin/incidents"


def test_login_without_csrf_token_is_refused(client, admin):
    client.get("/login")
    response = client.post("/login", data={"username": "ada", "password": "correct-horse-battery"})
    assert response.status_code == 400
    assert client.get("/admin/incidents").status_code == 302


def test_declare_without_csrf_token_is_refused(logged_in):
    response = logged_in.post("/admin/incidents/new", data=declare_form())
    assert response.status_code == 400
    assert b"reload the page" in response.data
    assert b"Checkout is down" not in logged_in.get("/admin/incidents").data


def test_declare_with_a_forged_csrf_token_is_refused(logged_in):
    response = logged_in.post("/admin/incidents/new", data={"csrf_token": "forged", **declare_form()})
    assert response.status_code == 400


def test_backslash_next_url_is_not_followed(client, admin):
    assert log_in(client, next_url="/\\evil.example").location == "/admin/incidents"


def test_nul_in_username_is_just_a_failed_login(client, admin):
    response = log_in(client, username="nobody\x00", password="whatever-password")
    assert response.status_code == 200 and b"do not match" in response.data


def test_pages_forbid_foreign_scripts_and_caching(client):
    response = client.get("/login")
    policy = response.headers["Content-Security-Policy"]
    assert policy.startswith("default-src 'self';") and "object-src 'none'" in policy
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# Sessions live on the server: logout and expiry revoke them, whatever the browser kept.


def test_logout_revokes_the_session_so_the_old_cookie_opens_nothing(client, admin):
    log_in(client)
    page = client.get("/admin/incidents")
    assert page.status_code == 200
    kept = client.get_cookie("session").value
    assert "ada" not in kept  # the cookie names no admin
    client.post("/logout", data={"csrf_token": csrf_token(page.data)})
    client.set_cookie("session", kept)  # an attacker replays the cookie from before logout
    replayed = client.get("/admin/incidents")
    assert replayed.status_code == 302 and replayed.location == "/login?next=/admin/incidents"


def test_a_session_expires(client, admin, monkeypatch):
    log_in(client)
    assert client.get("/admin/incidents").status_code == 200
    later = clock.now() + SESSION_LIFETIME + timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert client.get("/admin/incidents").location == "/login?next=/admin/incidents"


def test_each_login_gets_its_own_session_and_logout_ends_only_that_one(app, admin):
    first, second = app.test_client(), app.test_client()
    log_in(first)
    log_in(second)
    page = first.get("/admin/incidents")
    first.post("/logout", data={"csrf_token": csrf_token(page.data)})
    assert first.get("/admin/incidents").status_code == 302
    assert second.get("/admin/incidents").status_code == 200


# Wrong passwords are throttled per username and per client address.


def _fail(client, username="ada", times=1, **environ):
    for _ in range(times):
        token = csrf_token(client.get("/login").data)
        answer = client.post(
            "/login",
            data={"csrf_token": token, "username": username, "password": "not-the-password"},
            **environ,
        )
    return answer


def test_the_sixth_wrong_password_is_answered_429_with_when_to_try_again(client, admin):
    assert _fail(client, times=5).status_code == 200
    sixth = _fail(client)
    assert sixth.status_code == 429
    retry_after = int(sixth.headers["Retry-After"])
    assert 0 < retry_after <= FAILURE_WINDOW.total_seconds()
    assert b"Too many failed sign-ins" in sixth.data and b"Try again at" in sixth.data
    at = clock.now() + timedelta(seconds=retry_after)
    shown = {(at + timedelta(seconds=d)).strftime("%H:%M UTC") for d in (-2, 0)}  # a minute may turn
    assert any(f"Try again at {time}".encode() in sixth.data for time in shown)
    assert b'value="ada"' in sixth.data


def test_the_right_password_waits_while_throttled_and_works_after_the_window(client, admin, monkeypatch):
    _fail(client, times=5)
    refused = log_in(client)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert client.get("/admin/incidents").status_code == 302
    later = clock.now() + FAILURE_WINDOW + timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert log_in(client).status_code == 302
    assert client.get("/admin/incidents").status_code == 200


def test_the_throttle_message_is_in_the_visitors_language(client, admin):
    _fail(client, times=5)
    token = csrf_token(client.get("/login").data)
    client.post("/language", data={"csrf_token": token, "lang": "bg"})
    answer = _fail(client)
    assert answer.status_code == 429 and "Твърде много неуспешни опити" in answer.get_data(as_text=True)


def test_two_users_are_throttled_separately(client, db, admin):
    with db.transaction() as session:
        create_admin(session, "bob", "another-long-password")
    _fail(client, username="ada", times=5)
    assert log_in(client).status_code == 429
    assert log_in(client, username="bob", password="another-long-password").status_code == 302


def test_a_successful_login_resets_the_count(client, admin):
    _fail(client, times=4)
    assert log_in(client).status_code == 302
    assert _fail(client, times=4).status_code == 200  # four more are answered normally
    assert log_in(client).status_code == 302


def test_one_address_guessing_many_usernames_is_throttled(client, admin):
    for n in range(MAX_FAILURES_PER_ADDRESS):
        assert _fail(client, username=f"guess-{n}").status_code == 200
    assert _fail(client, username="yet-another").status_code == 429
    other_address = {"environ_base": {"REMOTE_ADDR": "203.0.113.9"}}
    assert _fail(client, username="yet-another-still", **other_address).status_code == 200


def _seen_address(app, remote_addr: str, forwarded: str) -> str | None:
    """The client address the app sees for a request from ``remote_addr`` carrying ``forwarded``."""
    seen = app.extensions.setdefault("seen_addresses", [])
    if not seen:
        app.before_request(lambda: seen.append(client_address(request)))
        seen.append(None)
    app.test_client().get(
        "/healthz", headers={"X-Forwarded-For": forwarded}, environ_base={"REMOTE_ADDR": remote_addr}
    )
    return seen[-1]


def test_x_forwarded_for_is_ignored_unless_the_connection_is_a_trusted_proxy(database_url, helpdesk):
    forwarded = "198.51.100.7, 10.0.0.2"
    plain = build_app(database_url, helpdesk)
    behind_two = build_app(database_url, helpdesk, trusted_proxies=("10.0.0.0/24",), trusted_proxy_hops=2)
    behind_one = build_app(database_url, helpdesk, trusted_proxies=("10.0.0.1",), trusted_proxy_hops=1)
    try:
        assert _seen_address(plain, "10.0.0.1", forwarded) == "10.0.0.1"  # anyone can send the header
        assert _seen_address(behind_two, "10.0.0.1", forwarded) == "198.51.100.7"
        assert _seen_address(behind_one, "10.0.0.1", forwarded) == "10.0.0.2"
        # Not from a trusted proxy: the header is dropped, whatever the hops say.
        assert _seen_address(behind_two, "203.0.113.5", forwarded) == "203.0.113.5"
        # Fewer values than hops: ProxyFix believes none of them.
        assert _seen_address(behind_two, "10.0.0.1", "198.51.100.7") == "10.0.0.1"
    finally:
        for app in (plain, behind_two, behind_one):
            app.extensions["incidentdesk"].db.dispose()


def test_behind_a_trusted_proxy_addresses_are_throttled_apart(database_url, helpdesk):
    app = build_app(database_url, helpdesk, trusted_proxies=("127.0.0.1",), trusted_proxy_hops=1)
    try:
        with app.extensions["incidentdesk"].db.transaction() as session:
            create_admin(session, ADMIN_USERNAME, ADMIN_PASSWORD)
        client = app.test_client()
        one = {"headers": {"X-Forwarded-For": "198.51.100.7"}}
        for n in range(MAX_FAILURES_PER_ADDRESS):
            _fail(client, username=f"guess-{n}", **one)
        assert _fail(client, username="more", **one).status_code == 429
        assert _fail(client, username="more", headers={"X-Forwarded-For": "198.51.100.8"}).status_code == 200
    finally:
        app.extensions["incidentdesk"].db.dispose()


def test_the_trusted_proxy_settings_are_read_from_the_environment():
    key = {"INCIDENTDESK_SECRET_KEY": "k" * 40}
    env = {
        **key,
        "INCIDENTDESK_TRUSTED_PROXIES": "10.0.0.5, 10.1.0.0/16",
        "INCIDENTDESK_TRUSTED_PROXY_HOPS": "2",
    }
    settings = Settings.from_env(env)
    assert settings.trusted_proxies == ("10.0.0.5/32", "10.1.0.0/16")
    assert settings.trusted_proxy_hops == 2
    assert Settings.from_env({**key, "INCIDENTDESK_TRUSTED_PROXIES": "10.0.0.5"}).trusted_proxy_hops == 1
    plain = Settings.from_env(key)
    assert (plain.trusted_proxies, plain.trusted_proxy_hops) == ((), 0)
    with pytest.raises(SettingsError, match="INCIDENTDESK_TRUSTED_PROXY_HOPS"):
        Settings.from_env({**env, "INCIDENTDESK_TRUSTED_PROXY_HOPS": "-1"})
    with pytest.raises(SettingsError, match="INCIDENTDESK_TRUSTED_PROXIES is not"):
        Settings.from_env({**key, "INCIDENTDESK_TRUSTED_PROXY_HOPS": "1"})
    with pytest.raises(SettingsError, match="INCIDENTDESK_TRUSTED_PROXIES must list"):
        Settings.from_env({**key, "INCIDENTDESK_TRUSTED_PROXIES": "proxy.internal"})


def test_admin_pages_cannot_be_framed_by_any_site(logged_in):
    for path in ("/admin/incidents", "/admin/incidents/new", "/admin/incidents/999999"):
        answer = logged_in.get(path)
        assert answer.mimetype == "text/html", path
        assert answer.headers["Content-Security-Policy"].endswith("frame-ancestors 'none'"), path
        assert answer.headers["X-Frame-Options"] == "DENY", path
