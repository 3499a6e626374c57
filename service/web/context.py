"""The request's view of the process: the services built by ``service.wiring``."""

from __future__ import annotations

from flask import current_app

from service.wiring import Services


def services() -> Services:
    return current_app.extensions["incidentdesk"]
