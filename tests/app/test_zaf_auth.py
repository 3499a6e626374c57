"""Zendesk's signed initial page (RS256 JWT) and the sidebar token that follows it."""

from __future__ import annotations

import html
import time

import jwt
import pytest
from itsdangerous import URLSafeTimedSerializer

from service.app import create_app
from service.settings import Settings, SettingsError
from service.web.zendesk_app.auth import SIDEBAR_TOKEN_MAX_AGE, SIDEBAR_TOKEN_SALT
from service.wiring import build_services
from tests.conftest import make_settings
from tests.helpers import (
    ACCOUNT,
    AGENT_ID,
    SIDEBAR_TICKET_ID,
    app_settings,
    key_pair,
    sidebar_token,
    zendesk_token,
)


@pytest.fixture
def client(sqlite_url):
    app = create_app(services=build_services(app_settings(make_settings(sqlite_url)), helpdesk=object()))
    return app.test_client()


def test_a_valid_zendesk_token_opens_the_sidebar_framable_by_zendesk_only(client):
    answer = client.post("/app/sidebar?locale=he", data={"token": zendesk_token()})
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert '<html lang="he" dir="rtl">' in page
    assert "https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js" in page
    policy = answer.headers["Content-Security-Policy"]
    assert (
        policy.endswith("frame-ancestors https://sandbox.zendesk.com")
        and "script-src 'self' https://static.zdassets.com" in policy
    )
    token = sidebar_token(page)
    data = URLSafeTimedSerializer("test-secret-key-" + "x" * 32, salt=SIDEBAR_TOKEN_SALT).loads(token)
    assert data == {"account": ACCOUNT, "user": str(AGENT_ID), "ticket": SIDEBAR_TICKET_ID}
    assert "test-secret-key" not in page and key_pair("app").public_pem.splitlines()[1] not in page
    assert "X-Frame-Options" not in answer.headers  # it cannot say "this Zendesk account only"


def test_only_the_configured_zendesk_account_may_frame_the_app(sqlite_url):
    settings = app_settings(make_settings(sqlite_url)).with_overrides(zendesk_subdomain="acme")
    app = create_app(services=build_services(settings, helpdesk=object()))
    token = zendesk_token(iss="acme.zendesk.com")
    for path in ("/app/sidebar", "/app/nav"):
        answer = app.test_client().post(path, data={"token": token})
        assert answer.status_code == 200, path
        policy = answer.headers["Content-Security-Policy"]
        assert "frame-ancestors https://acme.zendesk.com" in policy and "*" not in policy, path
    refused = app.test_client().post("/app/sidebar", data={"token": "bad"})
    assert "frame-ancestors https://acme.zendesk.com" in refused.headers["Content-Security-Policy"]


def test_the_admin_pages_keep_their_own_policy_and_no_site_may_frame_them(client):
    answer = client.get("/login")
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "make_token, message",
    [
        (lambda: zendesk_token(expires_in=-120), "The Zendesk token has expired. Reload the app in Zendesk."),
        (
            lambda: zendesk_token(aud="https://sandbox.zendesk.com/api/v2/apps/installations/1.json"),
            "The Zendesk token was issued for another app installation (audience mismatch).",
        ),
        (
            lambda: zendesk_token(iss="evil.zendesk.com"),
            "The Zendesk token was issued by another Zendesk account.",
        ),
        (
            lambda: zendesk_token(key="someone-else"),
            "The Zendesk token's signature does not match this app's public key.",
        ),
        (lambda: zendesk_token(exp=None), "The Zendesk token lacks the 'exp' claim."),
        (lambda: "", "No Zendesk token was sent. Open IncidentDesk from the app in Zendesk"),
        (lambda: "not.a.jwt", "The Zendesk token is not a valid RS256 JWT."),
    ],
)
def test_a_bad_zendesk_token_is_refused_with_a_message(client, make_token, message):
    # Built when the test runs: a token made at collection would expire before a long run gets here.
    answer = client.post("/app/sidebar", data={"token": make_token()})
    assert answer.status_code == 401
    assert message in html.unescape(answer.get_data(as_text=True))
    assert "incidentdesk-sidebar-token" not in answer.get_data(as_text=True)


