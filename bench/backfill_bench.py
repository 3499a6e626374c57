"""A backfill of 2,000 tickets that existed before the incident was declared: the calls it uses,
by endpoint, and its time against the floor the rate budget allows.

Run: ``.venv/bin/python -m bench.backfill_bench`` (SQLite; ``--postgres URL`` for PostgreSQL;
``--tickets N``, default 2,000, of which ``--matching M``, default 1,500, are about the incident).

The sandbox (in this process, Team plan: 200 requests a minute, no latency, instant jobs) holds
the tickets, created with ``create_many`` and no webhook (they were left alone before the
declaration); then the incident is declared and one worker starts. Measured: the dry run (from
the request until the count is in; it waits until the export covers the request, which the
adapter takes as Zendesk's left-out minute after the last read) and the apply (from the confirmation until every ticket it
handed to the inbox is finished), each ticket's public replies as the customer sees them, and
every API call the sandbox counted, by endpoint. The floor is the least time the service's share
of the budget (``our_requests_per_minute``) allows for that many calls: the n-th call in a
sliding minute window cannot start before (ceil(n / share) - 1) minutes. Exit status 0 when every
matching customer is answered exactly once and no other ticket is touched.
"""

from __future__ import annotations

import argparse
import math
import re
import threading
import time

import requests

from bench.databases import migrated
from integrations.zendesk.adapter import ZendeskAdapter
from service.domain.incidents import clean_draft
from service.inbox.worker import Worker
from service.incidents.backfill import confirm, get_backfill, start_dry_run
from service.incidents.store import declare_incident, get_incident
from service.settings import Settings
from service.wiring import build_services
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN, SandboxServer

STATUS = {"en": "Hi {{first_name}}, checkout is failing; we are fixing it."}
AUTH = (f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN)
WINDOW_SECONDS = 60
NAIVE_UPDATES_PER_MINUTE = 100  # Zendesk's Update Ticket limit, for one PUT per ticket


def existing_tickets(sandbox_url: str, count: int, matching: int) -> None:
    """``count`` tickets from as many customers, the first ``matching`` about checkout."""
    for first in range(0, count, 100):
        tickets = [
            {
                "subject": f"Checkout fails #{n}" if n < matching else f"Parcel #{n}",
                "comment": {
                    "body": f"My checkout fails at the last step, order {1000 + n}."
                    if n < matching
                    else f"Where is my parcel {1000 + n}?"
                },
                "requester": {"name": f"Customer {n}", "email": f"customer{n}@example.com"},
            }
            for n in range(first, min(first + 100, count))
        ]
        answer = requests.post(
            f"{sandbox_url}/api/v2/tickets/create_many.json", json={"tickets": tickets}, auth=AUTH, timeout=30
        )
        answer.raise_for_status()
        job = answer.json()["job_status"]["id"]
        while requests.get(f"{sandbox_url}/api/v2/job_statuses/{job}.json", auth=AUTH, timeout=10).json()[
            "job_status"
        ]["status"] not in ("completed", "failed"):
            time.sleep(0.05)


def wait_for_state(services, incident_id: int, backfill_id: int, state: str) -> None:
    while True:
        with services.db.transaction() as session:
            if get_backfill(session, incident_id, backfill_id).state == state:
                return
        time.sleep(0.1)


def by_endpoint(calls: dict[str, int]) -> dict[str, int]:
    """Counted calls with ids folded: ``GET /api/v2/job_statuses/{id}.json``."""
    folded: dict[str, int] = {}
    for key, n in calls.items():
        name = re.sub(r"/(V3-)?[0-9a-f]{6,}|/\d+", "/{id}", key.split("?", 1)[0])
        folded[name] = folded.get(name, 0) + n
    return dict(sorted(folded.items(), key=lambda item: -item[1]))


def floor_seconds(calls: int, per_minute: int) -> float:
    return (math.ceil(calls / per_minute) - 1) * WINDOW_SECONDS if calls else 0.0


