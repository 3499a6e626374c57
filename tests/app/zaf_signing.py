"""Stand-in for Zendesk's side of signed URLs: an RSA key pair made for the test (Zendesk's own
signing key cannot exist here) and JWTs shaped like the ones Zendesk POSTs to an app's page."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import cache

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ACCOUNT = "sandbox.zendesk.com"  # make_settings uses the subdomain "sandbox"
AUDIENCE = f"https://{ACCOUNT}/api/v2/apps/installations/360001.json"
AGENT_ID = 90210


@dataclass(frozen=True)
class KeyPair:
    private: rsa.RSAPrivateKey
    public_pem: str


@cache
def key_pair(name: str) -> KeyPair:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return KeyPair(private, public_pem)


def zendesk_token(*, key: str = "app", expires_in: int = 300, **claims) -> str:
    now = int(time.time())
    payload = {"iss": ACCOUNT, "aud": AUDIENCE, "iat": now, "exp": now + expires_in,
               "sub": f"https://{ACCOUNT}/api/v2/users/{AGENT_ID}.json",
               "context": {"product": "support", "location": "ticket_sidebar"}}
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, key_pair(key).private, algorithm="RS256")


def app_settings(settings):
    return settings.with_overrides(zendesk_app_public_key=key_pair("app").public_pem, zendesk_app_audience=AUDIENCE)


def sidebar_token(html: str) -> str:
    found = re.search(r'<meta name="incidentdesk-sidebar-token" content="([^"]+)">', html)
    assert found, "the sidebar page carries a sidebar token"
    return found.group(1)
