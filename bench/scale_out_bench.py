"""Scaling out: how throughput and helpdesk calls grow from 1 to 3 `worker` processes.

Run: ``.venv/bin/python -m bench.scale_out_bench`` (a few minutes; ``--customers N``,
``--postgres URL``). For 1, 2 and 3 workers, each time on a freshly migrated PostgreSQL schema and
a fresh sandbox (enterprise plan, so the plan's budget is not what is measured): 2 `serve`
processes behind a webhook each (every ticket event reaches both), N customers write in at once,
and the clock runs until every ticket is linked. The output gives the seconds, tickets per
second, and the helpdesk calls IncidentDesk made per ticket, as the sandbox counted them. The
baseline is the one-worker run of the same invocation.
"""

from __future__ import annotations

import argparse
import time

import requests
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from bench.databases import migrated
from service.wiring import build_services
from tests.cluster import Cluster, surge, wait_until_linked
from tests.conftest import POSTGRES_URL, make_settings
from tests.factories import declare_checkout_incident
from zendesk_sandbox import SandboxServer


def one_run(postgres_url: str, customers: int, workers: int) -> dict[str, float]:
    with migrated(postgres_url, name="scale") as url, SandboxServer(plan="enterprise") as sandbox:
        from integrations.zendesk.adapter import ZendeskAdapter
        from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN

        helpdesk = ZendeskAdapter.connect("sandbox", DEMO_AGENT_EMAIL, DEMO_API_TOKEN, sandbox.url)
        services = build_services(make_settings(url), helpdesk=helpdesk)
        declare_checkout_incident(services)
        engine = create_engine(url)
        sessions = sessionmaker(engine)
        with Cluster(url, sandbox.url, serves=2, workers=workers, INCIDENTDESK_RECONCILE_SECONDS="0"):
            requests.post(f"{sandbox.url}/_sandbox/counters/reset", timeout=5).raise_for_status()
            started = time.monotonic()
            surge(sandbox.url, customers)
            wait_until_linked(sessions, customers, timeout=1200)
            seconds = time.monotonic() - started
            calls = requests.get(f"{sandbox.url}/_sandbox/counters", timeout=5).json()
        engine.dispose()
        services.db.dispose()
    # The customers' own tickets are created through the sandbox's customer channel, which it does
    # not count as API calls: what is counted is IncidentDesk's.
    return {
        "seconds": seconds,
        "per_second": customers / seconds,
        "calls_per_ticket": calls["total"] / customers,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_out_bench")
    parser.add_argument("--customers", type=int, default=600)
    parser.add_argument("--postgres", default=POSTGRES_URL)
    args = parser.parse_args()
    results = {n: one_run(args.postgres, args.customers, n) for n in (1, 2, 3)}
    base = results[1]
    print(f"{args.customers} customers at once, 2 serve processes, PostgreSQL")
    print("workers  seconds  tickets/s  vs 1 worker  helpdesk calls/ticket")
    for n, r in results.items():
        print(
            f"{n:>7}  {r['seconds']:7.1f}  {r['per_second']:9.1f}  {r['per_second'] / base['per_second']:10.2f}x"
            f"  {r['calls_per_ticket']:21.2f}"
        )


if __name__ == "__main__":
    main()
