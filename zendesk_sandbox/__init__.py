"""A faithful stand-in for the Zendesk Support API, for demos, tests and benchmarks.

See README.md in this folder for what is covered and how it differs from Zendesk.
"""

from .app import create_sandbox_app
from .client import zenpy_client_for
from .server import SandboxServer, serve
from .state import DEMO_AGENT_EMAIL, DEMO_API_TOKEN, DEMO_OAUTH_TOKEN, SandboxState

__all__ = [
    "create_sandbox_app",
    "SandboxServer",
    "serve",
    "zenpy_client_for",
    "SandboxState",
    "DEMO_AGENT_EMAIL",
    "DEMO_API_TOKEN",
    "DEMO_OAUTH_TOKEN",
]
