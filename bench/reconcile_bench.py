"""The reconciler's catch-up: every webhook of a surge lost, then the time to zero lag.

Run: ``.venv/bin/python -m bench.reconcile_bench`` (SQLite; ``--postgres URL`` for PostgreSQL;
``--tickets N``, default 2,000; ``--excluded-seconds S``, the export's left-out latest minute,
default 5 so a run takes under a minute; Zendesk's is 60, which adds about a minute).

The sandbox (in this process, Enterprise plan, no latency, instant jobs) gets a declared incident
and no webhook at all, so every ticket's webhook is lost; the tickets are created with
``create_many`` (as a surge arriving faster than the service could be told). Then one worker
starts, as after a restart: its first step reads the incremental export from the stored cursor
and every later run goes on from it. Measured: seconds from the worker's start until every
ticket is linked and answered and the inbox is empty, the export requests used (the export's own
limit is 10 a minute) and the other API requests. Issue 11's figure: "the reconciler's catch-up
of 2,000 missed tickets (time to zero lag)"; there is no target, so the exit status is 0 when
every ticket is answered exactly once.
"""

from __future__ import annotations

import argparse
import threading
import time

import requests
from sqlalchemy import func, select

from bench.databases import migrated
from integrations.zendesk.adapter import ZendeskAdapter
from service.domain.incidents import clean_draft
from service.inbox.worker import Worker
from service.incidents.store import declare_incident
from service.models import InboxDelivery, TicketLink
from service.settings import Settings
from service.wiring import build_services
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN, SandboxServer

STATUS = {"en": "Hi {{first_name}}, checkout is failing; we are fixing it."}
AUTH = (f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN)


def surge(sandbox_url: str, count: int) -> None:
    """``count`` matching tickets, each from its own customer, 100 per create_many job."""
    for first in range(0, count, 100):
        tickets = [
            {
                "subject": f"Checkout fails #{n}",
                "comment": {"body": f"My checkout fails at the last step, order {1000 + n}."},
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


def counts(services) -> tuple[int, int]:
    """(tickets linked, deliveries still waiting)."""
    with services.db.transaction() as session:
        linked = session.scalar(
            select(func.count()).select_from(TicketLink).where(TicketLink.state == "linked")
        )
        waiting = session.scalar(
            select(func.count())
            .select_from(InboxDelivery)
            .where(InboxDelivery.state.in_(("pending", "leased")))
        )
    return linked or 0, waiting or 0


def measure(database_url: str, tickets: int, excluded_seconds: float) -> dict:
    with SandboxServer(plan="enterprise") as sandbox:
        requests.post(
            f"{sandbox.url}/_sandbox/limits",
            json={"incremental_exclusion_seconds": excluded_seconds},
            timeout=5,
        )
        settings = Settings(
            database_url=database_url,
            secret_key="bench" * 8,
            zendesk_email=DEMO_AGENT_EMAIL,
            zendesk_api_token=DEMO_API_TOKEN,
            zendesk_base_url=sandbox.url,
            zendesk_webhook_secret="x",
            job_poll_seconds=0.05,
            reconcile_seconds=2,
        )
        helpdesk = ZendeskAdapter.connect("sandbox", DEMO_AGENT_EMAIL, DEMO_API_TOKEN, sandbox.url)
        services = build_services(settings, helpdesk=helpdesk)
        with services.db.transaction() as session:
            declare_incident(
                session, helpdesk, clean_draft("Checkout is down", ["checkout fails"], STATUS), actor="bench"
            )
        surge(sandbox.url, tickets)
        requests.post(f"{sandbox.url}/_sandbox/counters/reset", timeout=5)

        stop = threading.Event()
        started = time.monotonic()
        thread = threading.Thread(
            target=Worker(services, "bench-worker").run_forever, args=(stop,), daemon=True
        )
        thread.start()
        while counts(services) != (tickets, 0):
            time.sleep(0.2)
        seconds = time.monotonic() - started
        stop.set()
        thread.join(timeout=30)
        calls = requests.get(f"{sandbox.url}/_sandbox/counters", timeout=5).json()["calls"]
        with services.db.transaction() as session:
            linked = list(session.scalars(select(TicketLink.ticket_id)))
        with sandbox.state.lock:  # what each customer sees: the public comments after their own
            replies = [sum(1 for c in sandbox.state.comments[t][1:] if c["public"]) for t in linked]
        services.db.dispose()
    export = sum(v for k, v in calls.items() if "incremental" in k)
    return {
        "seconds": seconds,
        "export_calls": export,
        "other_calls": sum(calls.values()) - export,
        "answered_once": sum(1 for r in replies if r == 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reconcile_bench")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL URL to run on instead of SQLite")
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--excluded-seconds", type=float, default=5.0)
    args = parser.parse_args(argv)
    with migrated(args.postgres) as url:
        found = measure(url, args.tickets, args.excluded_seconds)
    print(
        f"database: {'PostgreSQL' if args.postgres else 'SQLite'}; {args.tickets} tickets whose webhooks were lost;"
        f" the export leaves out the latest {args.excluded_seconds:g} s"
    )
    print(
        f"caught up (all linked and answered, inbox empty): {found['seconds']:.1f} s after the worker started"
    )
    print(f"export requests: {found['export_calls']}; other API requests: {found['other_calls']}")
    print(f"answered exactly once: {found['answered_once']} of {args.tickets}")
    return 0 if found["answered_once"] == args.tickets else 1


if __name__ == "__main__":
    raise SystemExit(main())