def test_a_token_signed_with_the_public_key_as_an_hmac_secret_is_refused(client):
    forged = jwt.encode(
        {"iss": ACCOUNT, "aud": "x", "exp": int(time.time()) + 60}, "k" * 32, algorithm="HS256"
    )
    answer = client.post("/app/sidebar", data={"token": forged})
    assert answer.status_code == 401 and "not a valid RS256 JWT" in answer.get_data(as_text=True)


def test_the_nav_bar_page_is_signed_too_and_opens_the_admin_in_a_new_tab(client):
    assert client.post("/app/nav", data={"token": zendesk_token(key="someone-else")}).status_code == 401
    answer = client.post("/app/nav", data={"token": zendesk_token(ticket_id=None)})
    assert answer.status_code == 200
    assert 'href="/admin/incidents" target="_blank" rel="noopener noreferrer"' in answer.get_data(
        as_text=True
    )


def test_the_nav_link_never_comes_from_the_host_header(sqlite_url):
    settings = app_settings(make_settings(sqlite_url))
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    relative = create_app(services=build_services(settings, helpdesk=object())).test_client()
    page = relative.post("/app/nav", data={"token": zendesk_token()}, headers=forged).get_data(as_text=True)
    assert 'href="/admin/incidents"' in page and "evil.example" not in page
    public = settings.with_overrides(public_url="https://incidentdesk.example.com")
    configured = create_app(services=build_services(public, helpdesk=object())).test_client()
    page = configured.post("/app/nav", data={"token": zendesk_token()}, headers=forged).get_data(as_text=True)
    assert 'href="https://incidentdesk.example.com/admin/incidents"' in page and "evil.example" not in page


def test_the_public_url_setting_must_be_an_address():
    base = {"INCIDENTDESK_SECRET_KEY": "k" * 40}
    assert Settings.from_env(base).public_url == ""
    given = {**base, "INCIDENTDESK_PUBLIC_URL": "https://incidentdesk.example.com/"}
    assert Settings.from_env(given).public_url == "https://incidentdesk.example.com"
    for bad in ("incidentdesk.example.com", "javascript:alert(1)", "https://x.example/?a=1"):
        with pytest.raises(SettingsError, match="INCIDENTDESK_PUBLIC_URL"):
            Settings.from_env({**base, "INCIDENTDESK_PUBLIC_URL": bad})
    with pytest.raises(SettingsError, match="ZENDESK_SUBDOMAIN"):
        Settings.from_env({**base, "ZENDESK_SUBDOMAIN": "acme; script-src *"})


def test_an_unconfigured_server_says_what_the_operator_must_set(sqlite_url):
    app = create_app(services=build_services(make_settings(sqlite_url), helpdesk=object()))
    answer = app.test_client().post("/app/sidebar", data={"token": zendesk_token()})
    assert answer.status_code == 503
    assert "ZENDESK_APP_PUBLIC_KEY and ZENDESK_APP_AUDIENCE" in answer.get_data(as_text=True)


