"""The demo's stand-in for Zendesk's agent workspace in a real browser, composed as `make run`
composes it (``service.demo.prepare``): the ticket list from the sandbox, and inside the iframe
the real sidebar, opened by a signed form POST, for the ticket clicked."""

from __future__ import annotations

import re
import threading

import pytest
import requests
from werkzeug.serving import make_server

from service.demo import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME, DEMO_WORKSPACE_PATH, prepare, seed
from service.inbox.worker import start_in_thread
from tests.helpers import free_port, wait_for
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

SCREENSHOTS = "/tmp/incidentdesk-demo-workspace"
SEEDED_UNLINKED = "Where is my order #48213?"  # a ticket of the sandbox's demo account


@pytest.fixture
def demo(sandbox, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the demo keeps its database in var/ of where it runs
    seed(sandbox)
    port = free_port()
    app, services = prepare("127.0.0.1", port, sandbox)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    _, stop_worker = start_in_thread(services)
    yield f"http://127.0.0.1:{port}", sandbox.url
    stop_worker.set()
    server.shutdown()
    thread.join(timeout=5)
    services.db.dispose()


def customer_writes_about_checkout(sandbox_url: str) -> int:
    """A customer writes in; returns the ticket once she has IncidentDesk's public answer."""
    api = requests.Session()
    api.auth = (f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN)
    created = api.post(
        f"{sandbox_url}/api/v2/tickets.json",
        timeout=5,
        json={
            "ticket": {
                "subject": "Payment problem",
                "comment": {"body": "The checkout fails every time I try"},
                "requester": {"name": "Ann Lee", "email": "ann@example.com", "locale": "en-US"},
            }
        },
    )
    ticket_id = created.json()["ticket"]["id"]

    def answered() -> bool:
        comments = api.get(f"{sandbox_url}/api/v2/tickets/{ticket_id}/comments.json", timeout=5).json()
        return any(c["public"] and c["body"].startswith("Hi Ann") for c in comments["comments"][1:])

    wait_for(answered)
    return ticket_id


def open_workspace(browser, base: str, *, width: int, locale: str):
    context = browser.new_context(base_url=base, viewport={"width": width, "height": 900}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(DEMO_WORKSPACE_PATH)
    page.locator("#username").fill(DEMO_ADMIN_USERNAME)
    page.locator("#password").fill(DEMO_ADMIN_PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(f"**{DEMO_WORKSPACE_PATH}")
    return context, page, errors


def test_the_workspace_shows_the_real_sidebar_of_the_ticket_clicked(browser, demo):
    base, sandbox_url = demo
    ticket_id = customer_writes_about_checkout(sandbox_url)
    context, page, errors = open_workspace(browser, base, width=1280, locale="en-US")

    expect(page.locator(".standin-banner")).to_contain_text("Demo stand-in for Zendesk.")
    subjects = page.locator(".ticket-list .ticket-subject")
    expect(subjects.first).to_have_text("Payment problem")  # newest first
    assert SEEDED_UNLINKED in subjects.all_inner_texts()
    expect(page.locator(".ticket-list a[aria-current=page]")).to_contain_text(f"#{ticket_id}")
    sidebar = page.frame_locator("#sidebar-frame")
    expect(sidebar.locator("#incident-title")).to_have_text("Checkout is down")
    expect(sidebar.locator("#link-state")).to_have_text("Linked")
    expect(sidebar.locator("#applied-status")).to_contain_text("Hi Ann, thank you for writing to us.")
    expect(sidebar.locator("#applied-macro")).to_contain_text("Incident: Checkout is down")
    expect(sidebar.locator("#why .chip")).to_have_text(["checkout"])
    assert page.locator("#sidebar-frame").evaluate("frame => frame.style.height").endswith("px")
    page.screenshot(path=f"{SCREENSHOTS}-linked.png", full_page=True)

    page.get_by_role("link", name=re.compile(re.escape(SEEDED_UNLINKED))).click()
    page.wait_for_url(re.compile(r"\?ticket=\d+$"))
    expect(page.locator("#ticket-heading")).to_contain_text(SEEDED_UNLINKED)
    expect(sidebar.locator("#not-linked")).to_be_visible()
    expect(sidebar.locator("#incident-section")).to_be_hidden()
    expect(sidebar.locator("#link-incident option")).to_have_text(["Checkout is down"])
    page.screenshot(path=f"{SCREENSHOTS}-unlinked.png", full_page=True)
    assert errors == []
    context.close()


def test_in_hebrew_on_a_phone_the_workspace_reads_right_to_left_in_one_column(browser, demo):
    base, sandbox_url = demo
    customer_writes_about_checkout(sandbox_url)
    context, page, errors = open_workspace(browser, base, width=390, locale="he-IL")

    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator(".standin-banner")).to_contain_text("הדמיה של Zendesk.")
    expect(page.locator("#tickets-heading")).to_have_text("פניות")
    sidebar = page.frame_locator("#sidebar-frame")
    expect(sidebar.locator("#incident-title")).to_have_text("Checkout is down")
    expect(sidebar.locator("html")).to_have_attribute("dir", "rtl")  # the agent's language, via ZAF
    expect(sidebar.locator("h2").first).to_contain_text("הסטטוס הנוכחי")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "nothing overflows the phone"
    tickets = page.locator(".workspace-tickets").bounding_box()
    frame = page.locator("#sidebar-frame").bounding_box()
    assert tickets["y"] + tickets["height"] <= frame["y"], "one column: the list above the sidebar"
    page.screenshot(path=f"{SCREENSHOTS}-he-phone.png", full_page=True)
    assert errors == []
    context.close()
