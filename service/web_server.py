"""`incidentdesk serve`: gunicorn around ``create_app``, configured the ordinary way.

Settings apply in gunicorn's own order, each over the one before:
1. ours: bind from INCIDENTDESK_HOST/PORT, 2 workers of 4 threads, the access log on stdout,
   gunicorn's own X-Forwarded-Proto trust limited to INCIDENTDESK_TRUSTED_PROXIES;
2. the config file: ``serve --config FILE``, else ``-c`` in GUNICORN_CMD_ARGS, else
   ``gunicorn.conf.py`` in the working directory (the image has one in /app);
3. GUNICORN_CMD_ARGS (``--timeout 60 --workers 4``...);
4. what ``serve`` was given explicitly (``--host``, ``--port``, ``--workers``, ``--threads``).

With the embedded inbox worker (``--with-worker`` or INCIDENTDESK_RUN_WORKER_IN_WEB), each web
process starts it after forking and, on shutdown, lets it finish its batch within gunicorn's
``graceful_timeout`` before the process exits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gunicorn.app.base import Application
from gunicorn.config import get_default_config_file

from service import metrics
from service.app import create_app
from service.inbox.worker import start_in_thread
from service.settings import Settings
from service.wiring import Services, build_services

log = logging.getLogger("incidentdesk.serve")
DEFAULT_WORKERS = 2
DEFAULT_THREADS = 4


@dataclass(frozen=True)
class ServeOptions:
    """What `incidentdesk serve` was told on its command line; None is "not given"."""

    host: str | None = None
    port: int | None = None
    workers: int | None = None
    threads: int | None = None
    config: str | None = None
    with_worker: bool = False


class WebServer(Application):  # type: ignore[misc]  # gunicorn is untyped
    def __init__(self, settings: Settings, options: ServeOptions, logconfig: dict[str, Any] | None = None):
        self.settings = settings
        self.options = options
        self.logconfig = logconfig
        self.services: Services | None = None
        super().__init__(prog="incidentdesk serve")

    def init(self, parser: Any, opts: Any, args: Any) -> None:
        return None  # gunicorn's hook for its command line; ours is argparse

    def load_config(self) -> None:
        settings, options = self.settings, self.options
        self.cfg.set("bind", [f"{settings.host}:{settings.port}"])
        self.cfg.set("workers", DEFAULT_WORKERS)
        self.cfg.set("threads", DEFAULT_THREADS)
        # Each request's line is written by the app (service/web/request_log.py), with its id;
        # gunicorn's own access line would repeat it with the query string.
        self.cfg.set("accesslog", None)
        self.cfg.set("forwarded_allow_ips", ",".join(settings.trusted_proxies))
        if self.logconfig is not None:  # gunicorn's lines as ours (service/logs.py)
            self.cfg.set("logconfig_dict", self.logconfig)

        env_args = self.cfg.parser().parse_args(self.cfg.get_cmd_args_from_env())
        config_file = options.config or env_args.config or get_default_config_file()
        if config_file:
            self.load_config_from_file(config_file)
        for name, value in vars(env_args).items():
            if value is not None and name not in {"args", "config"}:
                self.cfg.set(name.lower(), value)

        if options.host or options.port:
            self.cfg.set("bind", [f"{options.host or settings.host}:{options.port or settings.port}"])
        if options.workers is not None:
            self.cfg.set("workers", options.workers)
        if options.threads is not None:
            self.cfg.set("threads", options.threads)
        if options.with_worker or settings.run_worker_in_web:
            self._embed_inbox_worker()
        if settings.metrics_multiprocess_dir:
            self._keep_metrics_per_process(settings.metrics_multiprocess_dir)

    def _keep_metrics_per_process(self, directory: str) -> None:
        """prometheus-client's multiprocess mode: start from zero, forget exited processes' gauges."""
        configured_start: Callable[[Any], None] = self.cfg.on_starting
        configured_child_exit: Callable[[Any, Any], None] = self.cfg.child_exit

        def on_starting(server: Any) -> None:
            metrics.clear_multiprocess_dir(directory)
            configured_start(server)

        def child_exit(server: Any, worker: Any) -> None:
            metrics.process_exited(directory, worker.pid)
            configured_child_exit(server, worker)

        self.cfg.set("on_starting", on_starting)
        self.cfg.set("child_exit", child_exit)

    def _embed_inbox_worker(self) -> None:
        configured_init: Callable[[Any], None] = self.cfg.post_worker_init
        configured_exit: Callable[[Any, Any], None] = self.cfg.worker_exit

        def post_worker_init(worker: Any) -> None:
            configured_init(worker)
            assert self.services is not None
            worker.incidentdesk_inbox = start_in_thread(self.services)

        def worker_exit(server: Any, worker: Any) -> None:
            # Let a batch in progress finish (or reach its next step) rather than cut it off;
            # what is still leased when the process exits is claimed again after the lease.
            embedded = getattr(worker, "incidentdesk_inbox", None)
            if embedded is not None:
                thread, stop = embedded
                stop.set()
                thread.join(timeout=max(1, self.cfg.graceful_timeout - 1))
                if thread.is_alive():
                    log.warning("inbox worker still busy at shutdown; its rows return when the lease ends")
            configured_exit(server, worker)

        self.cfg.set("post_worker_init", post_worker_init)
        self.cfg.set("worker_exit", worker_exit)

    def load(self) -> Any:
        self.services = build_services(self.settings)
        return create_app(services=self.services)
