"""The admin UI needs a login, and every form needs its CSRF token."""

from __future__ import annotations

import pytest

from tests.web.conftest import csrf_token, declare_form, log_in


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
