"""The public status page under an incident's spike (issue 12), against one `incidentdesk serve`
(gunicorn, 2 processes of 4 threads, as in production) on SQLite:

1. Throughput: requests per second for ``/status/<slug>`` (Accept-Language rotating English,
   Hebrew, Bulgarian; full 200 answers, no If-None-Match) and for the bare ``/healthz`` of the
   same server, measured alternately in the same run with the same keep-alive clients. Target:
   the page at least half of ``/healthz``.
2. Webhook acknowledgement: p50/p99 of ``POST /webhooks/zendesk`` with a valid signature (each
   delivery new, so each is committed to the inbox), alone and while 1,000 concurrent readers
   (1,000 open connections in another process) each load the page every 2 s, jittered: a spike of
   about 500 page views a second. A third run has the 1,000 readers ask as fast as they can
   (saturation), for the record.

Everything is on 127.0.0.1. Run: ``.venv/bin/python -m bench.status_page_bench`` (about 2
minutes; ``--quick`` about 40 s). Exit status 0 when the page reaches half of ``/healthz`` and the
webhook's p99 with the polling readers stays within 2x of its p99 alone (and under 1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

from bench.processes import free_port, serve_env
from integrations.zendesk.signature import sign
from service.db import Database
from service.domain.incidents import clean_draft
from service.incidents.status import post_status_update
from service.incidents.store import declare_incident
from service.migrate import upgrade
from service.status_page.publishing import set_public

SECRET = secrets.token_hex(16)  # made per run: the webhook signing secret the bench signs with
LANGUAGES = ("en", "he-IL,he;q=0.9", "bg")
TEXTS = {
    "en": "Hi {{first_name}}, checkout is down; we expect it back within 3 hours. {{status_page_url}}",
    "he": "שלום {{first_name}}, מערכת התשלום מושבתת; אנו צופים שתחזור תוך 3 שעות. {{status_page_url}}",
    "bg": "Здравейте, {{first_name}}, плащането не работи; очакваме да се възстанови до 3 часа.",
}


def _prepare(url: str, port: int) -> str:
    """A public incident with three status versions in three languages; returns its slug."""
    upgrade(url)
    db = Database(url)
    with db.transaction() as session:
        incident = declare_incident(
            session, None, clean_draft("Checkout is down", ["checkout"], TEXTS), actor="bench"
        )
        for stage in ("identified", "monitoring"):
            post_status_update(session, None, incident, stage, TEXTS, broadcast=False, actor="bench")
        set_public(
            session,
            None,
            incident,
            public=True,
            slug=None,
            base_url=f"http://127.0.0.1:{port}",
            actor="bench",
        )
        slug = str(incident.public_slug)
    db.dispose()
    return slug


def _serve(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, **serve_env(url, SECRET)}
    command = [sys.executable, "-m", "service.cli", "--log-level", "WARNING", "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return server
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not come up within 30 s")


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str, language: str) -> int:
    """One GET on a kept-alive connection; returns the status code after reading the whole body."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Language: {language}\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next(int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:"))
    await reader.readexactly(length)
    return int(lines[0].split()[1])


async def _client(port: int, path: str, until: float, think: float, counts: list[int]) -> None:
    """A reader: one connection, a page view every ``think`` seconds (jittered), or as fast as it
    can with ``think=0``; reconnects when the server closes the connection."""
    reader = writer = None
    if think:
        await asyncio.sleep(random.uniform(0, think))
    while time.monotonic() < until:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert reader is not None
            status = await _get(reader, writer, path, random.choice(LANGUAGES))
            counts[0 if status == 200 else 1] += 1
        except (ConnectionError, asyncio.IncompleteReadError, StopIteration):
            counts[1] += 1
            if writer is not None:
                writer.close()
            reader = writer = None
        if think:
            await asyncio.sleep(think * random.uniform(0.5, 1.5))
    if writer is not None:
        writer.close()


async def _load(port: int, path: str, clients: int, seconds: float, think: float) -> tuple[int, int]:
    counts = [0, 0]
    until = time.monotonic() + seconds
    await asyncio.gather(*(_client(port, path, until, think, counts) for _ in range(clients)))
    return counts[0], counts[1]


def throughput(port: int, path: str, clients: int, seconds: float) -> float:
    ok, failed = asyncio.run(_load(port, path, clients, seconds, 0))
    if failed:
        raise SystemExit(f"{failed} requests to {path} failed")
    return ok / seconds


