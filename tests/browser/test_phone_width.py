"""At a phone's width (390 px) every admin page fits without sideways scrolling, in English,
Bulgarian (long words) and Hebrew (right to left); at 1280 px in Bulgarian no table is wider
than its card and no tag breaks mid-word."""

from __future__ import annotations

import pytest

from tests.helpers import sign_in

pytestmark = pytest.mark.browser

PAGES = (
    "/admin/incidents",
    "{incident}",
    "{incident}/rules",
    "/admin/dashboard",
    "/admin/merges",
    "/admin/outreach",
    "{incident}/campaigns",
    "/admin/incidents/new",
    "/admin/api",
    "/admin/triage",
    "/admin/sources",
)


def _declare(page) -> str:
    page.goto("/admin/incidents/new")
    page.get_by_label("Title").fill("Плащането на сайта не работи за всички клиенти")
    page.get_by_label("Phrases customers would write").fill(
        "плащането не работи\ncheckout fails\nהתשלום לא עובד"
    )
    page.get_by_label("English").fill("We know checkout is failing and are fixing it.")
    page.get_by_role("button", name="Declare incident").click()
    page.wait_for_url("**/admin/incidents/*?declared=1")
    return "/" + page.url.split("?")[0].split("/", 3)[3]  # the incident page's path


def _switch(page, lang: str) -> None:
    page.goto("/admin/incidents")
    if page.locator("#lang-select").input_value() == lang:
        return
    with page.expect_navigation():  # picking a language submits the form: wait for its answer
        page.locator("#lang-select").select_option(lang)
    assert page.locator("html").get_attribute("lang") == lang


def test_every_page_fits_a_phone_in_every_language(browser, live_server):
    context = browser.new_context(
        base_url=live_server, viewport={"width": 390, "height": 844}, locale="en-US"
    )
    page = context.new_page()
    sign_in(page)
    incident = _declare(page)
    too_wide = []
    for lang in ("en", "bg", "he"):
        _switch(page, lang)
        for path in PAGES:
            page.goto(path.format(incident=incident))
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 390:
                too_wide.append((lang, path, width))
    context.close()
    assert too_wide == []


def test_in_bulgarian_tables_stay_in_their_cards_and_tags_keep_whole(browser, live_server):
    context = browser.new_context(
        base_url=live_server, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    page = context.new_page()
    sign_in(page)
    incident = _declare(page)
    _switch(page, "bg")
    for path in (incident, f"{incident}/rules", "/admin/dashboard", "/admin/incidents"):
        page.goto(path)
        overflowing = page.evaluate(
            """() => [...document.querySelectorAll("main table")].filter((table) => {
                 const box = table.closest(".card, .table-wrap, main").getBoundingClientRect();
                 const own = table.getBoundingClientRect();
                 return own.width > box.width + 1;
               }).length"""
        )
        assert overflowing == 0, path
        breaking = page.evaluate(
            """() => [...document.querySelectorAll(".chip")].filter(
                 (chip) => getComputedStyle(chip).whiteSpace !== "nowrap" || chip.getClientRects().length > 1).length"""
        )
        assert breaking == 0, path
    context.close()
