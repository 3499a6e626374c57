"""Customer texts in any Zendesk language through the REST API and the admin forms: a status in
Turkish is taken, Arabic boxes are right to left, and the status macro's dynamic content gets a
variant for every language the incident uses."""

from __future__ import annotations

import re

import requests
from sqlalchemy import select

from service.models import Incident, StatusUpdate
from tests.factories import AUTH, INCIDENT, declare, declare_checkout_incident
from tests.web.conftest import post_form
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN

TR = "Ödeme sistemi çalışmıyor; düzeltiyoruz."
AR = "نظام الدفع متوقف ونعمل على إصلاحه."
RU = "Оплата не работает, чиним."


def variants(sandbox, item_id: int) -> dict[int, str]:
    answer = requests.get(
        f"{sandbox.url}/api/v2/dynamic_content/items/{item_id}.json",
        timeout=5,
        auth=(f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN),
    )
    return {v["locale_id"]: v["content"] for v in answer.json()["item"]["variants"]}


def locale_ids(sandbox) -> dict[str, int]:
    answer = requests.get(
        f"{sandbox.url}/api/v2/locales.json", timeout=5, auth=(f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN)
    )
    return {item["locale"]: item["id"] for item in answer.json()["locales"]}


def latest(db, incident_id: int) -> StatusUpdate:
    with db.transaction() as session:
        return session.scalars(
            select(StatusUpdate).where(StatusUpdate.incident_id == incident_id).order_by(StatusUpdate.version)
        ).all()[-1]


def test_the_api_takes_a_status_in_turkish_and_publishes_a_variant_per_language(client, db, sandbox):
    created = client.post(
        "/api/v1/incidents", json={**INCIDENT, "status_texts": {"en": "Down", "ar": AR}}, headers=AUTH
    )
    assert created.status_code == 201, created.json
    incident_id = created.json["id"]

    answer = client.post(
        f"/api/v1/incidents/{incident_id}/status",
        json={"stage": "identified", "texts": {"tr": TR, "ru": RU}},
        headers=AUTH,
    )
    assert answer.status_code == 201, answer.json
    assert latest(db, incident_id).texts == {"tr": TR, "ru": RU}

    with db.transaction() as session:
        item_id = session.get(Incident, incident_id).dynamic_content_id
    ids, shown = locale_ids(sandbox), variants(sandbox, item_id)
    assert shown[ids["tr"]] == TR and shown[ids["ru"]] == RU
    # Languages of the earlier version keep a variant, with this version's fallback text.
    assert set(shown) == {ids["en-US"], ids["ar"], ids["tr"], ids["ru"]}
    assert AR not in shown.values()


def test_the_admin_form_takes_a_status_in_turkish(logged_in, db):
    incident_id = declare(logged_in)
    response = post_form(
        logged_in,
        f"/admin/incidents/{incident_id}/status",
        {"stage": "identified", "status_en": "Fixing it.", "status_tr": TR},
    )
    assert response.status_code == 302, response.data[:500]
    assert latest(db, incident_id).texts == {"en": "Fixing it.", "tr": TR}

    page = logged_in.get(f"/admin/incidents/{incident_id}").data.decode()
    # The next update's form has a box for Turkish now that the incident uses it.
    assert re.search(r'<textarea id="status_tr" name="status_tr" rows="3" lang="tr" dir="ltr">', page)


def test_arabic_boxes_and_quotes_are_right_to_left(logged_in, db):
    incident_id = declare(logged_in, default_locale="ar", status_ar=AR)
    page = logged_in.get(f"/admin/incidents/{incident_id}").data.decode()
    assert '<textarea id="status_ar" name="status_ar" rows="3" lang="ar" dir="rtl">' in page
    assert '<textarea id="final_ar" name="final_ar" rows="3" lang="ar" dir="rtl">' in page
    assert f'<blockquote lang="ar" dir="rtl">{AR}</blockquote>' in page

    declare_page = logged_in.get("/admin/incidents/new").data.decode()
    assert '<option value="tr" lang="tr"' in declare_page and '<option value="ar" lang="ar"' in declare_page


def test_merge_comments_in_russian_keep_their_box_and_survive_a_form_save(logged_in, client):
    comments = {
        "source": {"en": "Merged into #{{target_id}}.", "ru": "Объединено с #{{target_id}}."},
        "target": {"en": "#{{source_id}} was merged here.", "ru": "#{{source_id}} объединён сюда."},
    }
    saved = client.put("/api/v1/merge-settings", json={"comments": comments}, headers=AUTH)
    assert saved.status_code == 200, saved.json
    page = logged_in.get("/admin/merges").data.decode()
    assert 'name="comment_source_ru"' in page and "Объединено с #{{target_id}}." in page

    form = {
        f"comment_{kind}_{code}": text for kind, texts in comments.items() for code, text in texts.items()
    }
    assert post_form(logged_in, "/admin/merges", form).status_code == 302
    assert (
        client.get("/api/v1/merge-settings", headers=AUTH).json["comments"]["source"]["ru"]
        == comments["source"]["ru"]
    )


def test_an_outreach_campaign_takes_messages_and_a_default_in_any_zendesk_language(app):
    client = app.test_client()
    incident_id = declare_checkout_incident(app.extensions["incidentdesk"])[0]
    campaign = {
        "name": "Sorry",
        "messages": {
            "ru": {"subject": "Сбой", "body": "{{status}}"},
            "tr": {"subject": "Arıza", "body": "Özür"},
        },
        "default_locale": "pt-BR",
        "csv": "email,name,locale\nivan@example.com,Ivan,ru\n",
    }
    created = client.post(f"/api/v1/incidents/{incident_id}/campaigns", json=campaign, headers=AUTH)
    assert created.status_code == 201, created.json
    assert created.json["default_locale"] == "pt-br"

    refused = client.post(
        f"/api/v1/incidents/{incident_id}/campaigns", json={**campaign, "default_locale": "tlh"}, headers=AUTH
    )
    assert refused.status_code == 422 and "default_locale" in refused.json["fields"]


def test_the_outreach_form_has_a_message_box_for_every_status_language(logged_in):
    incident_id = declare(logged_in, status_ru=RU, status_ar=AR)
    page = logged_in.get(f"/admin/incidents/{incident_id}/campaigns").data.decode()
    assert '<fieldset class="field message-language" lang="ar" dir="rtl">' in page
    assert '<fieldset class="field message-language" lang="ru" dir="ltr">' in page
    assert 'name="subject_ar"' in page and 'name="body_ru"' in page
