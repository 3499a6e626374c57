"""Backfill in a real browser, with a worker running: the admin counts (a dry run that shows the
figures and a sample with why), confirms with the box ticked, and watches the progress bar
reach 100 %; each matching customer who wrote before the declaration has one reply."""

from __future__ import annotations

import threading

import pytest
import requests
from werkzeug.serving import make_server

from service.app import create_app
from service.inbox.worker import start_in_thread
from service.users import create_admin
from service.wiring import build_services
from tests.browser.conftest import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.conftest import make_settings
from tests.factories import declare_checkout_incident, sandbox_create
from tests.helpers import export_everything, sign_in

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def served(sqlite_url, helpdesk):
    """The service with its worker, on a random port."""
    services = build_services(make_settings(sqlite_url), helpdesk=helpdesk)
    with services.db.transaction() as session:
        create_admin(session, ADMIN_USERNAME, ADMIN_PASSWORD)
    server = make_server("127.0.0.1", 0, create_app(services=services), threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    worker, stop = start_in_thread(services)
    yield services, f"http://127.0.0.1:{server.server_port}"
    stop.set()
    worker.join(timeout=30)
    server.shutdown()
    thread.join(timeout=5)
    services.db.dispose()


def _public_replies(sandbox, ticket_id: int) -> int:
    comments = requests.get(
        f"{sandbox.url}/api/v2/tickets/{ticket_id}/comments.json", timeout=5, auth=AUTH
    ).json()
    return sum(1 for c in comments["comments"][1:] if c["public"])


AUTH = ("agent@sandbox.incidentdesk.test/token", "sandbox-demo-token")


def test_count_confirm_and_watch_the_backfill(browser, served, sandbox, helpdesk):
    services, url = served
    export_everything(sandbox, helpdesk)
    matching = [
        sandbox_create(
            sandbox,
            "Help",
            f"checkout fails for order {n}",
            requester={"name": f"Customer {n}", "email": f"c{n}@example.com"},
        )
        for n in range(3)
    ]
    other = sandbox_create(sandbox, "Parcel", "where is my parcel?")
    incident_id, _, _ = declare_checkout_incident(services)

    context = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(30_000)
    console_errors = []
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    try:
        sign_in(page)
        page.goto(f"/admin/incidents/{incident_id}")
        page.get_by_role("link", name="Backfill").click()
        page.get_by_role("button", name="Count matching tickets (dry run)").click()
        expect(page.locator("[data-backfill-state]")).to_have_text(
            "counted, waiting for your confirmation", timeout=60_000
        )
        assert page.locator("#backfill-candidates").inner_text() == "4"
        assert page.locator("#backfill-to-answer").inner_text() == "3"
        sample = page.locator("#backfill-sample tbody tr")
        assert sample.count() == 3 and "checkout" in sample.first.inner_text()
        assert "Replies cannot be taken back" in page.locator("#backfill-apply").inner_text()
        assert all(_public_replies(sandbox, t) == 0 for t in matching)  # counting wrote nothing

        page.get_by_label("I understand that customers will be answered").check()
        page.get_by_role("button", name="Link and answer them").click()
        expect(page.locator("[data-backfill-state]")).to_have_text("done", timeout=30_000)
        assert page.locator("#backfill-progress").get_attribute("value") == "100"
        assert page.locator("[data-backfill-count]").inner_text() == "3 of 3 tickets"
        page.screenshot(path="/tmp/incidentdesk-backfill.png", full_page=True)
        assert [_public_replies(sandbox, t) for t in matching] == [1, 1, 1]
        assert _public_replies(sandbox, other) == 0
        assert console_errors == []
    finally:
        context.close()
