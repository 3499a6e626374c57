"""End to end on SQLite and PostgreSQL: an incident a tool declared (the generic signed source),
once public, shows each of the tool's steps on its status page in English, Hebrew and
Bulgarian, through to the resolution, and leaves the index when resolved."""

import json
import time

import pytest
import requests

from service.domain.sources.signatures import sign_generic
from tests.factories import AUTH, seen_incident, source_from_template
from tests.helpers import start_service, wait_for

STEPS = [
    ("investigating", "he", "אנחנו בודקים תקלה בתשלומים באתר."),
    ("identified", "en", "We found the faulty payment gateway."),
    ("resolved", "bg", "Плащанията работят отново."),
]


@pytest.fixture
def running(database_url, sandbox, helpdesk):
    service = start_service(database_url, sandbox, helpdesk)
    yield service
    service.stop()


def _send(url: str, secret: str, **fields) -> None:
    body = json.dumps(
        {"id": "inhouse-7", "title": "Payments fail", "sent_at": int(time.time()), **fields}
    ).encode()
    headers = {"Content-Type": "application/json", "X-IncidentDesk-Signature": sign_generic(secret, body)}
    assert requests.post(url, data=body, headers=headers, timeout=10).status_code == 202


def _page(running, slug: str, lang: str) -> dict:
    return requests.get(f"{running.url}/status/{slug}.json?lang={lang}", timeout=10).json()


def test_each_step_of_a_tool_shows_on_the_page_in_three_languages(running):
    path, secret = source_from_template(running.services, "generic", auto_declare=True, auto_resolve=True)
    url = running.url + path
    stage, locale, text = STEPS[0]
    _send(url, secret, state=stage, text=text, locale=locale)
    incident = wait_for(lambda: seen_incident(running.services, "inhouse-7"))
    published = requests.put(
        f"{running.url}/api/v1/incidents/{incident.id}/public",
        json={"public": True},
        headers=AUTH,
        timeout=10,
    ).json()
    slug = published["slug"]
    for step, (stage, locale, text) in enumerate(STEPS):
        if step:
            _send(url, secret, state=stage, text=text, locale=locale)
        wait_for(lambda stage=stage: _page(running, slug, "en")["stage"] == stage)
        pages = {lang: _page(running, slug, lang) for lang in ("en", "he", "bg")}
        assert pages[locale]["updates"][0]["text"] == text  # the tool's words in its language
        assert all(len(page["updates"]) == step + 1 for page in pages.values())
    assert pages["bg"]["resolution"]["text"] == "Плащанията работят отново."
    first = pages["he"]["updates"][-1]
    assert (first["locale"], first["direction"], first["text"]) == ("he", "rtl", STEPS[0][2])
    # Each later step is in the tool's language alone, so every visitor reads it there.
    assert all(page["updates"][0]["locale"] == "bg" for page in pages.values())
    assert requests.get(f"{running.url}/status.json", timeout=10).json() == {"incidents": []}
