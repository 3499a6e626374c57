"""``/api/v2/tickets`` endpoints: show, list, create, update, bulk, comments, tags."""

from __future__ import annotations

from flask import Blueprint, request

from . import jobs, limits, ticket_rules, tickets
from .common import (
    ApiError,
    bad_request,
    base_url,
    current_state,
    current_user_id,
    ids_param,
    invalid,
    json_body,
    too_many_values,
)
from .pagination import paginate
from .state import ACCOUNT_ID, SandboxState

bp = Blueprint("sandbox_tickets", __name__)
MAX_BULK = 100


def _one(state: SandboxState, ticket: dict) -> dict:
    return tickets.render(state, ticket, base_url())


@bp.get("/api/v2/tickets")
def list_tickets():
    """All tickets, or those with ``?external_id=``."""
    state = current_state()
    external_id = request.args.get("external_id")
    with state.lock:
        found = [t for t in state.tickets.values() if external_id is None or t["external_id"] == external_id]
        return paginate(found, "tickets", lambda t: _one(state, t))


@bp.get("/api/v2/tickets/<int:ticket_id>")
def show_ticket(ticket_id: int):
    state = current_state()
    with state.lock:
        return {"ticket": _one(state, tickets.get(state, ticket_id))}


@bp.get("/api/v2/tickets/show_many")
def show_many():
    state = current_state()
    ids = ids_param()
    if len(ids) > MAX_BULK:
        raise too_many_values("tickets", "shown")
    with state.lock:
        found = [_one(state, state.tickets[i]) for i in ids if i in state.tickets]
    return {"tickets": found, "next_page": None, "previous_page": None, "count": len(found)}


def _ticket_spec() -> dict:
    spec = json_body().get("ticket")
    if not isinstance(spec, dict):
        raise bad_request("The request must contain a 'ticket' object", error="InvalidValue")
    return spec


@bp.post("/api/v2/tickets")
def create_ticket():
    state = current_state()
    spec = _ticket_spec()
    with state.lock:
        ticket, audit = tickets.create_ticket(state, spec, current_user_id())
        body = {"ticket": _one(state, ticket), "audit": audit}
    return body, 201, {"Location": body["ticket"]["url"]}


@bp.put("/api/v2/tickets/<int:ticket_id>")
def update_ticket(ticket_id: int):
    state = current_state()
    spec = _ticket_spec()
    with state.lock:
        tickets.get(state, ticket_id)
        limits.check_ticket_update(state, ticket_id)
        ticket, audit = tickets.update_ticket(state, ticket_id, spec, current_user_id())
        return {"ticket": _one(state, ticket), "audit": audit}


@bp.delete("/api/v2/tickets/<int:ticket_id>")
def delete_ticket(ticket_id: int):
    state = current_state()
    with state.lock:
        tickets.get(state, ticket_id)
        _delete(state, ticket_id)
    return "", 204


def _delete(state: SandboxState, ticket_id: int) -> None:
    state.tickets.pop(ticket_id, None)
    state.comments.pop(ticket_id, None)
    state.audits.pop(ticket_id, None)


def _job_response(job: dict):
    return {"job_status": jobs.render(job, base_url())}


@bp.post("/api/v2/tickets/create_many")
def create_many():
    specs = json_body().get("tickets")
    if not isinstance(specs, list) or not specs:
        raise bad_request("The request must contain a non-empty 'tickets' list")
    if len(specs) > MAX_BULK:
        raise too_many_values("tickets", "created")
    job = jobs.submit(current_state(), "create_tickets", specs, current_user_id())
    return _job_response(job)


@bp.put("/api/v2/tickets/update_many")
def update_many():
    body = json_body()
    if request.args.get("ids"):
        change = body.get("ticket")
        if not isinstance(change, dict):
            raise bad_request("With ?ids= the body must contain a 'ticket' object")
        items = [(ticket_id, change) for ticket_id in ids_param()]
    else:
        specs = body.get("tickets")
        if not isinstance(specs, list) or not specs:
            raise bad_request("Send ?ids= with a 'ticket' object, or a 'tickets' list")
        if any(not isinstance(s, dict) or not isinstance(s.get("id"), int) for s in specs):
            raise invalid("id", "Each ticket in 'tickets' needs an integer id")
        items = [(s["id"], {k: v for k, v in s.items() if k != "id"}) for s in specs]
    if len(items) > MAX_BULK:
        raise too_many_values("tickets", "updated")
    state = current_state()
    with state.lock:
        limits.check_bulk_update(state, len(items))
    job = jobs.submit(state, "update_tickets", items, current_user_id())
    return _job_response(job)


