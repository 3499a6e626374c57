"""``{{status_page_url}}`` end to end: once the incident is public, the customer's reply in the
helpdesk and the agents' macro link to its page, and the page answers anyone without a cookie."""

import pytest
import requests

from service.models import Incident
from tests.factories import AUTH, declare_checkout_incident, link_state
from tests.helpers import start_service, wait_for

PUBLIC_URL = "https://help.example.com"
STATUS = {
    "en": "Hi {{first_name}}, checkout is down. Follow it at {{status_page_url}}",
    "he": "שלום {{first_name}}, התשלום לא עובד. עדכונים: {{status_page_url}}",
}


@pytest.fixture
def running(database_url, sandbox, helpdesk):
    service = start_service(database_url, sandbox, helpdesk, public_url=PUBLIC_URL)
    yield service
    service.stop()


def _publish(running, incident_id: int) -> dict:
    answer = requests.put(
        f"{running.url}/api/v1/incidents/{incident_id}/public",
        json={"public": True},
        headers=AUTH,
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_customers_reply_and_the_macro_link_to_the_public_page(running, sandbox):
    incident_id, _, _ = declare_checkout_incident(running.services, status_texts=STATUS)
    before = running.create_ticket("checkout fails", name="Ann Lee", email="ann@example.com")
    wait_for(lambda: (link_state(running, before) or ("",))[0] == "linked")
    assert running.public_replies(before) == ["Hi Ann, checkout is down. Follow it at "]

    published = _publish(running, incident_id)
    page_url = f"{PUBLIC_URL}/status/checkout-is-down"
    assert published["url"] == page_url

    ticket_id = running.create_ticket("התשלום לא עובד", name="Dana Levi", locale="he")
    wait_for(lambda: (link_state(running, ticket_id) or ("",))[0] == "linked")
    assert running.public_replies(ticket_id) == [f"שלום Dana, התשלום לא עובד. עדכונים: {page_url}"]

    with running.services.db.transaction() as session:
        content_id = session.get(Incident, incident_id).dynamic_content_id
    item = running.api.get(f"{sandbox.url}/api/v2/dynamic_content/items/{content_id}.json", timeout=5).json()
    assert all(page_url in v["content"] for v in item["item"]["variants"])

    page = requests.get(
        f"{running.url}/status/checkout-is-down", headers={"Accept-Language": "he"}, timeout=10
    )
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    assert f"עדכונים: {page_url}" in page.text and 'dir="rtl"' in page.text