def test_the_json_routes_want_the_sidebar_token_in_the_header(client):
    token = sidebar_token(client.post("/app/sidebar", data={"token": zendesk_token()}).get_data(as_text=True))
    assert (
        client.get("/app/sidebar/tickets/7", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    )
    missing = client.get("/app/sidebar/tickets/7")
    assert missing.status_code == 401 and missing.get_json()["error"].startswith("Send the sidebar token")
    assert (
        client.get("/app/sidebar/tickets/7", headers={"Authorization": f"Bearer {token}x"}).status_code == 401
    )
    # State-changing routes are not reachable with a cookie or a form: the header is required.
    refused = client.post("/app/sidebar/tickets/7/unlink", data={"token": zendesk_token()})
    assert refused.status_code == 401


def test_an_old_sidebar_token_or_one_from_another_account_is_refused(client, monkeypatch):
    serializer = URLSafeTimedSerializer("test-secret-key-" + "x" * 32, salt=SIDEBAR_TOKEN_SALT)
    other = serializer.dumps({"account": "evil.zendesk.com", "user": "1"})
    answer = client.get("/app/sidebar/tickets/7", headers={"Authorization": f"Bearer {other}"})
    assert answer.status_code == 401 and "another Zendesk account" in answer.get_json()["error"]
    token = serializer.dumps({"account": ACCOUNT, "user": "1"})
    later = time.time() + SIDEBAR_TOKEN_MAX_AGE + 5
    monkeypatch.setattr(time, "time", lambda: later)
    answer = client.get("/app/sidebar/tickets/7", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401 and "expired" in answer.get_json()["error"]


def test_a_broken_public_key_is_reported_as_the_servers_problem(sqlite_url):
    settings = app_settings(make_settings(sqlite_url)).with_overrides(zendesk_app_public_key="not a PEM key")
    app = create_app(services=build_services(settings, helpdesk=object()))
    answer = app.test_client().post("/app/sidebar", data={"token": zendesk_token()})
    assert answer.status_code == 503
    assert "ZENDESK_APP_PUBLIC_KEY is not a usable RSA public key (PEM)." in answer.get_data(as_text=True)


# A sidebar token is bound to the ticket Zendesk's signed request named.


def _token_for(client, ticket_id) -> str:
    page = client.post("/app/sidebar", data={"token": zendesk_token(ticket_id=ticket_id)})
    assert page.status_code == 200
    assert f'data-ticket="{ticket_id}"' in page.get_data(as_text=True)
    return sidebar_token(page.get_data(as_text=True))


def test_a_sidebar_token_for_one_ticket_cannot_read_link_or_unlink_another(client):
    # helpdesk=object(): a refusal that reached the helpdesk or the database would fail loudly.
    auth = {"Authorization": f"Bearer {_token_for(client, 7)}"}
    expected = "This sidebar was opened on ticket #7; it cannot read or change ticket #8."
    for method, path, body in [
        ("get", "/app/sidebar/tickets/8", None),
        ("post", "/app/sidebar/tickets/8/unlink", {"reason": "x"}),
        ("post", "/app/sidebar/tickets/8/link", {"incident_id": 1}),
    ]:
        answer = getattr(client, method)(path, headers=auth, json=body)
        assert answer.status_code == 403, path
        assert answer.get_json()["error"].startswith(expected), path
    own = client.get("/app/sidebar/tickets/7", headers=auth)
    assert own.status_code == 200 and own.get_json()["ticket_id"] == 7


def test_the_ticket_comes_from_the_signed_token_not_from_the_form(client):
    page = client.post("/app/sidebar", data={"token": zendesk_token(ticket_id=7), "ticket_id": "8"})
    auth = {"Authorization": f"Bearer {sidebar_token(page.get_data(as_text=True))}"}
    assert client.get("/app/sidebar/tickets/8", headers=auth).status_code == 403
    assert client.get("/app/sidebar/tickets/7", headers=auth).status_code == 200


@pytest.mark.parametrize("ticket_id", [None, 0, -4, True, "7x", 2**63, 1.5])
def test_a_sidebar_request_that_names_no_valid_ticket_is_refused(client, ticket_id):
    token = zendesk_token(ticket_id=None, context={"product": "support", "ticket_id": ticket_id})
    answer = client.post("/app/sidebar", data={"token": token})
    assert answer.status_code == 400
    assert "does not say which ticket" in html.unescape(answer.get_data(as_text=True))
    assert "incidentdesk-sidebar-token" not in answer.get_data(as_text=True)


def test_a_ticket_id_sent_as_a_string_is_read_as_that_ticket(client):
    token = zendesk_token(ticket_id=None, context={"product": "support", "ticket_id": "12"})
    auth = {
        "Authorization": f"Bearer {sidebar_token(client.post('/app/sidebar', data={'token': token}).get_data(as_text=True))}"
    }
    assert client.get("/app/sidebar/tickets/12", headers=auth).status_code == 200


def test_a_token_that_names_no_ticket_opens_none(client):
    serializer = URLSafeTimedSerializer("test-secret-key-" + "x" * 32, salt=SIDEBAR_TOKEN_SALT)
    unbound = serializer.dumps({"account": ACCOUNT, "user": "1"})  # as issued before tokens were bound
    answer = client.get("/app/sidebar/tickets/7", headers={"Authorization": f"Bearer {unbound}"})
    assert answer.status_code == 403 and "not for any ticket" in answer.get_json()["error"]
