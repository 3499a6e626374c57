"""Right to left in a real browser for a language the admin UI does not speak: an Arabic status
text box and the Arabic status in the timeline."""

from __future__ import annotations

import pytest

from tests.helpers import sign_in

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

AR_UPDATE = "وجدنا سبب عطل الدفع ونعمل على إصلاحه."


def test_an_arabic_status_box_and_its_quote_are_right_to_left(page):
    sign_in(page)
    page.goto("/admin/incidents/new")
    page.get_by_label("Title").fill("Checkout is down")
    page.get_by_label("Phrases customers would write").fill("checkout fails")
    page.get_by_label("English").fill("We know checkout is failing and are fixing it.")
    page.get_by_label("Default language").select_option("ar")
    page.get_by_role("button", name="Declare incident").click()
    page.wait_for_url("**/admin/incidents/*?declared=1")

    form = page.locator("#post-status")
    form.get_by_label("Stage").select_option("identified")
    arabic = form.get_by_label("العربية")
    assert arabic.get_attribute("dir") == "rtl"
    expect(arabic).to_have_css("direction", "rtl")
    arabic.fill(AR_UPDATE)
    form.get_by_role("button", name="Post status update").click()
    page.wait_for_url("**/admin/incidents/*?done=status_posted")

    quote = page.locator('#status-v2 blockquote[lang="ar"]')
    assert quote.inner_text() == AR_UPDATE
    expect(quote).to_have_css("direction", "rtl")
