"""``serve``: the blocking entry point of ``incidentdesk sandbox``, with seed and persistence."""

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(port: int, seed, path: Path) -> subprocess.Popen:
    code = f"from zendesk_sandbox import serve; serve('127.0.0.1', {port}, 'growth', {seed!r}, {str(path)!r})"
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def _tickets(port: int) -> list[dict]:
    deadline = time.monotonic() + 15
    while True:
        try:
            resp = requests.get(
                f"http://127.0.0.1:{port}/api/v2/tickets.json",
                timeout=2,
                auth=(f"{DEMO_AGENT_EMAIL}/token", DEMO_API_TOKEN),
            )
            assert resp.headers["X-Rate-Limit"] == "400"
            return resp.json()["tickets"]
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0, process.stdout.read().decode()


def test_serve_seeds_and_persists_across_restarts(tmp_path):
    path = tmp_path / "sandbox.json"
    port = _free_port()
    process = _start(port, "demo", path)
    try:
        seeded = _tickets(port)
        assert len(seeded) == 5
    finally:
        _stop(process)
    assert len(json.loads(path.read_text())["tickets"]) == 5
    port = _free_port()
    process = _start(port, None, path)
    try:
        assert [t["subject"] for t in _tickets(port)] == [t["subject"] for t in seeded]
    finally:
        _stop(process)
