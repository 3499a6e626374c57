"""`incidentdesk demo`: the embedded default with demo data, on loopback only.

Starts the Zendesk sandbox, installs IncidentDesk's webhook and trigger in it, declares the
demo incident, and runs the web app and the worker in one process. It also plays the Zendesk
app's side: a throwaway key pair made at each start (the private key stays in this process's
memory) configures the service's app settings as a real install's public key and audience do,
and a stand-in for Zendesk's agent workspace (``service.web.demo_workspace``) opens the real
sidebar with tokens signed by that key. The demo credentials are
fixed and documented in the README so scripts can use them; that is why it refuses any host
but loopback.
"""

from __future__ import annotations

import ipaddress
import logging
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from werkzeug.serving import make_server

from integrations.zendesk.setup import install
from integrations.zendesk.transport import zenpy_client
from service.app import create_app
from service.domain.incidents import clean_draft
from service.inbox.worker import start_in_thread
from service.incidents.store import declare_incident
from service.migrate import upgrade
from service.settings import Settings
from service.status_page.publishing import set_public
from service.users import create_admin
from service.web.demo_workspace import ZAF_STAND_IN_URL, DemoZendesk, workspace_pages
from service.web.zendesk_app.auth import account_host
from service.wiring import build_services
from zendesk_sandbox import DEMO_AGENT_EMAIL, DEMO_API_TOKEN, SandboxServer
from zendesk_sandbox.server import stop_on_signals

log = logging.getLogger("incidentdesk.demo")

DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD = "incidentdesk-demo"
DEMO_API_TOKEN_FOR_SERVICE = "demo-api-token"
DEMO_DATABASE = Path("var") / "demo.db"
DEMO_WORKSPACE_PATH = "/demo/agent-workspace"
# The audience Zendesk names an app installation with (its installations API URL); the demo's
# installation is number 1 of the sandbox account.
DEMO_APP_INSTALLATION_ID = 1

DEMO_INCIDENT = dict(
    title="Checkout is down",
    severity="critical",
    phrases=[
        "checkout",
        "can't pay",
        "cannot pay",
        "payment fails",
        "payment failed",
        "card declined",
        "תשלום",
        "לא מצליח לשלם",
        "לא מצליחה לשלם",
        "плащане",
        "не мога да платя",
        "поръчката не минава",
    ],
    status_texts={
        "en": (
            "Hi {{first_name}}, thank you for writing to us. Our checkout is down at the moment, so "
            "orders cannot be paid for. Our engineers are on it and we expect checkout back within "
            "3 hours. Failed attempts were not charged. We will keep you posted right here and at "
            "{{status_page_url}}"
        ),
        "he": (
            "שלום {{first_name}}, תודה שפנית אלינו. מערכת התשלום באתר מושבתת כרגע ולא ניתן להשלים "
            "הזמנות. הצוות שלנו מטפל בתקלה ואנו צופים שהתשלום יחזור לפעול תוך 3 שעות. ניסיונות "
            "שנכשלו לא חויבו. נמשיך לעדכן אותך כאן ובכתובת {{status_page_url}}"
        ),
        "bg": (
            "Здравейте, {{first_name}}, благодарим ви, че ни писахте. В момента плащането на сайта не "
            "работи и поръчките не могат да бъдат платени. Екипът ни работи по проблема и очакваме "
            "плащането да бъде възстановено до 3 часа. Неуспешните опити не са таксувани. Ще ви "
            "държим в течение тук и на {{status_page_url}}"
        ),
    },
)


def demo_settings(host: str, port: int, sandbox_url: str) -> Settings:
    defaults = {
        "INCIDENTDESK_SECRET_KEY": "demo-only-secret-key-not-for-production-use-0000",
        "INCIDENTDESK_API_TOKEN": DEMO_API_TOKEN_FOR_SERVICE,
        "INCIDENTDESK_DATABASE_URL": f"sqlite:///{DEMO_DATABASE.absolute()}",
        "ZENDESK_EMAIL": DEMO_AGENT_EMAIL,
        "ZENDESK_API_TOKEN": DEMO_API_TOKEN,
    }
    settings = Settings.from_env(defaults=defaults)
    return settings.with_overrides(host=host, port=port, zendesk_base_url=sandbox_url, run_worker_in_web=True)


