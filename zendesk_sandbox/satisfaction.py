"""Satisfaction ratings (Zendesk's legacy CSAT): the requester rates a solved ticket good or bad,
with an optional comment; admins list them with ``score``, ``start_time`` and ``end_time``
filters, by cursor or offset, oldest first.

A ticket has at most one rating: rating it again changes the score (and ``updated_at``), as a
customer may do in Zendesk until the ticket is closed. The ticket's ``satisfaction_rating``
shows it.
"""

from __future__ import annotations

from flask import Blueprint, request

from .common import (
    ApiError,
    bad_request,
    base_url,
    current_state,
    current_user_id,
    invalid,
    json_body,
    not_found,
)
from .pagination import paginate
from .state import SandboxState, iso, parse_iso

bp = Blueprint("sandbox_satisfaction", __name__)

RATED = ("good", "bad")
_SCORES = {
    "offered": lambda r: r["score"] == "offered",
    "unoffered": lambda r: r["score"] == "unoffered",
    "received": lambda r: r["score"] in RATED,
    "good": lambda r: r["score"] == "good",
    "bad": lambda r: r["score"] == "bad",
}


def _score_filter(score: str):
    """Zendesk's ``score`` filter: an unqualified ``good`` includes ratings with and without
    comments; ``received``, ``good`` and ``bad`` also come ``_with_comment``/``_without_comment``."""
    for suffix, commented in (("_with_comment", True), ("_without_comment", False)):
        base = score.removesuffix(suffix)
        if base != score and base in ("received", *RATED):
            check = _SCORES[base]
            return lambda r: check(r) and bool(r["comment"]) == commented
    if score in _SCORES:
        return _SCORES[score]
    raise bad_request(
        "score must be offered, unoffered, received, good or bad, the last three optionally "
        f"_with_comment or _without_comment; got {score!r}"
    )


def _epoch(name: str) -> float | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        return float(int(raw))
    except ValueError:
        raise bad_request(f"{name} must be a Unix epoch time in seconds") from None


def render(rating: dict, url: str) -> dict:
    return {"url": f"{url}/api/v2/satisfaction_ratings/{rating['id']}.json", **rating}


def _ever_solved(state: SandboxState, ticket: dict) -> bool:
    if ticket["status"] == "solved":
        return True
    return any(
        event.get("field_name") == "status" and event.get("value") == "solved"
        for audit in state.audits.get(ticket["id"], [])
        for event in audit.get("events", [])
    )


def rate(
    state: SandboxState, ticket_id: int, user_id: int, spec: dict, created_at: str | None = None
) -> dict:
    """The requester ``user_id`` rates the ticket (creates or changes its one rating)."""
    ticket = state.tickets.get(ticket_id)
    if ticket is None:
        raise not_found()
    if ticket["requester_id"] != user_id:
        raise ApiError(403, {"error": "Forbidden", "description": "Only the ticket's requester can rate it"})
    if ticket["status"] == "closed" or not _ever_solved(state, ticket):
        raise invalid("ticket", "A rating is only possible for a solved ticket that is not closed")
    score = spec.get("score")
    if score not in RATED:
        raise invalid("score", "must be good or bad")
    comment, reason = spec.get("comment"), spec.get("reason")
    for name, value in (("comment", comment), ("reason", reason)):
        if value is not None and not isinstance(value, str):
            raise invalid(name, "must be a string")
    now = created_at or state.now()
    rating = next((r for r in state.satisfaction_ratings.values() if r["ticket_id"] == ticket_id), None)
    if rating is None:
        rating = {"id": state.next_id(), "created_at": now}
        state.satisfaction_ratings[rating["id"]] = rating
    rating.update(
        assignee_id=ticket["assignee_id"],
        group_id=ticket["group_id"],
        requester_id=ticket["requester_id"],
        ticket_id=ticket_id,
        score=score,
        comment=comment or "",
        reason=reason if score == "bad" else None,
        updated_at=now,
    )
    ticket["satisfaction_rating"] = {"id": rating["id"], "score": score, "comment": rating["comment"]}
    ticket["updated_at"] = now
    return rating


@bp.get("/api/v2/satisfaction_ratings")
def list_ratings():
    state = current_state()
    checks = [_score_filter(request.args["score"])] if request.args.get("score") else []
    start, end = _epoch("start_time"), _epoch("end_time")
    if start is not None:
        checks.append(lambda r: parse_iso(r["created_at"]) >= start)
    if end is not None:
        checks.append(lambda r: parse_iso(r["created_at"]) <= end)
    with state.lock:
        found = [r for r in state.satisfaction_ratings.values() if all(check(r) for check in checks)]
        url = base_url()
        return paginate(
            found,
            "satisfaction_ratings",
            lambda r: render(r, url),
            sort_key=lambda r: (r["created_at"], r["id"]),
        )


@bp.get("/api/v2/satisfaction_ratings/<int:rating_id>")
def show_rating(rating_id: int):
    state = current_state()
    with state.lock:
        rating = state.satisfaction_ratings.get(rating_id)
        if rating is None:
            raise not_found()
        return {"satisfaction_rating": render(rating, base_url())}


@bp.post("/api/v2/tickets/<int:ticket_id>/satisfaction_rating")
def requester_rates(ticket_id: int):
    """Zendesk allows only the ticket's requester (a verified end user); the sandbox admits agents
    only, so here this answers 403 unless the agent requested the ticket."""
    state = current_state()
    spec = json_body().get("satisfaction_rating") or {}
    with state.lock:
        rating = rate(state, ticket_id, current_user_id(), spec)
        return {"satisfaction_rating": render(rating, base_url())}


def customer_rates(state: SandboxState, ticket_id: int, spec: dict) -> dict:
    """The control API's customer: the ticket's requester rates it (``created_at`` may be given,
    ISO 8601, to place the rating in the past)."""
    ticket = state.tickets.get(ticket_id)
    if ticket is None:
        raise not_found()
    created_at = spec.get("created_at")
    if created_at is not None:
        try:
            created_at = iso(parse_iso(str(created_at)))
        except ValueError:
            raise bad_request("created_at must be an ISO 8601 time") from None
    return render(rate(state, ticket_id, ticket["requester_id"], spec, created_at), base_url())