def _readers(port: int, path: str, clients: int, seconds: float, think: float, result) -> None:
    result.put(asyncio.run(_load(port, path, clients, seconds, think)))


def webhook_latencies(port: int, count: int, first_ticket: int) -> list[float]:
    """Signed deliveries one after another on one connection, each a new ticket event."""
    session = requests.Session()
    latencies = []
    for n in range(count):
        body = json.dumps({"ticket_id": str(first_ticket + n), "event": "ticket.changed"}).encode()
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        headers = {
            "X-Zendesk-Webhook-Signature": sign(SECRET, stamp, body),
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
            "X-Zendesk-Webhook-Invocation-Id": f"bench-{first_ticket + n}",
            "Content-Type": "application/json",
        }
        started = time.perf_counter()
        answer = session.post(
            f"http://127.0.0.1:{port}/webhooks/zendesk", data=body, headers=headers, timeout=30
        )
        latencies.append(time.perf_counter() - started)
        if answer.status_code != 200:
            raise SystemExit(f"webhook answered {answer.status_code}: {answer.text[:200]}")
        time.sleep(0.02)
    return latencies


def _percentiles(latencies: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


def under_readers(port: int, path: str, readers: int, think: float, count: int, first_ticket: int):
    """Webhook latencies while ``readers`` connections read the page in another process."""
    seconds = count * 0.03 + 15
    result: multiprocessing.Queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=_readers, args=(port, path, readers, seconds, think, result))
    process.start()
    time.sleep(5)  # every reader connected and reading
    latencies = webhook_latencies(port, count, first_ticket)
    ok, failed = result.get(timeout=seconds + 60)
    process.join()
    return latencies, ok / seconds, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter rounds")
    args = parser.parse_args(argv)
    seconds, rounds, posts = (3.0, 2, 150) if args.quick else (8.0, 3, 400)
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite:///{Path(workdir) / 'status.db'}"
        slug = _prepare(url, port)
        page = f"/status/{slug}"
        server = _serve(url, port)
        try:
            throughput(port, page, 16, 1.0)  # warm both processes' caches and connections
            health, pages = [], []
            for _ in range(rounds):
                health.append(throughput(port, "/healthz", 16, seconds))
                pages.append(throughput(port, page, 16, seconds))
            health_rps, page_rps = statistics.median(health), statistics.median(pages)
            print(
                f"/healthz: {health_rps:,.0f} req/s; {page}: {page_rps:,.0f} req/s (median of {rounds} rounds "
                f"of {seconds:.0f} s, 16 keep-alive clients); ratio {page_rps / health_rps:.2f}"
            )
            alone = _percentiles(webhook_latencies(port, posts, 1_000_000))
            print(f"webhook ack alone: p50 {alone[0]:.1f} ms, p99 {alone[1]:.1f} ms ({posts} deliveries)")
            polled, polled_rps, polled_failed = under_readers(port, page, 1000, 2.0, posts, 2_000_000)
            busy = _percentiles(polled)
            print(
                f"webhook ack with 1,000 readers each loading the page every ~2 s ({polled_rps:,.0f} page "
                f"views/s, {polled_failed} failed): p50 {busy[0]:.1f} ms, p99 {busy[1]:.1f} ms"
            )
            flooded, flood_rps, flood_failed = under_readers(port, page, 1000, 0, posts // 2, 3_000_000)
            flood = _percentiles(flooded)
            print(
                f"webhook ack with 1,000 readers asking as fast as they can ({flood_rps:,.0f} page views/s, "
                f"{flood_failed} failed): p50 {flood[0]:.1f} ms, p99 {flood[1]:.1f} ms"
            )
        finally:
            server.terminate()
            server.wait(timeout=40)
    ratio_met = page_rps >= 0.5 * health_rps
    webhook_met = busy[1] <= max(2 * alone[1], 50.0) and busy[1] < 1000
    print(
        f"target page >= 0.5 x /healthz: {'met' if ratio_met else 'MISSED'}; "
        f"webhook p99 with readers within 2x of alone: {'met' if webhook_met else 'MISSED'}"
    )
    return 0 if ratio_met and webhook_met else 1


if __name__ == "__main__":
    sys.exit(main())
