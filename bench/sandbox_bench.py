"""Zendesk sandbox: its own overhead per call, and how exactly it enforces rate limits.

Run: ``.venv/bin/python -m bench.sandbox_bench`` (about 75 s; ``--quick`` for a smoke run
of a few seconds that scales the rate-limit window down to 6 s).

1. Overhead: typical calls (show ticket, update ticket, show_many, search, create) timed
   in-process through Flask's test client (the sandbox's own cost) and over loopback HTTP
   with a keep-alive ``requests`` session (what a test or the service pays), limits off.
2. Surge: 1,000 tickets through 10 ``create_many`` jobs with a trigger that notifies a
   local webhook receiver: time until the jobs complete and until every signed delivery
   has arrived.
3. Rate-limit accuracy: the Team plan (200 requests/minute), two client threads sending
   a request every 10 ms for a minute and a bit. Reported: requests admitted within the
   first window against the limit, the Retry-After given at the first refusal against the
   time the window really reopened, and admissions after it reopened.
"""

from __future__ import annotations

import argparse
import base64
import logging
import statistics
import threading
import time

import requests
from werkzeug.serving import make_server

from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN, SandboxServer, create_sandbox_app

AUTH = "Basic " + base64.b64encode(f"{DEMO_AGENT_EMAIL}/token:{DEMO_API_TOKEN}".encode()).decode()


def _calls(ticket_id: int):
    body = {"ticket": {"additional_tags": ["bench"], "comment": {"body": "x", "public": False}}}
    return [
        ("GET", f"/api/v2/tickets/{ticket_id}.json", None),
        ("PUT", f"/api/v2/tickets/{ticket_id}.json", body),
        ("GET", "/api/v2/tickets/show_many.json?ids=1,2,3,4,5", None),
        ("GET", "/api/v2/search.json?query=type:ticket%20status%3Csolved", None),
        ("POST", "/api/v2/tickets.json", {"ticket": {"subject": "s", "comment": {"body": "b"}}}),
    ]