@bp.delete("/api/v2/tickets/destroy_many")
def destroy_many():
    ids = ids_param()
    if len(ids) > MAX_BULK:
        raise too_many_values("tickets", "deleted")
    job = jobs.submit(current_state(), "destroy_tickets", ids, current_user_id())
    return _job_response(job)


def run_create(state: SandboxState, spec: dict, index: int, job: dict) -> dict:
    ticket, _ = tickets.create_ticket(state, spec, job["_actor"])
    return {"index": index, "id": ticket["id"], "account_id": ACCOUNT_ID}


def run_update(state: SandboxState, item: tuple, index: int, job: dict) -> dict:
    ticket_id, change = item
    try:
        tickets.update_ticket(state, ticket_id, change, job["_actor"])
    except ApiError as exc:  # one ticket refused: the others in the job go on
        return ticket_rules.job_failure(ticket_id, index, exc)
    return {"id": ticket_id, "action": "update", "success": True, "status": "Updated"}


def run_destroy(state: SandboxState, ticket_id: int, index: int, job: dict) -> dict:
    if ticket_id not in state.tickets:
        return {"id": ticket_id, "index": index, "error": "RecordNotFound", "details": "Not found"}
    _delete(state, ticket_id)
    return {"id": ticket_id, "action": "delete", "success": True, "status": "Deleted"}


@bp.get("/api/v2/tickets/<int:ticket_id>/comments")
def comments(ticket_id: int):
    state = current_state()
    with state.lock:
        tickets.get(state, ticket_id)
        items = list(state.comments.get(ticket_id, []))
    sign = -1 if request.args.get("sort_order") == "desc" else 1
    return paginate(items, "comments", dict, sort_key=lambda c: sign * c["id"])


@bp.get("/api/v2/tickets/<int:ticket_id>/audits")
def audits(ticket_id: int):
    state = current_state()
    with state.lock:
        tickets.get(state, ticket_id)
        items = list(state.audits.get(ticket_id, []))
    return paginate(items, "audits", dict)


@bp.get("/api/v2/tickets/<int:ticket_id>/incidents")
def incidents(ticket_id: int):
    state = current_state()
    with state.lock:
        tickets.get(state, ticket_id)
        found = [t for t in state.tickets.values() if t.get("problem_id") == ticket_id]
        return paginate(found, "tickets", lambda t: _one(state, t))


@bp.get("/api/v2/tickets/<int:ticket_id>/tags")
def show_tags(ticket_id: int):
    state = current_state()
    with state.lock:
        return {"tags": list(tickets.get(state, ticket_id)["tags"])}


@bp.route("/api/v2/tickets/<int:ticket_id>/tags", methods=["PUT", "POST", "DELETE"])
def change_tags(ticket_id: int):
    """PUT adds, POST replaces, DELETE removes the tags given in ``{"tags": [...]}`` or in the
    query string (``?tags=a,b``: a DELETE often has no body)."""
    query = [t.strip() for t in request.args.get("tags", "").split(",") if t.strip()]
    given = query or json_body().get("tags")
    if not isinstance(given, (list, str)):
        raise bad_request('Send the tags as {"tags": [...]} or ?tags=a,b')
    key = {"PUT": "additional_tags", "POST": "tags", "DELETE": "remove_tags"}[request.method]
    state = current_state()
    with state.lock:
        tickets.get(state, ticket_id)
        limits.check_ticket_update(state, ticket_id)
        ticket, _ = tickets.update_ticket(state, ticket_id, {key: given}, current_user_id())
        return {"tags": list(ticket["tags"])}


@bp.get("/api/v2/tags")
def account_tags():
    """The account's ticket tags with how many tickets carry each, most used first."""
    state = current_state()
    counts: dict[str, int] = {}
    with state.lock:
        for ticket in state.tickets.values():
            for tag in ticket["tags"]:
                counts[tag] = counts.get(tag, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    rows = [{"name": name, "count": n, "_rank": i} for i, (name, n) in enumerate(ranked)]
    return paginate(
        rows, "tags", lambda r: {"name": r["name"], "count": r["count"]}, sort_key=lambda r: r["_rank"]
    )


JOB_HANDLERS = {"create_tickets": run_create, "update_tickets": run_update, "destroy_tickets": run_destroy}
