"""The sidebar's merge suggestions: the pairs the merge stage did not merge on its own, which the
agent merges or dismisses in one click (``service.merging.suggestions``).

The same authentication as the rest of the sidebar (``sidebar_token_required``: the sidebar token
in the ``Authorization`` header, for the ticket it was issued for only, no cookie, so no CSRF
token). A merge or dismissal names the pair as the sidebar showed it; a pair that changed since,
or tickets that no longer allow the merge, are refused with a 404/409 in the agent's language.
A merge whose Zendesk job is still running after a short wait is answered 202 with
``merging``, a message and ``retry_after``: the sidebar shows it and sends the same click again.
"""

from __future__ import annotations

from typing import Any, TypeGuard

from flask import Blueprint, Response, g, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from integrations.base import HelpdeskError
from service.domain.errors import IncidentDeskError
from service.domain.merging.suggestions import explanation, percent
from service.domain.moments import utc
from service.incidents.reads import MAX_ROW_ID
from service.merging.suggestions import StillMerging, dismiss, merge_suggested, pending_for
from service.web.context import services
from service.web.errors import json_error, status_for
from service.web.i18n import say, translate
from service.web.zendesk_app.sidebar import TICKET, agent_locale, sidebar_headers, sidebar_token_required

bp = Blueprint("app_merge_suggestions", __name__, url_prefix="/app")
bp.after_request(sidebar_headers)
SUGGESTIONS = f"{TICKET}/merge_suggestions"
SUGGESTION = f"{SUGGESTIONS}/<int(max={MAX_ROW_ID}):suggestion_id>"


def suggestions_view(session: Session, ticket_id: int, lang: str) -> list[dict[str, Any]]:
    """The pending suggestions about the ticket, each with the other ticket, why and the score."""
    return [
        {
            "id": row.id,
            "source_ticket_id": row.source_ticket_id,
            "target_ticket_id": row.target_ticket_id,
            "other_ticket_id": row.target_ticket_id
            if row.source_ticket_id == ticket_id
            else row.source_ticket_id,
            "role": "source" if row.source_ticket_id == ticket_id else "target",
            "score": percent(row.score),
            "reason": row.reason,
            "why": say(explanation(row.reason, row.score, row.threshold), lang),
            "suggested_at": utc(row.created_at).isoformat(),
        }
        for row in pending_for(session, ticket_id)
    ]


def _lang() -> str:
    return agent_locale(request.args.get("locale"))


def _listing(ticket_id: int, **extra: object) -> dict[str, object]:
    with services().db.transaction() as session:
        return {"suggestions": suggestions_view(session, ticket_id, _lang()), **extra}


def _shown_pair() -> tuple[int, int] | None:
    """The pair as the sidebar showed it: ``{"source_ticket_id": .., "target_ticket_id": ..}``."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return None
    source, target = body.get("source_ticket_id"), body.get("target_ticket_id")
    if _ticket_id(source) and _ticket_id(target):
        return source, target
    return None


def _ticket_id(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _refused(status: int, message: str, fields: dict[str, list[str]] | None = None) -> Response:
    response: Response = json_error(status, message, fields=fields)
    return response


def _decide(ticket_id: int, suggestion_id: int, merge: bool) -> ResponseReturnValue:
    lang = _lang()
    pair = _shown_pair()
    if pair is None:
        return _refused(
            422,
            translate("sidebar.suggestion.body_expected", lang),
            fields={"source_ticket_id": [translate("sidebar.suggestion.pair_expected", lang)]},
        )
    source_id, target_id = pair
    who = {"ticket_id": ticket_id, "suggestion_id": suggestion_id, "source_id": source_id}
    try:
        if merge:
            merge_suggested(services(), **who, target_id=target_id, actor=g.zaf_identity.actor)
        else:
            dismiss(services().db, **who, target_id=target_id, actor=g.zaf_identity.actor)
    except StillMerging as running:  # accepted: the sidebar says so and asks again, Retry-After on
        answer = _listing(ticket_id, merging={"source_ticket_id": source_id, "target_ticket_id": target_id})
        retry = {"message": say(running, lang), "retry_after": running.retry_after}
        return answer | retry, 202, {"Retry-After": str(running.retry_after)}
    except IncidentDeskError as refused:
        return _refused(status_for(refused), say(refused, lang))
    except HelpdeskError:
        return _refused(502, translate("sidebar.suggestion.helpdesk_failed", lang))
    done = {"merged": {"source_ticket_id": source_id, "target_ticket_id": target_id}} if merge else {}
    return _listing(ticket_id, **done)


@bp.get(SUGGESTIONS)
@sidebar_token_required
def listing(ticket_id: int) -> ResponseReturnValue:
    return _listing(ticket_id)


@bp.post(f"{SUGGESTION}/merge")
@sidebar_token_required
def merge(ticket_id: int, suggestion_id: int) -> ResponseReturnValue:
    return _decide(ticket_id, suggestion_id, merge=True)


@bp.post(f"{SUGGESTION}/dismiss")
@sidebar_token_required
def dismissal(ticket_id: int, suggestion_id: int) -> ResponseReturnValue:
    return _decide(ticket_id, suggestion_id, merge=False)
