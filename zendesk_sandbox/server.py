"""Run the sandbox over HTTP: in a background thread for tests, or blocking for the CLI."""

from __future__ import annotations

import json
import logging
import signal
import threading
from pathlib import Path

from werkzeug.serving import make_server

from .app import create_sandbox_app
from .persistence import load_state, save_state
from .seed import SCENARIOS
from .state import SandboxState


class SandboxServer:
    """``with SandboxServer() as sandbox: requests.get(sandbox.url + ...)``.

    ``port=0`` picks a free port; ``state`` exposes the in-memory account to tests.
    Extra keyword arguments go to ``create_sandbox_app``.
    """

    def __init__(self, plan: str = "team", host: str = "127.0.0.1", port: int = 0, **kwargs):
        self.app = create_sandbox_app(plan=plan, **kwargs)
        self.state: SandboxState = self.app.config["SANDBOX_STATE"]
        self._server = make_server(host, port, self.app, threaded=True)
        self.host = host
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> SandboxServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, args=(0.05,), name=f"sandbox-http-{self.port}", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
        self.app.extensions["zendesk_sandbox"].stop()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _interrupt(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt


def stop_on_signals() -> None:
    """Ctrl-C and SIGTERM both stop the server cleanly. Installed explicitly: a program started
    in the background inherits SIGINT ignored, and a service manager sends SIGTERM."""
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, _interrupt)


def serve(host: str, port: int, plan: str, seed: str | None = None, persist_path: str | None = None) -> None:
    """Serve until interrupted. ``seed`` names a scenario (``demo``); ``persist_path``
    loads the state from that file if it exists and saves it there on exit."""
    state = SandboxState(plan=plan)
    if persist_path and Path(persist_path).exists():
        load_state(state, persist_path)
    if seed:
        if seed not in SCENARIOS:
            raise SystemExit(f"unknown seed scenario {seed!r}; known: {sorted(SCENARIOS)}")
        with state.lock:
            summary = SCENARIOS[seed](state)
        logging.getLogger(__name__).info("seeded %s: %s", seed, json.dumps(summary))
    server = SandboxServer(plan=plan, host=host, port=port, state=state)
    print(
        f"Zendesk sandbox on {server.url} (plan {plan}); agent {state.users[state.admin_id]['email']}",
        flush=True,
    )
    stop_on_signals()
    try:
        server._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._server.server_close()
        server.app.extensions["zendesk_sandbox"].stop()
        if persist_path:
            save_state(state, persist_path)
