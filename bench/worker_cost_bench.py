"""What one batch costs the worker: SQL statements and CPU per ticket, and claiming.

Run: ``.venv/bin/python -m bench.worker_cost_bench`` (about 30 s; ``--postgres URL`` runs it on
PostgreSQL instead of SQLite, in a schema of its own that is dropped afterwards).

A declared incident, then batches of new matching tickets (each from its own customer) are
created in the sandbox (in this process, no latency, instant jobs) and their deliveries stored
in the inbox; one ``Worker.run_once()`` claims the batch, links and answers every ticket. For each
batch size the figures are per ticket: SQL statements the worker's engine ran, and CPU seconds
of the worker's own thread (``time.thread_time``: the sandbox's threads are not counted, the
worker's HTTP client is). The baseline is the same work done one ticket per batch, in the same
run. Issue 15's target: at most 6 ms CPU and 5 statements per ticket over a batch of 100, and
claiming 100 rows in a constant number of statements.
"""

from __future__ import annotations

import argparse
import time

import requests
from sqlalchemy import event

from bench.databases import migrated
from integrations.zendesk.adapter import ZendeskAdapter
from service.domain.incidents import clean_draft
from service.inbox import store as inbox
from service.inbox.worker import Worker
from service.incidents.store import declare_incident
from service.settings import Settings
from service.wiring import build_services
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN, SandboxServer

TARGET_CPU_MS, TARGET_STATEMENTS = 6.0, 5.0
STATUS = {"en": "Hi {{first_name}}, checkout is failing; we are fixing it."}


class Counted:
    """Statements run on an engine while counting is on."""

    def __init__(self, engine):
        self.n = 0
        self.on = False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args) -> None:
        if self.on:
            self.n += 1


def create_tickets(sandbox_url: str, n: int, start: int) -> list[int]:
    ids = []
    for i in range(start, start + n):
        ticket = {
            "subject": f"Checkout fails #{i}",
            "comment": {"body": f"My checkout fails at the last step, order {1000 + i}."},
            "requester": {"name": f"Customer {i}", "email": f"customer{i}@example.com"},
        }
        answer = requests.post(
            f"{sandbox_url}/api/v2/tickets.json",
            json={"ticket": ticket},
            timeout=10,
            auth=(f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN),
        )
        answer.raise_for_status()
        ids.append(answer.json()["ticket"]["id"])
    return ids


def run_batch(services, worker: Worker, counted: Counted, sandbox_url: str, size: int, start: int):
    ticket_ids = create_tickets(sandbox_url, size, start)
    with services.db.transaction() as session:
        for ticket_id in ticket_ids:
            inbox.store(
                session,
                delivery_key=f"bench-{ticket_id}",
                event_type="ticket.changed",
                ticket_id=ticket_id,
                payload="{}",
            )
    counted.n, counted.on = 0, True
    cpu = time.thread_time()
    report = worker.run_once()
    cpu = time.thread_time() - cpu
    counted.on = False
    assert report is not None, "the batch was not claimed"
    return counted.n / size, cpu * 1000 / size


def claim_statements(services, counted: Counted, size: int) -> int:
    with services.db.transaction() as session:
        for i in range(size):
            inbox.store(
                session, delivery_key=f"claim-{size}-{i}", event_type="x", ticket_id=None, payload="{}"
            )
    counted.n, counted.on = 0, True
    claimed = inbox.claim(services.db, f"claimer-{size}", size, lease_seconds=60)
    counted.on = False
    assert len(claimed) == size
    with services.db.transaction() as session:
        inbox.complete(session, [c.id for c in claimed], f"claimer-{size}")
    return counted.n


def measure(database_url: str, rounds: int) -> dict:
    with SandboxServer(plan="enterprise") as sandbox:
        settings = Settings(
            database_url=database_url,
            secret_key="bench" * 8,
            zendesk_email=DEMO_AGENT_EMAIL,
            zendesk_api_token=DEMO_API_TOKEN,
            zendesk_base_url=sandbox.url,
            zendesk_webhook_secret="x",
            worker_batch_window_seconds=0,
            job_poll_seconds=0.01,
            reconcile_seconds=0,  # a batch's cost alone (reconcile_bench measures the reconciler)
        )
        helpdesk = ZendeskAdapter.connect("sandbox", DEMO_AGENT_EMAIL, DEMO_API_TOKEN, sandbox.url)
        services = build_services(settings, helpdesk=helpdesk)
        with services.db.transaction() as session:
            draft = clean_draft("Checkout is down", ["checkout fails"], STATUS)
            declare_incident(session, services.helpdesk, draft, actor="bench")
        worker = Worker(services, "bench-worker")
        counted = Counted(services.db.engine)
        start = 1
        results: dict = {}
        for size in (1, 100):
            best = None
            for _ in range(rounds):
                figures = run_batch(services, worker, counted, sandbox.url, size, start)
                start += size
                best = figures if best is None or figures[1] < best[1] else best
            results[size] = best
        results["claim"] = {n: claim_statements(services, counted, n) for n in (1, 100)}
        services.db.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker_cost_bench")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL URL to run on instead of SQLite")
    parser.add_argument("--rounds", type=int, default=3, help="batches per size; the best is kept")
    args = parser.parse_args(argv)
    with migrated(args.postgres) as url:
        results = measure(url, args.rounds)
    (one_sql, one_cpu), (hundred_sql, hundred_cpu) = results[1], results[100]
    print(f"database: {'PostgreSQL' if args.postgres else 'SQLite'}; best of {args.rounds} batches per size")
    print("| batch | SQL statements / ticket | worker CPU ms / ticket |")
    print("|---:|---:|---:|")
    print(f"| 1 (baseline) | {one_sql:.1f} | {one_cpu:.1f} |")
    print(f"| 100 | {hundred_sql:.1f} | {hundred_cpu:.1f} |")
    print(
        f"batch of 100 vs batch of 1: {one_sql / hundred_sql:.1f}x fewer statements, {one_cpu / hundred_cpu:.1f}x less CPU per ticket"
    )
    claim = results["claim"]
    print(f"claiming 1 row: {claim[1]} statement(s); claiming 100 rows: {claim[100]} statement(s)")
    met = hundred_cpu <= TARGET_CPU_MS and hundred_sql <= TARGET_STATEMENTS and claim[1] == claim[100]
    print(
        f"target (<= {TARGET_CPU_MS:g} ms CPU and <= {TARGET_STATEMENTS:g} statements per ticket at 100, "
        f"constant claim): {'met' if met else 'not met'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
