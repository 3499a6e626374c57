"""REST API v1 for incident sources: list, add (the delivery URL and a made secret shown once),
delete, and the one click on a proposal (confirm or dismiss). Bearer-token auth as the rest."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request, url_for
from flask.typing import ResponseReturnValue

from integrations.base import HelpdeskError
from service.domain.sources.drafts import clean_source
from service.incidents.reads import MAX_ROW_ID
from service.sources import flow, store
from service.web.api.incidents import require_token
from service.web.api.json_input import load_json
from service.web.api.source_schemas import ProposalSchema, SourceCreateSchema, SourceSchema
from service.web.context import services
from service.web.errors import json_error

log = logging.getLogger("incidentdesk.web")
bp = Blueprint("sources_api", __name__, url_prefix="/api/v1")
bp.before_request(require_token)
ROW = f"<int(max={MAX_ROW_ID})"
EXAMPLE = (
    '{"kind": "pagerduty", "name": "PagerDuty: checkout", "template_incident_id": 1, "signing_secret": "..."}'
)


def delivery_url(token: str) -> str:
    """Where the vendor sends its webhooks: on the public address when one is set."""
    path = url_for("source_webhooks.receive", token=token)
    base = services().settings.public_url.rstrip("/") or request.host_url.rstrip("/")
    return f"{base}{path}"


@bp.get("/sources")
def list_all() -> ResponseReturnValue:
    with services().db.transaction() as db:
        sources = SourceSchema(many=True).dump(store.list_sources(db))
        proposals = ProposalSchema(many=True).dump(store.waiting_for_a_click(db))
    return jsonify({"sources": sources, "proposals": proposals})


@bp.post("/sources")
def create() -> ResponseReturnValue:
    draft = clean_source(**load_json(SourceCreateSchema(), EXAMPLE))
    with services().db.transaction() as db:
        created = store.add_source(db, draft, actor="api")
        body = {
            "source": SourceSchema().dump(created.source),
            # Shown this once: only the token's hash is kept, and secrets are never shown again.
            "delivery_url": delivery_url(created.path_token),
            "signing_secret": created.generated_secret,
        }
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = f"{bp.url_prefix}/sources/{body['source']['id']}"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.delete(f"/sources/{ROW}:source_id>")
def delete(source_id: int) -> ResponseReturnValue:
    with services().db.transaction() as db:
        store.delete_source(db, source_id, actor="api")
    return "", 204


@bp.post(f"/sources/proposals/{ROW}:proposal_id>/confirm")
def confirm(proposal_id: int) -> ResponseReturnValue:
    try:
        with services().db.transaction() as db:
            seen = flow.confirm(db, services().helpdesk, proposal_id, actor="api")
            return jsonify(ProposalSchema().dump(seen))
    except HelpdeskError as failure:
        log.exception("the helpdesk refused while confirming proposal %s", proposal_id)
        refused: ResponseReturnValue = json_error(
            503 if failure.retryable else 502, "The helpdesk refused, so nothing was saved. Try again."
        )
        return refused


@bp.post(f"/sources/proposals/{ROW}:proposal_id>/dismiss")
def dismiss(proposal_id: int) -> ResponseReturnValue:
    with services().db.transaction() as db:
        return jsonify(ProposalSchema().dump(flow.dismiss(db, proposal_id, actor="api")))
