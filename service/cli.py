"""The `incidentdesk` command: serve, worker, sandbox, demo, migrate, create-admin, setup-zendesk."""

from __future__ import annotations

import argparse
import getpass
import signal
import sys
import threading
from pathlib import Path

from integrations.zendesk.setup import install
from integrations.zendesk.transport import zenpy_client
from service import app_package, metrics
from service.db import Database
from service.inbox.worker import Worker
from service.logs import configure_logging
from service.migrate import upgrade
from service.settings import LogSettings, Settings, SettingsError
from service.users import create_admin
from service.web_server import ServeOptions, WebServer
from service.wiring import build_services


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise SystemExit(f"configuration error: {exc}") from None


def cmd_serve(args: argparse.Namespace) -> None:
    options = ServeOptions(
        host=args.host,
        port=args.port,
        workers=args.workers,
        threads=args.threads,
        config=args.config,
        with_worker=args.with_worker,
    )
    WebServer(_settings(), options, logconfig=args.logconfig).run()


def cmd_worker(_args: argparse.Namespace) -> None:
    settings = _settings()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop_metrics = None
    if settings.worker_metrics_port:
        # One process: its own figures (the default registry), whether or not prometheus-client
        # keeps them in PROMETHEUS_MULTIPROC_DIR's files.
        stop_metrics = metrics.serve_in_thread(
            host=settings.host,
            port=settings.worker_metrics_port,
            token=settings.metrics_token,
            registry_factory=lambda: metrics.scrape_registry(multiprocess_dir=""),
        )
    try:
        Worker(build_services(settings)).run_forever(stop)
    finally:
        if stop_metrics is not None:
            stop_metrics()


def cmd_sandbox(args: argparse.Namespace) -> None:
    # Development checkouts only, as for the demo.
    from zendesk_sandbox import serve

    serve(host=args.host, port=args.port, plan=args.plan, seed=args.seed, persist_path=args.persist)


def cmd_demo(args: argparse.Namespace) -> None:
    # The sandbox (and so the demo) ships only in a development checkout, not in the image.
    from service.demo import run

    run(host=args.host, port=args.port, sandbox_port=args.sandbox_port)


def cmd_migrate(_args: argparse.Namespace) -> None:
    upgrade(_settings().database_url)
    print("database is at the latest schema")


def cmd_create_admin(args: argparse.Namespace) -> None:
    password = args.password_stdin and sys.stdin.readline().rstrip("\n") or getpass.getpass("Password: ")
    db = Database(_settings().database_url)
    try:
        with db.transaction() as session:
            create_admin(session, args.username, password)
    except ValueError as exc:
        raise SystemExit(f"cannot create admin: {exc}") from None
    print(f"admin user {args.username!r} is ready")


def cmd_setup_zendesk(args: argparse.Namespace) -> None:
    settings = _settings()
    client = zenpy_client(
        settings.zendesk_subdomain, settings.zendesk_email, settings.zendesk_api_token, settings.zendesk_url
    )
    result = install(client, args.endpoint, kind=settings.zendesk_webhook_kind)
    if result.trigger_ids:
        print(
            f"webhook {result.webhook_id} and triggers {', '.join(map(str, result.trigger_ids))} installed."
        )
    else:
        print(f"event webhook {result.webhook_id} installed (it needs no trigger).")
    print("Copy the webhook's signing secret from Zendesk Admin Center into ZENDESK_WEBHOOK_SECRET.")


def cmd_package_app(args: argparse.Namespace) -> None:
    try:
        built = app_package.build(args.source, args.output)
    except app_package.PackageError as exc:
        problems = "\n".join(f"  - {problem}" for problem in exc.problems)
        raise SystemExit(f"the Zendesk app package in {args.source} is not complete:\n{problems}") from None
    print(f"{built.path}: {len(built.files)} files; upload it in Admin Center or with zcli apps:create.")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="incidentdesk", description=__doc__)
    parser.add_argument(
        "--log-level", help="DEBUG, INFO, WARNING or ERROR (default INCIDENTDESK_LOG_LEVEL, else INFO)"
    )
    parser.add_argument(
        "--log-format",
        choices=["json", "text"],
        help="JSON lines or plain text (default INCIDENTDESK_LOG_FORMAT, else json; text for demo and sandbox)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web service with gunicorn")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, help="web processes (default 2)")
    serve.add_argument("--threads", type=int, help="threads per process (default 4)")
    serve.add_argument("--config", help="gunicorn config file (default ./gunicorn.conf.py when present)")
    serve.add_argument("--with-worker", action="store_true", help="also run the inbox worker in each process")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("worker", help="process the inbox").set_defaults(func=cmd_worker)

    sandbox = sub.add_parser("sandbox", help="run the Zendesk sandbox")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8001)
    sandbox.add_argument("--plan", default="team")
    sandbox.add_argument("--seed", default="demo", help="scenario to seed, or 'none'")
    sandbox.add_argument("--persist", default=None, help="file to keep the sandbox's state in")
    sandbox.set_defaults(func=cmd_sandbox)

    demo = sub.add_parser("demo", help="service + worker + sandbox with demo data (loopback only)")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--sandbox-port", type=int, default=8001)
    demo.set_defaults(func=cmd_demo)

    sub.add_parser("migrate", help="upgrade the database schema").set_defaults(func=cmd_migrate)

    admin = sub.add_parser("create-admin", help="create or reset a local admin user")
    admin.add_argument("username")
    admin.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    admin.set_defaults(func=cmd_create_admin)

    setup = sub.add_parser("setup-zendesk", help="install the webhook and trigger in Zendesk")
    setup.add_argument("--endpoint", required=True, help="public URL of /webhooks/zendesk")
    setup.set_defaults(func=cmd_setup_zendesk)

    package = sub.add_parser("package-app", help="check and zip the Zendesk app (manifests/zendesk)")
    package.add_argument("--source", type=Path, default=app_package.SOURCE, help="the app's folder")
    package.add_argument("--output", type=Path, default=app_package.OUTPUT, help="the zip to write")
    package.set_defaults(func=cmd_package_app)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        env = LogSettings.from_env()
    except SettingsError as exc:
        raise SystemExit(f"configuration error: {exc}") from None
    for_people = args.command in {"demo", "sandbox"}
    args.logconfig = configure_logging(
        level=args.log_level or env.level or "INFO",
        fmt=args.log_format or env.format or ("text" if for_people else "json"),
    )
    if args.command == "sandbox" and args.seed == "none":
        args.seed = None
    args.func(args)


if __name__ == "__main__":
    main()
