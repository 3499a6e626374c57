"""``/api/v2/search`` (offset pages, 1,000-result cap), ``search/count``,
``search/export`` (cursor) and ``incremental/tickets``.

Query syntax covered: ``type:ticket|user|organization``; ``status``/``priority``/
``ticket_type`` with ``:`` ``<`` ``>`` ``<=`` ``>=``; ``tags:`` (``tag:``);
``requester:`` (email, id, name or ``me``); ``organization:`` (name or id);
``created``/``updated`` with dates, ISO times or ``4hours``/``2days``; ``subject:``,
``external_id:``, ``via:``, ``email:``, ``role:``; ``-key:value`` negates; repeated
``key:value`` terms match any of the values; other words match text. Quoted phrases keep
spaces.
"""

from __future__ import annotations

import re
import shlex
import time
from urllib.parse import urlencode

from flask import Blueprint, request

from . import organizations, tickets, users
from .common import ApiError, bad_request, base_url, current_state, current_user_id
from .pagination import decode_cursor, encode_cursor, paginate
from .state import SandboxState, iso, parse_iso

bp = Blueprint("sandbox_search", __name__)
RESULT_CAP = 1000
_TERM = re.compile(r"^(-?)([a-z_]+)(<=|>=|:|<|>)(.+)$")
_RELATIVE = re.compile(r"^(\d+)(minutes?|hours?|days?|weeks?)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400, "week": 604800}
_ORDER = {
    "status": ("new", "open", "pending", "hold", "solved", "closed"),
    "priority": ("low", "normal", "high", "urgent"),
}


def _time_value(text: str) -> float:
    match = _RELATIVE.match(text)
    if match:
        unit = match.group(2).rstrip("s")
        return time.time() - int(match.group(1)) * _UNIT_SECONDS[unit]
    try:
        return parse_iso(text)
    except ValueError:
        raise bad_request(f"Invalid date in search query: {text}", error="invalid") from None


def _compare(actual, op: str, wanted) -> bool:
    if op == ":":
        return actual == wanted
    if actual is None:
        return False
    return {"<": actual < wanted, ">": actual > wanted, "<=": actual <= wanted, ">=": actual >= wanted}[op]


def _ticket_term(state: SandboxState, ticket: dict, key: str, op: str, value: str) -> bool:
    value_l = value.lower()
    if key in _ORDER or key == "ticket_type":
        field = "type" if key == "ticket_type" else key
        actual = ticket[field]
        if op == ":":
            return (actual or "none") == value_l
        order = _ORDER.get(field)
        if not order or actual not in order or value_l not in order:
            return False
        return _compare(order.index(actual), op, order.index(value_l))
    if key in ("tags", "tag"):
        return value_l in ticket["tags"]
    if key in ("created", "updated", "created_at", "updated_at"):
        key = key.removesuffix("_at")
        stamp = parse_iso(ticket[f"{key}_at"])
        wanted = _time_value(value)
        if op == ":" and len(value) == 10:
            return wanted <= stamp < wanted + 86400
        return _compare(stamp, op, wanted)
    if key in ("requester", "submitter", "assignee"):
        user_id = ticket.get(f"{key}_id")
        if value_l == "me":
            return user_id == current_user_id()
        user = state.users.get(user_id) or {}
        return value_l in (str(user_id), user.get("email") or "", user.get("name", "").lower())
    if key == "organization":
        org = state.organizations.get(ticket.get("organization_id")) or {}
        return value_l in (str(org.get("id")), org.get("name", "").lower())
    if key in ("subject", "description"):
        return value_l in ticket[key].lower()
    if key == "external_id":
        return (ticket.get("external_id") or "") == value
    if key == "via":
        return ticket["via"]["channel"] == value_l
    if key == "group":
        group = state.groups.get(ticket.get("group_id")) or {}
        return value_l in (str(group.get("id")), group.get("name", "").lower())
    return False


def _ticket_text(state: SandboxState, ticket: dict) -> str:
    comments = " ".join(c["body"] for c in state.comments.get(ticket["id"], []))
    return f"{ticket['subject']} {comments}".lower()


def _user_term(user: dict, key: str, op: str, value: str) -> bool:
    value_l = value.lower()
    if key in ("created", "created_at", "updated", "updated_at"):
        field = key if key.endswith("_at") else f"{key}_at"
        return _compare(parse_iso(user[field]), op, _time_value(value))
    builtin = {
        "email": (user["email"] or "") == value_l,
        "role": user["role"] == value_l,
        "tags": value_l in user["tags"],
        "tag": value_l in user["tags"],
        "name": value_l in user["name"].lower(),
        "external_id": user["external_id"] == value,
        "organization": str(user["organization_id"]) == value,
    }
    if key in builtin:
        return builtin[key]
    custom = (user.get("user_fields") or {}).get(key)  # user fields are searched by their key
    return custom is not None and str(custom).lower() == value_l


def run_query(state: SandboxState, query: str, forced_type: str | None = None) -> list[tuple]:
    """Matching records as ``(result_type, record)`` pairs."""
    try:
        words = shlex.split(query)
    except ValueError:
        words = query.split()
    kind, terms, text = forced_type, [], []
    for word in words:
        match = _TERM.match(word)
        if match and match.group(2) == "type" and match.group(3) == ":":
            kind = match.group(4).lower()
        elif match:
            terms.append((match.group(1) == "-", match.group(2), match.group(3), match.group(4)))
        else:
            text.append(word.lower())
    kinds = [kind] if kind else ["ticket", "user", "organization"]
    # Several "key:value" terms with the same key match any of the values, as on Zendesk.
    either: dict[str, list] = {}
    every = []
    for term in terms:
        if not term[0] and term[2] == ":":
            either.setdefault(term[1], []).append(term)
        else:
            every.append(term)
    found = []
    for result_type in kinds:
        for record in _records(state, result_type):
            if (
                all(_holds(state, result_type, record, t) != t[0] for t in every)
                and all(
                    any(_holds(state, result_type, record, t) for t in group) for group in either.values()
                )
                and all(w in _text(state, result_type, record) for w in text)
            ):
                found.append((result_type, record))
    return found


def _records(state: SandboxState, kind: str):
    return {"ticket": state.tickets, "user": state.users, "organization": state.organizations}.get(
        kind, {}
    ).values()


def _holds(state, kind, record, term) -> bool:
    _, key, op, value = term
    if kind == "ticket":
        return _ticket_term(state, record, key, op, value)
    if kind == "user":
        return _user_term(record, key, op, value)
    return (
        key in ("name",)
        and value.lower() in record["name"].lower()
        or (key in ("tags", "tag") and value.lower() in record["tags"])
    )


def _text(state, kind, record) -> str:
    if kind == "ticket":
        return _ticket_text(state, record)
    if kind == "user":
        return f"{record['name']} {record['email'] or ''}".lower()
    return record["name"].lower()


def _render(state: SandboxState, pair: tuple) -> dict:
    kind, record = pair
    if kind == "ticket":
        body = tickets.render(state, record, base_url())
    elif kind == "user":
        body = users.render(record)
    else:
        body = organizations.render(record)
    return {**body, "result_type": kind}


def _sorted(found: list) -> list:
    field = request.args.get("sort_by")
    reverse = request.args.get("sort_order", "asc" if field else "desc") == "desc"
    if field in ("created_at", "updated_at", "status", "priority", "ticket_type"):
        key = "type" if field == "ticket_type" else field
        return sorted(found, key=lambda p: (str(p[1].get(key) or ""), p[1]["id"]), reverse=reverse)
    return sorted(found, key=lambda p: p[1]["created_at"], reverse=True)


@bp.get("/api/v2/search")
def search():
    query = request.args.get("query", "")
    if not query.strip():
        raise bad_request("Search query is required", error="invalid")
    per_page = min(int(request.args.get("per_page", 100) or 100), 100)
    page = int(request.args.get("page", 1) or 1)
    if page * per_page > RESULT_CAP:
        raise ApiError(
            422,
            {
                "error": "invalid",
                "description": "Invalid search: Requested "
                "response size was greater than Search Response Limits",
            },
        )
    state = current_state()
    with state.lock:
        found = _sorted(run_query(state, query))
        ordered = {id(p): i for i, p in enumerate(found)}
        body = paginate(found, "results", lambda p: _render(state, p), sort_key=lambda p: ordered[id(p)])
    body["facets"] = None
    return body


@bp.get("/api/v2/search/count")
def count():
    state = current_state()
    with state.lock:
        return {"count": len(run_query(state, request.args.get("query", "")))}


@bp.get("/api/v2/search/export")
def export():
    kind = request.args.get("filter[type]")
    if kind not in ("ticket", "user", "organization", "group"):
        raise bad_request("filter[type] is required: ticket, user, organization or group", error="invalid")
    state = current_state()
    with state.lock:
        found = run_query(state, request.args.get("query", ""), forced_type=kind)
        body = paginate(found, "results", lambda p: _render(state, p), sort_key=lambda p: p[1]["id"])
    body["facets"] = None
    return body


def _exported_until(state: SandboxState) -> float:
    """Changes before this instant are exported: the latest minute is left out (Zendesk says so
    for every incremental export), and with second-precision ``updated_at`` only whole seconds
    that have passed, so a later change of a ticket always sorts after the cursor."""
    return time.time() - state.rate_limits.incremental_exclusion_seconds


def _changed_since(state: SandboxState, start: float) -> list[dict]:
    until = _exported_until(state)
    return sorted(
        (
            t
            for t in state.tickets.values()
            if start <= parse_iso(t["updated_at"]) and parse_iso(t["updated_at"]) + 1 <= until
        ),
        key=lambda t: (t["updated_at"], t["id"]),
    )


def _incremental_row(state: SandboxState, ticket: dict) -> dict:
    return {
        **tickets.render(state, ticket, base_url()),
        "generated_timestamp": int(parse_iso(ticket["updated_at"])),
    }


def _per_page() -> int:
    try:
        return max(1, min(int(request.args.get("per_page", 1000)), 1000))
    except ValueError:
        raise bad_request("per_page must be an integer", error="InvalidValue") from None


def _start_time(state: SandboxState, missing: str) -> int:
    try:
        start = int(request.args.get("start_time", ""))
    except ValueError:
        raise bad_request(missing, error="InvalidValue") from None
    if start > _exported_until(state):
        raise bad_request("Too recent start_time. Use a start_time older than 1 minute", error="InvalidValue")
    return start


@bp.get("/api/v2/incremental/tickets")
def incremental_tickets():
    """Time-based incremental export: tickets updated at or after ``start_time``."""
    per_page = _per_page()
    state = current_state()
    with state.lock:
        start = _start_time(state, "start_time must be a Unix timestamp")
        changed = _changed_since(state, start)
        rows = [_incremental_row(state, t) for t in changed[:per_page]]
    end_time = rows[-1]["generated_timestamp"] if rows else start
    return {
        "tickets": rows,
        "count": len(rows),
        "end_time": end_time,
        "end_of_stream": len(changed) <= per_page,
        "next_page": f"{base_url()}/api/v2/incremental/tickets.json?start_time={end_time}",
    }


@bp.get("/api/v2/incremental/tickets/cursor")
def incremental_tickets_cursor():
    """Cursor-based incremental export; the cursor encodes the last (updated_at, id) returned,
    or the start time when nothing was, so ``after_cursor`` is never null (as recorded)."""
    per_page = _per_page()
    state = current_state()
    with state.lock:
        if request.args.get("cursor"):
            cursor = request.args["cursor"]
            after = tuple(decode_cursor(cursor))
            changed = [t for t in _changed_since(state, 0) if (t["updated_at"], t["id"]) > after]
        else:
            start = _start_time(state, "start_time or cursor is required")
            cursor = encode_cursor([iso(start), 0])
            changed = _changed_since(state, start)
        chunk = changed[:per_page]
        rows = [_incremental_row(state, t) for t in chunk]
    if chunk:
        cursor = encode_cursor([chunk[-1]["updated_at"], chunk[-1]["id"]])
    return {
        "tickets": rows,
        "after_url": f"{base_url()}/api/v2/incremental/tickets/cursor.json?"
        f"{urlencode({'cursor': cursor, 'per_page': per_page})}",
        "before_url": None,
        "after_cursor": cursor,
        "before_cursor": None,
        "end_of_stream": len(changed) <= per_page,
    }
