"""A merge suggestion in the Zendesk sidebar in a real browser, in Bulgarian: the agent reads why
the pair was not merged, confirms, and the sandbox closes the newer ticket with the merge comment."""

from __future__ import annotations

import json

import pytest
import requests
from sqlalchemy import func, select

from service.models import InboxDelivery
from service.web.i18n import translate
from tests.factories import deliveries_done
from tests.helpers import AUDIENCE, key_pair, start_service, wait_for, zendesk_token

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

ZAF_SDK = "https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js"
FIRST = (
    "My parcel never arrived and the tracking page shows no update since Monday, "
    "please check what happened to the delivery"
)
AGAIN = (
    "My parcel has still not arrived and the tracking page shows no update since Monday, "
    "please tell me what happened to the delivery"
)


@pytest.fixture
def running(sqlite_url, sandbox, helpdesk):
    # A click waits on Zendesk's merge job this long before the sidebar hears "still merging".
    service = start_service(
        sqlite_url,
        sandbox,
        helpdesk,
        zendesk_app_public_key=key_pair("app").public_pem,
        zendesk_app_audience=AUDIENCE,
        sidebar_job_wait_seconds=0.5,
    )
    yield service
    service.stop()


def handled(running, create) -> int:
    with running.services.db.transaction() as session:
        before = session.scalar(select(func.count()).select_from(InboxDelivery))

    def more() -> bool:
        with running.services.db.transaction() as session:
            return session.scalar(select(func.count()).select_from(InboxDelivery)) > before

    ticket_id = create()
    wait_for(lambda: more() and deliveries_done(running))
    return ticket_id


def two_alike(running) -> tuple[int, int]:
    first = handled(running, lambda: running.create_ticket(FIRST, subject="Parcel"))
    second = handled(running, lambda: running.create_ticket(AGAIN, subject="Parcel", via="chat"))
    return first, second


def open_sidebar(browser, running, ticket_id: int, locale: str):
    """The sidebar of ``ticket_id`` at phone width, for an agent in ``locale``; the page and the
    console errors it logs."""
    context = browser.new_context(viewport={"width": 360, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    answers = json.dumps({"ticket.id": ticket_id, "currentUser.locale": locale})
    sdk = (
        "window.ZAFClient = {init: function () { return {"
        f"get: function () {{ return Promise.resolve({answers}); }},"
        "invoke: function () {}}; }};"
    )
    page.route(ZAF_SDK, lambda route: route.fulfill(content_type="application/javascript", body=sdk))
    page.set_content(
        f'<form method="post" action="{running.url}/app/sidebar">'
        f'<input type="hidden" name="token" value="{zendesk_token(ticket_id=ticket_id)}"><button>open</button></form>'
    )
    page.get_by_role("button", name="open").click()
    return page, errors


def test_the_agent_merges_a_suggestion_from_the_bulgarian_sidebar(browser, running):
    first, second = two_alike(running)
    page, errors = open_sidebar(browser, running, second, "bg-BG")

    card = page.locator("#suggestions li.suggestion")
    expect(card).to_have_count(1)
    assert page.locator("#suggestions-heading").text_content() == translate(
        "sidebar.suggestion.heading", "bg"
    )
    assert card.locator(".notice-title").inner_text() == f"Да се обедини ли това запитване с #{first}?"
    assert card.locator(".why-text").inner_text().startswith("Двете запитвания си приличат на")
    card.get_by_role("button", name=translate("sidebar.suggestion.merge", "bg")).click()
    expect(card.locator(".confirm")).to_be_visible()  # a merge cannot be undone: confirm first
    assert running.ticket(second)["status"] != "closed"
    card.get_by_role("button", name=translate("sidebar.suggestion.confirm_do", "bg")).click()

    expect(page.locator("#sidebar-message")).to_have_text(f"#{second} е обединено с #{first}.")
    expect(page.locator("#suggestions-section")).to_be_hidden()
    assert running.ticket(second)["status"] == "closed"
    told = running.comments(second)[-1]
    assert told["public"] and told["body"].startswith(
        f"Hi Dana, we have combined this request with your earlier request #{first}"
    )
    assert errors == []
    page.context.close()


def test_a_slow_zendesk_merge_says_so_in_hebrew_and_finishes_without_another_click(browser, running, sandbox):
    first, second = two_alike(running)
    page, errors = open_sidebar(browser, running, second, "he-IL")
    card = page.locator("#suggestions li.suggestion")
    expect(card).to_have_count(1)
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"job_delay_seconds": 3.0}, timeout=5)
    try:
        card.get_by_role("button", name=translate("sidebar.suggestion.merge", "he")).click()
        card.get_by_role("button", name=translate("sidebar.suggestion.confirm_do", "he")).click()

        message = page.locator("#sidebar-message")
        expect(message).to_have_text(
            translate("phrase.merge_suggestion.running", "he", source_id=second, target_id=first)
        )
        assert running.ticket(second)["status"] != "closed"
        merged = translate("sidebar.suggestion.merged", "he", source=second, target=first)
        expect(message).to_have_text(merged, timeout=30_000)  # the sidebar asked again by itself
    finally:
        requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=5)
    expect(page.locator("#suggestions-section")).to_be_hidden()
    assert running.ticket(second)["status"] == "closed"
    told = [c for c in running.comments(second) if "we have combined this request" in c["body"]]
    assert len(told) == 1 and told[0]["public"]  # merged once, however often the sidebar asked
    assert errors == []
    page.context.close()
