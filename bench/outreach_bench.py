"""Outreach benchmark: 10,000 customers through the Zendesk sandbox on the Team plan.

Counts every API call with the sandbox's ``/_sandbox/counters`` and compares the campaign's
duration with the floor its rate budget allows, measured in the same run.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import tempfile
import time
from pathlib import Path

import requests

from integrations.zendesk.adapter import ZendeskAdapter
from service.domain.incidents import clean_draft
from service.domain.outreach.audience import parse_csv
from service.incidents.store import declare_incident
from service.migrate import upgrade
from service.outreach import store
from service.outreach.models import Campaign
from service.outreach.runner import OutreachRunner
from service.settings import Settings
from service.wiring import build_services
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN, SandboxServer

LOCALES = ("en", "he", "bg")
MESSAGES = {
    "en": {
        "subject": "About {{incident_title}}",
        "body": "Hi {{first_name}}, sorry. {{status}} Code {{coupon}}",
    },
    "he": {"subject": "בנוגע ל{{incident_title}}", "body": "שלום {{first_name}}. {{status}} קוד {{coupon}}"},
    "bg": {
        "subject": "Относно {{incident_title}}",
        "body": "Здравейте, {{first_name}}. {{status}} Код {{coupon}}",
    },
}
WINDOW_SECONDS = 60
BULK = 100


def floor_seconds(customers: int, per_window: int) -> float:
    """The least time the budget allows: one create_many per 100 customers and at least one
    job poll, ``per_window`` calls a minute, so the last call can start no earlier than this."""
    minimum_calls = math.ceil(customers / BULK) + 1
    return (math.ceil(minimum_calls / per_window) - 1) * WINDOW_SECONDS


def run(customers: int, plan_rpm: int, share: float) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="outreach-bench-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    with SandboxServer(plan="team", webhook_delivery=False) as sandbox:
        helpdesk = ZendeskAdapter.connect("sandbox", DEMO_AGENT_EMAIL, DEMO_API_TOKEN, sandbox.url)
        settings = Settings(database_url=url, secret_key="bench-" + "x" * 32, zendesk_base_url=sandbox.url)
        services = build_services(settings, helpdesk=helpdesk)
        csv_text = "email,name,locale\n" + "".join(
            f"c{n}@example.com,Customer {n},{LOCALES[n % 3]}\n" for n in range(customers)
        )
        with services.db.transaction() as session:
            draft = clean_draft(
                "Checkout is down", ["checkout"], {"en": "Checkout is down; back in 3 hours."}
            )
            incident = declare_incident(session, helpdesk, draft, actor="bench")
        # Counted from here: the audience's helpdesk look-ups (opt-out tag, customers who wrote in) too.
        requests.post(f"{sandbox.url}/_sandbox/counters/reset", timeout=5).raise_for_status()
        with services.db.transaction() as session:
            campaign = store.create_campaign(
                session,
                incident.id,
                "bench",
                name="Bench",
                messages=MESSAGES,
                coupon_mode="generated",
                plan_requests_per_minute=plan_rpm,
                api_share=share,
            )
            store.save_audience(session, helpdesk, campaign, parse_csv(csv_text), "")
            campaign_id = campaign.id
        runner = OutreachRunner(services, "bench")
        started = time.monotonic()
        with services.db.transaction() as session:
            store.transition(session, helpdesk, session.get(Campaign, campaign_id), "launch", "bench")
        while True:
            if not runner.run_once():
                time.sleep(0.02)
            with services.db.transaction() as session:
                campaign = session.get(Campaign, campaign_id)
                if campaign.state == "done":
                    progress = store.progress(session, campaign)
                    break
        duration = time.monotonic() - started
        counters = requests.get(f"{sandbox.url}/_sandbox/counters", timeout=5).json()
    per_window = max(1, int(plan_rpm * share))
    return {
        "customers": customers,
        "sent": progress["sent"],
        "failed": progress["failed"],
        "calls": counters["total"],
        "by_endpoint": counters["calls"],
        "duration": duration,
        "floor": floor_seconds(customers, per_window),
        "per_window": per_window,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.outreach_bench", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--plan-rpm", type=int, default=200, help="the plan's requests a minute (Team: 200)")
    parser.add_argument("--share", type=float, default=0.5, help="share of the plan outreach may use")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the sandbox's request log
    r = run(args.customers, args.plan_rpm, args.share)
    print(f"customers {r['customers']}: sent {r['sent']}, failed {r['failed']}")
    print(f"API calls {r['calls']}: " + ", ".join(f"{k} {v}" for k, v in sorted(r["by_endpoint"].items())))
    over = (
        f"{100 * (r['duration'] / r['floor'] - 1):+.1f} % over the floor"
        if r["floor"]
        else "every call fits in the first minute, so the rate limit sets no floor"
    )
    print(
        f"budget {r['per_window']} calls/min; floor {r['floor']:.1f} s; duration {r['duration']:.1f} s ({over})"
    )
    calls_ok = r["calls"] <= 150 if r["customers"] == 10_000 else True
    time_ok = r["duration"] <= 1.10 * r["floor"] if r["floor"] else True
    print(
        f"at most 150 calls: {'met' if calls_ok else 'NOT met'}; within 10 % of the floor: "
        f"{'met' if time_ok else 'NOT met'}"
    )
    return 0 if calls_ok and time_ok and r["sent"] == r["customers"] else 1


if __name__ == "__main__":
    sys.exit(main())
