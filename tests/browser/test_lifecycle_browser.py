"""The incident lifecycle in a real browser: a Hebrew status update in the timeline, a rules preview."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from service.db import Database
from service.models import StatusUpdate
from tests.factories import recent_checkout_tickets
from tests.helpers import sign_in

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

HE_UPDATE = "מצאנו את הגורם לתקלה בתשלום ואנחנו מתקנים אותו."


def declare_checkout(page) -> None:
    page.goto("/admin/incidents/new")
    page.get_by_label("Title").fill("Checkout is down")
    page.get_by_label("Affected products").fill("Checkout, Mobile app")
    page.get_by_label("Phrases customers would write").fill("checkout fails")
    page.get_by_label("English").fill("We know checkout is failing and are fixing it.")
    page.get_by_role("button", name="Declare incident").click()
    page.wait_for_url("**/admin/incidents/*?declared=1")


def test_hebrew_status_update_appears_right_to_left_in_the_timeline(page):
    console_errors = []
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    sign_in(page)
    declare_checkout(page)

    form = page.locator("#post-status")
    form.get_by_label("Stage").select_option("identified")
    hebrew = form.get_by_label("עברית")
    assert hebrew.get_attribute("dir") == "rtl"
    hebrew.fill(HE_UPDATE)
    form.get_by_label("Broadcast to linked unsolved tickets").check()
    form.get_by_role("button", name="Post status update").click()
    page.wait_for_url("**/admin/incidents/*?done=status_posted")

    newest = page.locator("#timeline li").first
    assert newest.get_attribute("id") == "status-v2"
    quote = newest.locator('blockquote[lang="he"]')
    assert quote.inner_text() == HE_UPDATE
    assert quote.get_attribute("dir") == "rtl"
    expect(quote).to_have_css("direction", "rtl")
    assert newest.locator(".badge").inner_text() == "Identified"
    assert newest.locator("progress").is_visible()
    page.screenshot(path="/tmp/incidentdesk-lifecycle-timeline.png", full_page=True)

    page.get_by_label("Language", exact=True).select_option("he")
    # expect() polls from Playwright's own world: a page-world wait_for_function is an eval the CSP refuses.
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.locator("#timeline-heading").inner_text() == "ציר הסטטוסים"
    assert page.locator('#status-v2 blockquote[lang="he"]').inner_text() == HE_UPDATE
    page.screenshot(path="/tmp/incidentdesk-lifecycle-timeline-he.png", full_page=True)

    page.get_by_role("link", name="לוח בקרה").click()
    row = page.get_by_role("row", name="Checkout is down")
    assert row.locator("td").nth(1).inner_text() == "זוהתה"  # the current stage, in Hebrew
    page.screenshot(path="/tmp/incidentdesk-lifecycle-dashboard-he.png", full_page=True)
    assert console_errors == []


def test_rules_preview_shows_a_match_and_a_near_miss(page, sandbox):
    sign_in(page)
    declare_checkout(page)
    tickets = recent_checkout_tickets(sandbox)
    page.get_by_role("link", name="Edit rules").click()
    page.wait_for_url("**/rules")
    assert page.get_by_label("Phrases customers write").input_value() == "checkout fails"
    page.get_by_label("Exclude tickets that mention").fill("test order")
    page.get_by_role("button", name="Preview").click()

    match = page.locator("#preview-matches li")
    assert match.count() == 1
    assert f"#{tickets['match']}" in match.inner_text() and "mentions “checkout fails”" in match.inner_text()
    near = page.locator("#preview-near-misses li")
    assert near.count() == 2
    assert (
        "mentions the exclusion “test order”" in near.filter(has_text=f"#{tickets['excluded']}").inner_text()
    )
    assert "only part of one" in near.filter(has_text=f"#{tickets['partial']}").inner_text()
    assert page.get_by_label("Exclude tickets that mention").input_value() == "test order"
    page.screenshot(path="/tmp/incidentdesk-lifecycle-preview.png", full_page=True)

    page.get_by_role("button", name="Save rules").click()
    page.wait_for_url("**/admin/incidents/*?done=rules_saved")
    assert "test order" in page.locator("#rules-heading + table").inner_text()


def test_broadcast_progress_bar_moves_without_a_reload(page, sqlite_url):
    sign_in(page)
    declare_checkout(page)
    form = page.locator("#post-status")
    form.get_by_label("English").fill("We found the cause.")
    form.get_by_label("Broadcast to linked unsolved tickets").check()
    form.get_by_role("button", name="Post status update").click()
    page.wait_for_url("**/admin/incidents/*?done=status_posted")
    broadcast = page.locator('[data-broadcast-version="2"]')
    expect(broadcast.locator("[data-broadcast-state]")).to_have_text("queued")

    db = Database(sqlite_url)  # the live server's database, as a worker would write it
    try:

        def progress(state: str, done: int, total: int) -> None:
            with db.transaction() as session:
                session.execute(
                    update(StatusUpdate)
                    .where(StatusUpdate.version == 2)
                    .values(broadcast_state=state, broadcast_done=done, broadcast_total=total)
                )

        progress("running", 3, 4)
        expect(broadcast.locator("progress")).to_have_attribute("value", "75", timeout=8000)
        expect(broadcast.locator("[data-broadcast-count]")).to_have_text("3 of 4 tickets")
        expect(broadcast.locator("[data-broadcast-state]")).to_have_text("sending")
        progress("done", 4, 4)
        expect(broadcast.locator("[data-broadcast-state]")).to_have_text("sent", timeout=8000)
        expect(broadcast.locator("progress")).to_have_attribute("value", "100")
        expect(broadcast.get_by_role("button", name="Stop broadcast")).to_have_count(0)
    finally:
        db.dispose()


def test_resolving_says_what_will_happen_and_asks_first(page):
    sign_in(page)
    declare_checkout(page)
    form = page.locator("#resolve")
    # Resolving looks unlike posting an update: a danger button, not the primary one.
    assert "button-danger" in form.get_by_role("button", name="Resolve incident").get_attribute("class")
    post = page.locator("#post-status").get_by_role("button", name="Post status update")
    assert "button-primary" in post.get_attribute("class")
    form.get_by_role("group", name="Final message per language").get_by_label("English").fill(
        "Checkout works again. Thank you for waiting."
    )
    asked: list[str] = []

    def answer(dialog, accept: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    form.get_by_role("button", name="Resolve incident").click()
    assert asked == [
        "Resolve the incident? 0 customers will get the final message and their tickets will be solved. "
        "This cannot be undone."
    ]
    assert "?done=resolved" not in page.url  # dismissed: nothing happened
    expect(form.get_by_role("button", name="Resolve incident")).to_be_visible()

    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    form.get_by_role("button", name="Resolve incident").click()
    page.wait_for_url("**/admin/incidents/*?done=resolved")
    assert len(asked) == 2


def test_the_rules_preview_follows_what_the_admin_types(page, sandbox):
    sign_in(page)
    declare_checkout(page)
    tickets = recent_checkout_tickets(sandbox)
    page.get_by_role("link", name="Edit rules").click()
    page.wait_for_url("**/rules")
    url = page.url
    page.get_by_label("Exclude tickets that mention").fill("test order")
    # No click: the preview appears as the admin types.
    near = page.locator("#preview-near-misses li")
    expect(near.filter(has_text=f"#{tickets['excluded']}")).to_contain_text(
        "mentions the exclusion “test order”"
    )
    expect(page.locator("#preview-matches li")).to_have_count(1)
    # Typing on replaces it: without the exclusion the test order matches too.
    page.get_by_label("Exclude tickets that mention").fill("")
    expect(page.locator("#preview-matches li")).to_have_count(2)
    assert page.url == url  # no page load, and what was typed is still there
    assert page.get_by_label("Phrases customers write").input_value() == "checkout fails"