def throwaway_app_keys() -> tuple[RSAPrivateKey, str]:
    """The demo's Zendesk app key pair: the private key (never written anywhere) and the public
    key as the PEM an operator gives ZENDESK_APP_PUBLIC_KEY."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public_pem.decode()


def app_audience(settings: Settings) -> str:
    return f"https://{account_host(settings)}/api/v2/apps/installations/{DEMO_APP_INSTALLATION_ID}.json"


def with_demo_app(settings: Settings, public_pem: str) -> Settings:
    """The Zendesk app's settings as a real install has them (public key, audience), and the
    framing of the demo's workspace stand-in instead of the account's agent workspace."""
    return settings.with_overrides(
        zendesk_app_public_key=public_pem,
        zendesk_app_audience=app_audience(settings),
        zendesk_app_frame_origin=f"http://{settings.host}:{settings.port}",
        zendesk_app_sdk_url=ZAF_STAND_IN_URL,
    )


def require_loopback(host: str) -> None:
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SystemExit(
            f"The demo uses fixed, published credentials, so it only listens on loopback; "
            f"got host {host!r}. Use 127.0.0.1, or run `incidentdesk serve` with your own settings."
        )


def seed(sandbox: SandboxServer) -> None:
    """The sandbox's demo account: a sports store's customers and their first tickets."""
    seeded = requests.post(f"{sandbox.url}/_sandbox/seed", json={"scenario": "demo"}, timeout=10)
    seeded.raise_for_status()


def prepare(host: str, port: int, sandbox: SandboxServer):
    """Everything but serving: returns (app, services). Used by `incidentdesk demo` and its tests."""
    settings = demo_settings(host, port, sandbox.url)
    if settings.database_url.startswith("sqlite:///") and DEMO_DATABASE.name in settings.database_url:
        DEMO_DATABASE.unlink(missing_ok=True)  # the sandbox starts empty, so the demo does too
    upgrade(settings.database_url)
    client = zenpy_client(
        settings.zendesk_subdomain, settings.zendesk_email, settings.zendesk_api_token, sandbox.url
    )
    installation = install(client, f"http://{host}:{port}/webhooks/zendesk")
    settings = settings.with_overrides(zendesk_webhook_secret=installation.signing_secret)
    app_private_key, app_public_pem = throwaway_app_keys()
    services = build_services(with_demo_app(settings, app_public_pem))
    [agent] = services.helpdesk.search_users(f"email:{DEMO_AGENT_EMAIL}", limit=1)
    with services.db.transaction() as session:
        create_admin(session, DEMO_ADMIN_USERNAME, DEMO_ADMIN_PASSWORD)
        draft = clean_draft(
            DEMO_INCIDENT["title"],
            DEMO_INCIDENT["phrases"],
            DEMO_INCIDENT["status_texts"],
            severity=DEMO_INCIDENT["severity"],
        )
        incident = declare_incident(session, services.helpdesk, draft, actor="demo")
        set_public(
            session,
            services.helpdesk,
            incident,
            public=True,
            slug=None,
            base_url=f"http://{host}:{port}",
            actor="demo",
        )
    workspace = workspace_pages(DemoZendesk(app_private_key=app_private_key, agent_id=agent.id))
    return create_app(services=services, extra_pages=(workspace,)), services


def banner(host: str, port: int, sandbox_url: str) -> str:
    base = f"http://{host}:{port}"
    return "\n".join(
        [
            "",
            "IncidentDesk demo is running.",
            f"  Admin UI        {base}/admin/   login {DEMO_ADMIN_USERNAME} / {DEMO_ADMIN_PASSWORD}",
            f"  REST API        {base}/api/v1/incidents   Authorization: Bearer {DEMO_API_TOKEN_FOR_SERVICE}",
            f"  Webhook         {base}/webhooks/zendesk   (signed; the sandbox's trigger sends to it)",
            f"  Status page     {base}/status/checkout-is-down   (public, no login; also /status)",
            f"  Agent workspace {base}{DEMO_WORKSPACE_PATH}   (a stand-in for Zendesk around the real sidebar; admin login)",
            f"  Zendesk sandbox {sandbox_url}/api/v2/   agent {DEMO_AGENT_EMAIL} / API token {DEMO_API_TOKEN}",
            "",
            "Try it: create a ticket that says the checkout fails and watch it get linked and answered:",
            f"  curl -s -u '{DEMO_AGENT_EMAIL}/token:{DEMO_API_TOKEN}' -H 'Content-Type: application/json' \\",
            '    -d \'{"ticket": {"subject": "Help", "comment": {"body": "Checkout fails with an error"}}}\' \\',
            f"    {sandbox_url}/api/v2/tickets.json",
            "Press Ctrl-C to stop.",
            "",
        ]
    )


def run(host: str = "127.0.0.1", port: int = 8000, sandbox_port: int = 8001) -> None:
    require_loopback(host)
    sandbox = SandboxServer(host="127.0.0.1", port=sandbox_port)
    sandbox.start()
    seed(sandbox)
    app, services = prepare(host, port, sandbox)
    server = make_server(host, port, app, threaded=True)
    worker, stop_worker = start_in_thread(services)
    print(banner(host, port, sandbox.url), flush=True)
    stop_on_signals()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop_worker.set()
        server.server_close()
        # The worker finishes the batches whose jobs are running before the sandbox goes away.
        worker.join(timeout=30)
        sandbox.stop()