def _summary(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[int(len(ms) * 0.95) - 1]
    return f"median {statistics.median(ms):6.2f} ms   p95 {p95:6.2f} ms"


def measure_overhead(rounds: int) -> None:
    print(f"Per-call overhead ({rounds} calls each, 200 tickets in the account, limits off)")
    app = create_sandbox_app(plan="high_volume", webhook_delivery=False)
    state = app.config["SANDBOX_STATE"]
    state.rate_limits.configure(enabled=False)
    client = app.test_client()
    for i in range(200):
        client.post(
            "/api/v2/tickets.json",
            headers={"Authorization": AUTH},
            json={"ticket": {"subject": f"t{i}", "comment": {"body": "b"}}},
        )
    with SandboxServer(plan="high_volume", webhook_delivery=False, state=state) as server:
        session = requests.Session()
        session.trust_env = False
        session.headers["Authorization"] = AUTH
        for method, path, body in _calls(ticket_id=7):
            inproc, http = [], []
            for _ in range(rounds):
                started = time.perf_counter()
                client.open(path, method=method, json=body, headers={"Authorization": AUTH})
                inproc.append(time.perf_counter() - started)
                started = time.perf_counter()
                session.request(method, server.url + path, json=body)
                http.append(time.perf_counter() - started)
            label = f"{method} {path.split('?')[0]}"
            print(f"  {label:38s} in-process {_summary(inproc)} | HTTP {_summary(http)}")
    app.extensions["zendesk_sandbox"].stop()


def _receiver(arrived: list):
    def app(environ, start_response):
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        arrived.append(time.monotonic())
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


def measure_surge(tickets: int) -> None:
    print(f"\nSurge: {tickets} tickets in create_many jobs of 100, a trigger notifying a webhook")
    arrived: list[float] = []
    receiver = _receiver(arrived)
    with SandboxServer(plan="high_volume") as server:
        api = requests.Session()
        api.trust_env = False
        api.headers["Authorization"] = AUTH
        hook = api.post(
            f"{server.url}/api/v2/webhooks",
            json={
                "webhook": {
                    "name": "bench",
                    "status": "active",
                    "subscriptions": ["conditional_ticket_events"],
                    "endpoint": f"http://127.0.0.1:{receiver.server_port}/hook",
                }
            },
        ).json()["webhook"]
        api.post(
            f"{server.url}/api/v2/triggers",
            json={
                "trigger": {
                    "title": "notify",
                    "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}]},
                    "actions": [
                        {
                            "field": "notification_webhook",
                            "value": [hook["id"], '{"id": "{{ticket.id}}", "title": "{{ticket.title}}"}'],
                        }
                    ],
                }
            },
        )
        started = time.monotonic()
        jobs = [
            api.post(
                f"{server.url}/api/v2/tickets/create_many.json",
                json={
                    "tickets": [
                        {
                            "subject": f"Checkout fails {n}",
                            "comment": {"body": "I cannot pay"},
                            "requester": {"name": f"Customer {n}", "email": f"c{n}@example.com"},
                        }
                        for n in range(batch, batch + 100)
                    ]
                },
            ).json()["job_status"]["id"]
            for batch in range(0, tickets, 100)
        ]
        while any(
            api.get(f"{server.url}/api/v2/job_statuses/{job}.json").json()["job_status"]["status"]
            != "completed"
            for job in jobs
        ):
            time.sleep(0.02)
        done = time.monotonic() - started
        while len(arrived) < tickets and time.monotonic() - started < 60:
            time.sleep(0.02)
    receiver.shutdown()
    print(
        f"  jobs completed after {done:.2f} s; {len(arrived)} webhooks delivered after "
        f"{max(arrived) - started:.2f} s"
    )


def measure_rate_limit(window: float, extra: float, limit: int) -> None:
    print(
        f"\nRate-limit accuracy: {limit} requests per {window:g} s window, "
        f"2 clients every 10 ms for {window + extra:g} s"
    )
    with SandboxServer(plan="team", webhook_delivery=False) as server:
        requests.post(
            f"{server.url}/_sandbox/limits", json={"requests_per_minute": limit, "window_seconds": window}
        )
        log: list[tuple[float, float, int, str | None]] = []  # sent, received, status, Retry-After
        lock = threading.Lock()
        started = time.monotonic()
        stop_at = started + window + extra

        def client():
            session = requests.Session()
            session.trust_env = False
            session.headers["Authorization"] = AUTH
            while time.monotonic() < stop_at:
                sent = time.monotonic() - started
                resp = session.get(f"{server.url}/api/v2/users/me.json")
                with lock:
                    log.append(
                        (sent, time.monotonic() - started, resp.status_code, resp.headers.get("Retry-After"))
                    )
                time.sleep(0.01)

        threads = [threading.Thread(target=client) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    log.sort()
    # The window opens at the first admission, which the server makes after that request
    # was sent; anything received before sent + window was admitted inside the window.
    opened = next(sent for sent, _, code, _ in log if code == 200)
    in_window = sum(1 for _, got, code, _ in log if code == 200 and got < opened + window)
    refusals = [(got, int(ra)) for _, got, code, ra in log if code == 429]
    later = [got for _, got, code, _ in log if code == 200 and got >= opened + window]
    reopened = later[0] if later else None
    after = len(later)
    print(
        f"  requests sent {len(log)}, admitted in the first window {in_window} "
        f"(limit {limit}: {100.0 * in_window / limit:.1f} %)"
    )
    if refusals and reopened is not None:
        t429, retry_after = refusals[0]
        print(
            f"  first 429 at {t429:.2f} s with Retry-After {retry_after} s; window reopened "
            f"after {reopened - t429:.2f} s (Retry-After is rounded up to whole seconds)"
        )
    print(f"  admitted in the {extra:g} s after the window reopened: {after}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds, 6 s window")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    measure_overhead(rounds=50 if args.quick else 300)
    measure_surge(tickets=200 if args.quick else 1000)
    if args.quick:
        measure_rate_limit(window=6.0, extra=1.0, limit=20)
    else:
        measure_rate_limit(window=60.0, extra=5.0, limit=200)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
