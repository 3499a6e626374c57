"""``GET /api/v2/ticket_audits``: every ticket's audits, by cursor, for admins.

The shape is the OpenAPI document's ``TicketAuditsResponse``: ``audits`` with
``before_cursor``/``before_url`` and ``after_cursor``/``after_url`` (``?cursor=...&limit=``),
not the ``meta``/``links`` of the newer cursor pagination. Newest first; at most 100 a page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, request

from .common import bad_request, base_url, current_state, current_user_id, forbidden
from .pagination import MAX_PAGE_SIZE, decode_cursor, encode_cursor

bp = Blueprint("sandbox_ticket_audits", __name__)


def _limit() -> int:
    raw = request.args.get("limit", str(MAX_PAGE_SIZE))
    if not raw.isdigit() or int(raw) < 1:
        raise bad_request("limit must be a positive integer", error="InvalidPaginationParameter")
    limit: int = min(int(raw), MAX_PAGE_SIZE)
    return limit


def _position() -> tuple[str, int] | None:
    """``("after" | "before", audit id)`` from ``?cursor=``, or None for the first page."""
    raw = request.args.get("cursor")
    if not raw:
        return None
    value = decode_cursor(raw)
    if not (isinstance(value, list) and len(value) == 2 and value[0] in ("after", "before")):
        raise bad_request("The page cursor is invalid", error="InvalidPaginationParameter")
    if not isinstance(value[1], int):
        raise bad_request("The page cursor is invalid", error="InvalidPaginationParameter")
    return value[0], value[1]


def _link(cursor: str, limit: int) -> str:
    return f"{base_url()}/api/v2/ticket_audits.json?{urlencode({'cursor': cursor, 'limit': limit})}"


@bp.get("/api/v2/ticket_audits")
def list_all() -> dict[str, object]:
    state = current_state()
    limit, position = _limit(), _position()
    with state.lock:
        if state.users.get(current_user_id(), {}).get("role") != "admin":
            raise forbidden()
        newest_first: list[dict[str, Any]] = sorted(
            (dict(a) for audits in state.audits.values() for a in audits), key=lambda a: -a["id"]
        )
    ids = [a["id"] for a in newest_first]
    if position is None:
        page = newest_first[:limit]
    elif position[0] == "after":
        start = next((i for i, audit_id in enumerate(ids) if audit_id < position[1]), len(ids))
        page = newest_first[start : start + limit]
    else:
        end = next((i for i, audit_id in enumerate(ids) if audit_id <= position[1]), len(ids))
        page = newest_first[max(0, end - limit) : end]
    more_after = bool(page) and page[-1]["id"] > newest_first[-1]["id"]
    more_before = bool(page) and page[0]["id"] < newest_first[0]["id"]
    after = encode_cursor(["after", page[-1]["id"]]) if more_after else None
    before = encode_cursor(["before", page[0]["id"]]) if more_before else None
    return {
        "audits": page,
        "before_cursor": before,
        "before_url": _link(before, limit) if before else None,
        "after_cursor": after,
        "after_url": _link(after, limit) if after else None,
    }