def measure(database_url: str, tickets: int, matching: int) -> dict:
    with SandboxServer(plan="team", webhook_delivery=False) as sandbox:
        requests.post(f"{sandbox.url}/_sandbox/limits", json={"incremental_exclusion_seconds": 0}, timeout=5)
        settings = Settings(
            database_url=database_url,
            secret_key="bench" * 8,
            zendesk_email=DEMO_AGENT_EMAIL,
            zendesk_api_token=DEMO_API_TOKEN,
            zendesk_base_url=sandbox.url,
            zendesk_webhook_secret="x",
            job_poll_seconds=0.05,
            reconcile_seconds=0,  # the reconciler off: only the backfill's calls are counted
        )
        helpdesk = ZendeskAdapter.connect("sandbox", DEMO_AGENT_EMAIL, DEMO_API_TOKEN, sandbox.url)
        services = build_services(settings, helpdesk=helpdesk)
        existing_tickets(sandbox.url, tickets, matching)
        with services.db.transaction() as session:
            incident = declare_incident(
                session, helpdesk, clean_draft("Checkout is down", ["checkout fails"], STATUS), actor="bench"
            )
            incident_id = incident.id
        requests.post(f"{sandbox.url}/_sandbox/counters/reset", timeout=5)

        stop = threading.Event()
        thread = threading.Thread(
            target=Worker(services, "bench-worker").run_forever, args=(stop,), daemon=True
        )
        thread.start()
        started = time.monotonic()
        with services.db.transaction() as session:
            backfill_id = start_dry_run(session, get_incident(session, incident_id), actor="bench").id
        wait_for_state(services, incident_id, backfill_id, "counted")
        counted = time.monotonic()
        dry_calls = requests.get(f"{sandbox.url}/_sandbox/counters", timeout=5).json()["calls"]
        with services.db.transaction() as session:
            backfill = get_backfill(session, incident_id, backfill_id)
            figures = (backfill.candidates, backfill.matched, len(backfill.to_answer))
            confirm(session, backfill, actor="bench")
        applying = time.monotonic()
        wait_for_state(services, incident_id, backfill_id, "done")
        done = time.monotonic()
        stop.set()
        thread.join(timeout=30)
        calls = requests.get(f"{sandbox.url}/_sandbox/counters", timeout=5).json()["calls"]
        with sandbox.state.lock:  # what each customer sees: the public comments after their own
            replies = [
                sum(1 for c in comments[1:] if c["public"])
                for ticket_id, comments in sorted(sandbox.state.comments.items())
                if sandbox.state.tickets[ticket_id]["type"] != "problem"
            ]
        services.db.dispose()
    return {
        "figures": figures,
        "dry_seconds": counted - started,
        "apply_seconds": done - applying,
        "dry_calls": by_endpoint(dry_calls),
        "calls": by_endpoint(calls),
        "per_minute": settings.our_requests_per_minute,
        "answered_once": sum(1 for r in replies[:matching] if r == 1),
        "others_touched": sum(1 for r in replies[matching:] if r),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.backfill_bench")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL URL to run on instead of SQLite")
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--matching", type=int, default=1500)
    args = parser.parse_args(argv)
    with migrated(args.postgres) as url:
        found = measure(url, args.tickets, args.matching)
    total_calls = sum(found["calls"].values())
    candidates, matched, to_answer = found["figures"]
    print(f"database: {'PostgreSQL' if args.postgres else 'SQLite'}; {args.tickets} existing tickets")
    print(
        f"dry run: {candidates} in the window, {matched} matched, {to_answer} to answer; {found['dry_seconds']:.1f} s"
    )
    print(f"apply: {found['apply_seconds']:.1f} s until every ticket handed to the inbox was finished")
    print(f"API calls: {total_calls} (dry run {sum(found['dry_calls'].values())}), by endpoint:")
    for endpoint, n in found["calls"].items():
        print(f"  {n:5d}  {endpoint}")
    floor = floor_seconds(total_calls, found["per_minute"])
    elapsed = found["dry_seconds"] + found["apply_seconds"]
    print(
        f"floor for {total_calls} calls at our {found['per_minute']} requests/min: {floor:.0f} s; "
        f"took {elapsed:.1f} s"
    )
    naive = math.ceil(to_answer / NAIVE_UPDATES_PER_MINUTE)
    print(
        f"one PUT per ticket instead: {to_answer} updates at {NAIVE_UPDATES_PER_MINUTE}/min, at least {naive} min"
    )
    print(
        f"answered exactly once: {found['answered_once']} of {args.matching}; others touched: {found['others_touched']}"
    )
    return 0 if found["answered_once"] == args.matching and found["others_touched"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
