"""The admin UI in a real browser: sign in, declare an incident in three languages, read it in Hebrew."""

from __future__ import annotations

import pytest

from tests.helpers import sign_in

pytestmark = pytest.mark.browser

HE_STATUS = "אנחנו יודעים שהתשלום באתר לא עובד ומתקנים זאת."
BG_STATUS = "Знаем, че плащането на сайта не работи, и го поправяме."


def test_declare_an_incident_and_read_it_in_hebrew(page):
    console_errors = []
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    sign_in(page)
    page.get_by_role("link", name="Declare incident").first.click()
    page.get_by_label("Title").fill("Checkout is down")
    page.get_by_label("Severity").select_option("critical")
    page.get_by_label("Phrases customers would write").fill("checkout fails\nהתשלום באתר לא עובד")
    page.get_by_label("English").fill("We know checkout is failing and are fixing it.")
    page.get_by_label("עברית").fill(HE_STATUS)
    page.get_by_label("Български").fill(BG_STATUS)
    assert page.get_by_label("עברית").get_attribute("dir") == "rtl"
    page.get_by_role("button", name="Declare incident").click()

    page.wait_for_url("**/admin/incidents/*?declared=1")
    assert page.get_by_role("heading", level=1).inner_text() == "Checkout is down"
    assert page.locator('blockquote[lang="he"]').inner_text() == HE_STATUS
    assert page.locator('blockquote[lang="bg"]').inner_text() == BG_STATUS

    page.get_by_role("link", name="Incidents").first.click()
    row = page.get_by_role("row", name="Checkout is down")
    assert "incident_checkout_is_down" in row.inner_text()

    page.get_by_label("Language", exact=True).select_option("he")  # submits itself (JavaScript)
    page.wait_for_function("document.documentElement.dir === 'rtl'")
    assert page.evaluate("document.documentElement.lang") == "he"
    assert page.get_by_role("heading", level=1).inner_text() == "תקלות"
    # Mirrored layout: the brand sits at the right edge, the language switcher at the left.
    brand = page.locator(".brand").bounding_box()
    switcher = page.locator(".langswitch").bounding_box()
    assert brand["x"] > switcher["x"]
    row.get_by_role("link").click()
    page.wait_for_url("**/admin/incidents/*")
    page.screenshot(path="/tmp/incidentdesk-detail-he.png", full_page=True)
    assert console_errors == []  # no blocked resource, no script error


def test_invalid_form_keeps_what_was_typed(page):
    sign_in(page)
    page.goto("/admin/incidents/new")
    page.get_by_label("עברית").fill(HE_STATUS)
    page.get_by_role("button", name="Declare incident").click()
    assert page.locator("#title-errors").is_visible()
    assert page.get_by_label("עברית").input_value() == HE_STATUS
    assert page.get_by_label("Title").get_attribute("aria-invalid") == "true"


def test_switching_language_mid_form_asks_before_dropping_typed_text(page):
    sign_in(page)
    page.goto("/admin/incidents/new")
    page.get_by_label("Title").fill("Checkout is down")
    dialogs = []

    def dismiss(dialog):
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.get_by_label("Language", exact=True).select_option("bg")
    page.wait_for_timeout(300)
    assert dialogs == ["beforeunload"]
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.get_by_label("Title").input_value() == "Checkout is down"
