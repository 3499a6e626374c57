"""Authentication forms, error bodies, and paths with and without ``.json``."""

import base64

import requests

from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN, DEMO_OAUTH_TOKEN


def _get(url, **kwargs):
    return requests.get(url, timeout=5, **kwargs)


def test_api_token_basic_auth_with_and_without_json_suffix(sandbox):
    auth = (f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN)
    for path in ("/api/v2/users/me.json", "/api/v2/users/me"):
        resp = _get(sandbox.url + path, auth=auth)
        assert resp.status_code == 200
        assert resp.json()["user"]["email"] == DEMO_AGENT_EMAIL
        assert resp.json()["user"]["role"] == "admin"


def test_oauth_bearer_token(sandbox):
    resp = _get(sandbox.url + "/api/v2/users/me", headers={"Authorization": f"Bearer {DEMO_OAUTH_TOKEN}"})
    assert resp.status_code == 200


def test_bad_credentials_get_zendesk_401_body(sandbox):
    for auth in [
        None,
        (f"{DEMO_AGENT_EMAIL}/token", "wrong"),
        (DEMO_AGENT_EMAIL, DEMO_API_TOKEN),
        ("nobody@example.com/token", DEMO_API_TOKEN),
    ]:
        resp = _get(sandbox.url + "/api/v2/tickets.json", auth=auth)
        assert resp.status_code == 401
        assert resp.json() == {"error": "Couldn't authenticate you"}
    resp = _get(sandbox.url + "/api/v2/tickets", headers={"Authorization": "Basic !!notbase64"})
    assert resp.status_code == 401


def test_end_users_are_forbidden(sandbox):
    with sandbox.state.lock:
        sandbox.state.add_user(name="Customer", email="c@example.com")
    token = base64.b64encode(f"c@example.com/token:{DEMO_API_TOKEN}".encode()).decode()
    resp = _get(sandbox.url + "/api/v2/tickets", headers={"Authorization": f"Basic {token}"})
    assert resp.status_code == 403
    assert resp.json()["error"] == "Forbidden"


def test_unknown_record_and_endpoint_are_404_json(api, sandbox):
    resp = api.get(sandbox.url + "/api/v2/tickets/999999.json")
    assert resp.status_code == 404
    assert resp.json() == {"error": "RecordNotFound", "description": "Not found"}
    assert api.get(sandbox.url + "/api/v2/no_such_thing").status_code == 404


def test_malformed_json_is_400(api, sandbox):
    resp = api.post(
        sandbox.url + "/api/v2/tickets.json", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 400
    assert resp.json()["error"] == "InvalidJSON"
