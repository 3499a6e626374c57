"""The public status page: no login and no cookie, the visitor's language (right to left where it
is), only what was written for customers, 404s, ETag/304 and the cache's invalidation, the Atom
feeds and the JSON documents."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from service.models import AuditEntry, IncidentRule
from tests.factories import AUTH, INCIDENT, add_links
from tests.web.conftest import post_form

ATOM = "{http://www.w3.org/2005/Atom}"
STATUS = {
    "en": "Hi {{first_name}}, checkout fails; details at {{status_page_url}}",
    "he": "שלום {{first_name}}, התשלום באתר לא עובד.",
    "bg": "Здравейте, {{first_name}}, плащането не работи.",
    "pt-br": "Olá {{first_name}}, o pagamento não funciona.",
}


def _public_incident(client, **publish) -> tuple[int, str]:
    incident = client.post("/api/v1/incidents", json={**INCIDENT, "status_texts": STATUS}, headers=AUTH)
    incident_id = incident.get_json()["id"]
    answer = client.put(
        f"/api/v1/incidents/{incident_id}/public", json={"public": True, **publish}, headers=AUTH
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return incident_id, answer.get_json()["slug"]


@pytest.fixture
def published(client):
    return _public_incident(client)


def test_publishing_makes_a_slug_from_the_title_and_an_absolute_url(client, published):
    incident_id, slug = published
    assert slug == "checkout-is-down"
    again = client.put(f"/api/v1/incidents/{incident_id}/public", json={"public": True}, headers=AUTH)
    assert again.get_json() == {
        "incident_id": incident_id,
        "public": True,
        "slug": "checkout-is-down",
        "url": "http://localhost/status/checkout-is-down",
    }


def test_a_second_incident_with_the_same_title_gets_its_own_slug_and_a_taken_one_is_refused(
    client, published
):
    other_id, other_slug = _public_incident(client)
    assert other_slug == "checkout-is-down-2"
    taken = client.put(
        f"/api/v1/incidents/{other_id}/public",
        json={"public": True, "slug": "checkout-is-down"},
        headers=AUTH,
    )
    assert taken.status_code == 409
    bad = client.put(
        f"/api/v1/incidents/{other_id}/public", json={"public": True, "slug": "Not a slug!"}, headers=AUTH
    )
    assert bad.status_code == 422 and "slug" in bad.get_json()["fields"]
    renamed = client.put(
        f"/api/v1/incidents/{other_id}/public", json={"public": True, "slug": "checkout-eu"}, headers=AUTH
    )
    assert renamed.get_json()["url"].endswith("/status/checkout-eu")
    assert client.get("/status/checkout-eu").status_code == 200


def test_the_page_needs_no_login_and_sets_no_cookie(client, published):
    page = client.get("/status/checkout-is-down")
    assert page.status_code == 200
    assert "Set-Cookie" not in page.headers
    assert "<script>" not in page.get_data(as_text=True)  # the CSP forbids inline scripts
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")


@pytest.mark.parametrize(
    ("query", "accept", "lang", "direction", "text"),
    [
        ("?lang=he", "bg", "he", "rtl", "שלום, התשלום באתר לא עובד."),
        ("?lang=bg", "", "bg", "ltr", "Здравейте, плащането не работи."),
        ("", "he-IL,en;q=0.5", "he", "rtl", "התשלום באתר"),
        ("", "de-DE, bg;q=0.8", "bg", "ltr", "плащането"),
        ("", "pt-BR", "pt-br", "ltr", "Olá, o pagamento"),
        ("", "de", "en", "ltr", "Hi, checkout fails"),
        ("?lang=xx", "", "en", "ltr", "Hi, checkout fails"),
        ("?lang=ar", "", "en", "ltr", "Hi, checkout fails"),  # no Arabic text: the default's
    ],
)
def test_the_language_is_asked_then_accepted_then_the_default(
    client, published, query, accept, lang, direction, text
):
    page = client.get(f"/status/checkout-is-down{query}", headers={"Accept-Language": accept})
    html = page.get_data(as_text=True)
    assert f'<html lang="{lang}" dir="{direction}">' in html
    assert text in html


def test_the_page_chrome_follows_the_language(client, published):
    assert "עדכונים" in client.get("/status/checkout-is-down?lang=he").get_data(as_text=True)
    assert "Обновявания" in client.get("/status/checkout-is-down?lang=bg").get_data(as_text=True)
    assert "Updates" in client.get("/status/checkout-is-down?lang=pt-br").get_data(as_text=True)


def test_the_page_fills_in_its_own_address_and_times_in_utc(client, published):
    html = client.get("/status/checkout-is-down").get_data(as_text=True)
    assert "details at http://localhost/status/checkout-is-down" in html
    assert '<time datetime="20' in html and 'Z">' in html
    assert "{{" not in html


def test_only_what_was_written_for_customers_is_shown(client, db, published):
    incident_id, _ = published
    add_links(db, incident_id)  # tickets with subjects and excerpts
    with db.transaction() as session:
        session.add(IncidentRule(incident_id=incident_id, kind="phrase", value="secret-rule-phrase"))
        session.add(
            AuditEntry(action="link.note", incident_id=incident_id, detail={"note": "internal-note-secret"})
        )
    client.post(
        f"/api/v1/incidents/{incident_id}/status",
        json={"stage": "identified", "texts": {"en": "We found the cause."}, "broadcast": False},
        headers=AUTH,
    )
    client.post(
        f"/api/v1/incidents/{incident_id}/resolve",
        json={"texts": {"en": "Fixed, sorry."}, "survey": True},
        headers=AUTH,
    )
    shown = "".join(
        client.get(url).get_data(as_text=True)
        for url in (
            "/status/checkout-is-down",
            "/status/checkout-is-down.json",
            "/status/checkout-is-down/feed.atom",
            "/status",
            "/status.json",
            "/status/feed.atom",
        )
    )
    for internal in (
        "Checkout broken #",  # linked tickets' subjects
        "my checkout fails",  # their excerpts
        "secret-rule-phrase",
        "internal-note-secret",
        "created_by",  # who wrote the status
        "satisfaction",  # the survey's placeholder in the resolution
        "incident_checkout_is_down",  # the helpdesk tag
    ):
        assert internal not in shown, internal
    assert "Fixed, sorry." in shown and "We found the cause." in shown


def test_unknown_and_hidden_pages_are_not_found(client, published):
    incident_id, slug = published
    for url in ("/status/no-such-page", "/status/no-such-page.json", "/status/no-such-page/feed.atom"):
        assert client.get(url).status_code == 404
    assert "No status page here" in client.get("/status/no-such-page").get_data(as_text=True)
    client.put(f"/api/v1/incidents/{incident_id}/public", json={"public": False}, headers=AUTH)
    page = client.get(f"/status/{slug}")
    assert page.status_code == 404 and "Set-Cookie" not in page.headers
    assert client.get("/status.json").get_json() == {"incidents": []}


def test_etag_and_cache_control_and_304(client, published):
    for url in (
        "/status/checkout-is-down",
        "/status/checkout-is-down.json",
        "/status/checkout-is-down/feed.atom",
        "/status",
        "/status.json",
        "/status/feed.atom",
    ):
        first = client.get(url)
        assert first.status_code == 200, url
        assert first.headers["Cache-Control"] == "public, max-age=30"
        etag = first.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""


def test_an_update_resolve_reopen_or_hiding_changes_the_page_at_once(client, published):
    incident_id, _ = published
    url = "/status/checkout-is-down.json"
    etag = client.get(url).headers["ETag"]
    client.post(
        f"/api/v1/incidents/{incident_id}/status",
        json={"stage": "monitoring", "texts": {"en": "Watching it."}, "broadcast": False},
        headers=AUTH,
    )
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.get_json()["stage"] == "monitoring"
    client.post(f"/api/v1/incidents/{incident_id}/resolve", json={"texts": {"en": "Fixed."}}, headers=AUTH)
    resolved = client.get(url).get_json()
    assert resolved["state"] == "resolved" and resolved["resolution"]["text"] == "Fixed."
    assert client.get("/status.json").get_json() == {"incidents": []}  # the index lists active ones
    client.post(f"/api/v1/incidents/{incident_id}/reopen", headers=AUTH)
    reopened = client.get(url).get_json()
    assert (
        reopened["state"] == "active" and reopened["resolution"] is None and reopened["stage"] == "monitoring"
    )


def test_the_json_documents(client, published):
    document = client.get("/status/checkout-is-down.json?lang=he").get_json()
    assert set(document) == {
        "slug",
        "url",
        "title",
        "state",
        "stage",
        "locale",
        "direction",
        "started_at",
        "updated_at",
        "resolved_at",
        "resolution",
        "updates",
    }
    assert document["locale"] == "he" and document["direction"] == "rtl"
    assert document["updates"][0]["text"] == "שלום, התשלום באתר לא עובד."
    assert document["updates"][0]["at"].endswith("Z")
    index = client.get("/status.json").get_json()
    assert [i["slug"] for i in index["incidents"]] == ["checkout-is-down"]
    assert index["incidents"][0]["current"]["stage"] == "investigating"


def test_the_feeds_are_atom_with_entries(client, published):
    incident_id, _ = published
    client.post(
        f"/api/v1/incidents/{incident_id}/status",
        json={"stage": "identified", "texts": {"en": "Found it."}, "broadcast": False},
        headers=AUTH,
    )
    feed = client.get("/status/checkout-is-down/feed.atom")
    assert feed.mimetype == "application/atom+xml"
    root = ET.fromstring(feed.data)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{name}").text
    entries = root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == [
        "Identified: Checkout is down",
        "Investigating: Checkout is down",
    ]
    assert entries[0].find(f"{ATOM}content").text == "Found it."
    assert entries[0].find(f"{ATOM}id").text == "http://localhost/status/checkout-is-down#v2"
    index = ET.fromstring(client.get("/status/feed.atom").data)
    assert len(index.findall(f"{ATOM}entry")) == 1


def test_an_admin_shows_and_hides_the_page_on_the_incident_page(client, logged_in):
    incident_id = client.post("/api/v1/incidents", json=INCIDENT, headers=AUTH).get_json()["id"]
    detail = logged_in.get(f"/admin/incidents/{incident_id}").get_data(as_text=True)
    assert 'value="checkout-is-down"' in detail and "Show the public page" in detail
    bad = post_form(
        logged_in, f"/admin/incidents/{incident_id}/public", {"public": "on", "slug": "no spaces"}
    )
    assert bad.status_code == 422 and "single hyphens" in bad.get_data(as_text=True)
    shown = post_form(
        logged_in, f"/admin/incidents/{incident_id}/public", {"public": "on", "slug": "checkout-eu"}
    )
    assert shown.status_code == 302
    detail = logged_in.get(shown.location).get_data(as_text=True)
    assert "http://localhost/status/checkout-eu" in detail and "Hide the public page" in detail
    assert client.get("/status/checkout-eu").status_code == 200
    post_form(logged_in, f"/admin/incidents/{incident_id}/public", {"public": "off", "slug": "checkout-eu"})
    assert client.get("/status/checkout-eu").status_code == 404


def test_the_page_links_to_each_language_it_is_written_in(client, published):
    html = client.get("/status/checkout-is-down?lang=he").get_data(as_text=True)
    assert 'href="?lang=bg" lang="bg" hreflang="bg" dir="ltr">Български</a>' in html
    assert 'href="?lang=he" lang="he" hreflang="he" dir="rtl" aria-current="true">עברית</a>' in html


def test_a_forged_host_does_not_reach_other_visitors_feeds(client, published):
    client.get("/status/feed.atom", headers={"Host": "evil.example"})
    client.get("/status/checkout-is-down/feed.atom", headers={"Host": "evil.example"})
    for url in ("/status/feed.atom", "/status/checkout-is-down/feed.atom"):
        assert b"evil.example" not in client.get(url).data
