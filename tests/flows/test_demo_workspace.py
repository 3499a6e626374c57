"""The demo's stand-in for Zendesk's agent workspace, as the demo composes it: a throwaway key
pair configures the service's Zendesk app settings, the page signs with its private key what
Zendesk would sign, the real sidebar accepts that and refuses any other key; a normal app has no
such page."""

from __future__ import annotations

import re
import time

import jwt
import pytest

from service.app import create_app
from service.demo import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME, DEMO_WORKSPACE_PATH, prepare, seed
from service.settings import ZAF_SDK_URL
from service.web.zendesk_app.auth import verify_zendesk_token
from service.wiring import build_services
from tests.conftest import make_settings
from tests.helpers import app_settings, free_port, key_pair, sidebar_token, zendesk_token


@pytest.fixture
def demo(sandbox, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the demo keeps its database in var/ of where it runs
    seed(sandbox)
    port = free_port()
    app, services = prepare("127.0.0.1", port, sandbox)
    yield app, services, port
    services.db.dispose()


def signed_in(app):
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    answer = client.post(
        "/login", data={"csrf_token": csrf, "username": DEMO_ADMIN_USERNAME, "password": DEMO_ADMIN_PASSWORD}
    )
    assert answer.status_code == 302
    return client


def page_token(html: str) -> str:
    found = re.search(r'<input type="hidden" name="token" value="([^"]+)">', html)
    assert found, "the workspace opens the sidebar with a signed token"
    return found.group(1)


def test_the_demos_key_pair_verifies_the_pages_tokens_and_the_sidebar_refuses_other_keys(demo, tmp_path):
    app, services, port = demo
    settings = services.settings
    assert settings.zendesk_app_public_key.startswith("-----BEGIN PUBLIC KEY-----")
    assert settings.zendesk_app_public_key != key_pair("app").public_pem
    assert settings.zendesk_app_audience == "https://sandbox.zendesk.com/api/v2/apps/installations/1.json"
    client = signed_in(app)
    [ticket_id] = [t.id for t in services.helpdesk.search_tickets("Where is my order", limit=5)]

    page = client.get(f"{DEMO_WORKSPACE_PATH}?ticket={ticket_id}")
    assert page.status_code == 200
    token = page_token(page.get_data(as_text=True))
    identity = verify_zendesk_token(token, settings)  # with the configured public key and audience
    assert identity.account == "sandbox.zendesk.com" and identity.ticket_id == ticket_id
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["context"] == {"product": "support", "location": "ticket_sidebar", "ticket_id": ticket_id}
    assert claims["exp"] - claims["iat"] == 300

    opened = client.post("/app/sidebar", data={"token": token})
    assert opened.status_code == 200 and sidebar_token(opened.get_data(as_text=True))
    assert opened.headers["Content-Security-Policy"].endswith(f"frame-ancestors http://127.0.0.1:{port}")
    assert 'src="/demo/static/zaf_stand_in.js"' in opened.get_data(as_text=True)

    forged = jwt.encode(
        {**claims, "exp": int(time.time()) + 300}, key_pair("other").private, algorithm="RS256"
    )
    refused = client.post("/app/sidebar", data={"token": forged})
    assert refused.status_code == 401
    assert "signature does not match this app&#39;s public key" in refused.get_data(as_text=True)
    written = [p for p in tmp_path.rglob("*") if p.is_file() and b"PRIVATE KEY" in p.read_bytes()]
    assert written == [], "the demo's private key stays in memory"


def test_the_workspace_asks_for_the_admin_login_and_says_what_to_fix(demo):
    app, _, _ = demo
    anonymous = app.test_client().get(DEMO_WORKSPACE_PATH)
    assert (
        anonymous.status_code == 302 and "/login?next=/demo/agent-workspace" in anonymous.headers["Location"]
    )
    client = signed_in(app)
    not_a_number = client.get(f"{DEMO_WORKSPACE_PATH}?ticket=12abc")
    assert not_a_number.status_code == 400
    assert "must be a ticket number" in not_a_number.get_data(as_text=True)
    assert 'name="token"' not in not_a_number.get_data(as_text=True)
    unknown = client.get(f"{DEMO_WORKSPACE_PATH}?ticket=999999")
    assert unknown.status_code == 404 and "not among the open tickets" in unknown.get_data(as_text=True)


def test_a_normal_app_has_no_agent_workspace_and_frames_only_for_zendesk(sqlite_url):
    app = create_app(services=build_services(app_settings(make_settings(sqlite_url)), helpdesk=object()))
    assert not [rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/demo")]
    client = app.test_client()
    assert client.get(DEMO_WORKSPACE_PATH).status_code == 404
    assert client.get("/demo/static/zaf_stand_in.js").status_code == 404
    sidebar = client.post("/app/sidebar", data={"token": zendesk_token()})
    assert sidebar.status_code == 200
    assert sidebar.headers["Content-Security-Policy"].endswith("frame-ancestors https://sandbox.zendesk.com")
    assert f'src="{ZAF_SDK_URL}"' in sidebar.get_data(as_text=True)
