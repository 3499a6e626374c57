"""Webhook ingest under a steady rate (issue 15): the acknowledgement's latency when Zendesk
sends 200 deliveries a second for 60 s, measured with a real load tool (Locust, in a virtual
environment of its own, ``var/locust-venv``, made on first run), against:

1. a bare Flask app that stores nothing (``bench/bare_flask.py``), the baseline;
2. ``incidentdesk serve`` on SQLite (WAL);
3. ``incidentdesk serve`` on PostgreSQL (``--postgres URL``, a schema of its own, dropped after).

All three are gunicorn with the same processes and threads as production (2 of 4). Every
delivery is signed, new (its own invocation id and ticket) and so committed to the inbox before
it is acknowledged, which is what keeps it durable. The service logs at INFO as in production
(to /dev/null). No worker runs: this is the ingest path alone. Then each target is saturated
(users sending as fast as they can) for its requests per second, and the ratio to the bare app.

Run: ``.venv/bin/python -m bench.ingest_bench --postgres postgresql://127.0.0.1:5432/test``
(about 5 minutes; ``--seconds 15`` for a quick look). Locust and the servers share this
machine's cores, so every figure is for 2 cores holding both. Issue 15's target: p99 at most
50 ms at 200 req/s on each database.
"""

from __future__ import annotations

import argparse
import csv
import os
import secrets
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

import requests

from bench.databases import migrated
from bench.processes import free_port, serve_env

ROOT = Path(__file__).resolve().parent.parent
LOCUST_VENV = ROOT / "var" / "locust-venv"
LOCUST_VERSION = "2.47.0"
SECRET = secrets.token_hex(16)
TARGET_P99_MS = 50.0
PER_USER = 5.0  # deliveries a second per simulated sender


def _locust() -> Path:
    binary = LOCUST_VENV / "bin" / "locust"
    if not binary.exists():
        print(f"installing Locust {LOCUST_VERSION} into {LOCUST_VENV} (once)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(LOCUST_VENV)], check=True)
        pip = [str(LOCUST_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, f"locust=={LOCUST_VERSION}"], check=True)
    return binary


def _wait_up(port: int, path: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}{path}", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"the server on port {port} did not come up within 30 s")


@contextmanager
def _server(command: list[str], env: dict[str, str], port: int, probe: str):
    server = subprocess.Popen(
        command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_up(port, probe, server)
        yield
    finally:
        server.terminate()
        server.wait(timeout=30)


def bare_flask(port: int):
    command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4"]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", "bench.bare_flask:app"]
    return _server(command, {"PYTHONPATH": str(ROOT)}, port, "/")


def incidentdesk(url: str, port: int):
    env = serve_env(url, SECRET)
    command = [sys.executable, "-m", "service.cli", "--log-level", "INFO", "serve", "--port", str(port)]
    return _server(command, env, port, "/readyz")


def load(port: int, *, users: int, per_user: float, seconds: int) -> dict[str, float]:
    """One Locust run; the aggregated figures of its stats CSV (latencies in ms)."""
    with tempfile.TemporaryDirectory() as folder:
        prefix = Path(folder) / "run"
        command = [str(_locust()), "-f", str(ROOT / "bench" / "ingest_locustfile.py"), "--headless"]
        command += ["--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s"]
        command += ["--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary"]
        command += ["--loglevel", "WARNING", "--stop-timeout", "5"]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "INGEST_BENCH_SECRET": SECRET}
        env["INGEST_BENCH_PER_USER"] = str(per_user)
        subprocess.run(command, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(f"{prefix}_stats.csv", newline="") as handle:
            row = next(line for line in csv.DictReader(handle) if line["Name"] == "Aggregated")
    return {
        "requests": float(row["Request Count"]),
        "failures": float(row["Failure Count"]),
        "rps": float(row["Requests/s"]),
        "p50": float(row["50%"]),
        "p95": float(row["95%"]),
        "p99": float(row["99%"]),
        "max": float(row["Max Response Time"]),
    }


def _line(name: str, figures: dict[str, float]) -> str:
    return (
        f"{name:<22} {figures['rps']:7.1f} req/s  p50 {figures['p50']:5.0f}  p95 {figures['p95']:5.0f}  "
        f"p99 {figures['p99']:5.0f}  max {figures['max']:6.0f} ms  "
        f"({figures['requests']:.0f} sent, {figures['failures']:.0f} failed)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="a PostgreSQL URL; without it only SQLite is measured")
    parser.add_argument("--rate", type=int, default=200, help="deliveries a second (default 200)")
    parser.add_argument("--seconds", type=int, default=60, help="length of the steady run (default 60)")
    parser.add_argument("--saturate-seconds", type=int, default=20)
    args = parser.parse_args(argv)
    users = max(1, round(args.rate / PER_USER))

    targets: list[tuple[str, object]] = [("bare Flask", None), ("serve, SQLite (WAL)", "sqlite")]
    if args.postgres:
        targets.append(("serve, PostgreSQL", args.postgres))
    steady: dict[str, dict[str, float]] = {}
    saturated: dict[str, dict[str, float]] = {}
    for name, database in targets:
        port = free_port()
        with ExitStack() as stack:
            if database is None:
                stack.enter_context(bare_flask(port))
            else:
                url = stack.enter_context(migrated(None if database == "sqlite" else str(database), "ingest"))
                stack.enter_context(incidentdesk(url, port))
            load(port, users=8, per_user=5, seconds=3)  # warm every process and connection
            steady[name] = load(port, users=users, per_user=PER_USER, seconds=args.seconds)
            saturated[name] = load(port, users=16, per_user=0, seconds=args.saturate_seconds)

    print(f"\nsteady {args.rate} deliveries/s for {args.seconds} s ({users} senders of {PER_USER:g}/s each):")
    for name, figures in steady.items():
        print("  " + _line(name, figures))
    base = saturated["bare Flask"]["rps"]
    print(f"\nsaturated, 16 senders as fast as they can for {args.saturate_seconds} s:")
    for name, figures in saturated.items():
        print("  " + _line(name, figures) + f"  = {figures['rps'] / base:.2f} of bare Flask")
    missed = [
        name
        for name, figures in steady.items()
        if name != "bare Flask" and (figures["p99"] > TARGET_P99_MS or figures["failures"])
    ]
    print(
        f"\ntarget p99 <= {TARGET_P99_MS:g} ms at {args.rate}/s: {'missed by ' + ', '.join(missed) if missed else 'met'}"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
