"""Zendesk's built-in ticket rules that refuse an update, checked before anything changes.

Zendesk rejects such an update whole (422 ``RecordInvalid``) and the ticket stays as it was.
Sources for each rule are listed in the README ("Refusals"). Call with ``state.lock`` held.
"""

from __future__ import annotations

from .common import ApiError
from .state import SandboxState

# What a closed ticket still takes (Zendesk: "Only the tags, subject, and priority fields can be
# edited on closed tickets"), as update keys.
CLOSED_EDITABLE = frozenset({"tags", "additional_tags", "remove_tags", "subject", "priority"})
# A sandbox stand-in for the id of Zendesk's system Assignee field, which refusals name.
ASSIGNEE_FIELD_ID = 360_000_000_000
_FIELD_TYPES = {
    "text": "FieldText",
    "textarea": "FieldTextarea",
    "checkbox": "FieldCheckbox",
    "date": "FieldDate",
    "integer": "FieldInteger",
    "decimal": "FieldDecimal",
    "regexp": "FieldRegexp",
    "tagger": "FieldTagger",
    "multiselect": "FieldMultiselect",
    "partialcreditcard": "FieldPartialCreditCard",
    "lookup": "FieldLookup",
}


def refused(field: str, problems: list[dict]) -> ApiError:
    return ApiError(
        422,
        {"error": "RecordInvalid", "description": "Record validation errors", "details": {field: problems}},
    )


def check_closed(ticket: dict, data: dict) -> None:
    """A closed ticket takes only tags, subject and priority."""
    if ticket["status"] != "closed":
        return
    others = {k for k in data if k not in CLOSED_EDITABLE and not (k == "status" and data[k] == "closed")}
    if others:
        raise refused("status", [{"description": "Status: closed prevents ticket update"}])


def check_status_and_priority(ticket: dict, data: dict) -> None:
    """Status never returns to new; a priority, once set, cannot be reset to none."""
    if data.get("status") == "new" and ticket["status"] != "new":
        raise refused(
            "status", [{"description": "Status: cannot be set back to New", "error": "InvalidValue"}]
        )
    if "priority" in data and not data["priority"] and ticket.get("priority"):
        raise refused(
            "priority", [{"description": "Priority: cannot be reset to no priority", "error": "InvalidValue"}]
        )


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value is False


def prepare_solve(state: SandboxState, ticket: dict, data: dict, actor_id: int) -> dict:
    """An update that solves the ticket needs an assignee and every required field filled.

    With the account's "assign tickets upon solve" on (Zendesk's default), an agent who solves an
    unassigned ticket becomes its assignee; returns ``data`` with that assignment added. Otherwise
    the missing pieces are refused together, each named in ``details.base``."""
    becomes_solved = data.get("status") == "solved" and ticket["status"] != "solved"
    if not becomes_solved:
        return data
    problems = []
    assignee = data["assignee_id"] if "assignee_id" in data else ticket.get("assignee_id")
    if assignee is None:
        actor = state.users.get(actor_id) or {}
        if state.account_settings["tickets"]["assign_tickets_upon_solve"] and actor.get("role") in (
            "agent",
            "admin",
        ):
            data = {**data, "assignee_id": actor_id}
        else:
            problems.append(_required("Assignee", ASSIGNEE_FIELD_ID, "FieldAssignee"))
    given = {
        item["id"]: item.get("value")
        for item in data.get("custom_fields") or []
        if isinstance(item, dict) and "id" in item
    }
    for field_id, field in sorted(state.ticket_fields.items()):
        if not (field.get("required") and field.get("active", True)):
            continue
        value = given[field_id] if field_id in given else ticket["_custom"].get(field_id)
        if _empty(value):
            problems.append(_required(field["title"], field_id, _FIELD_TYPES.get(field["type"], "FieldText")))
    if problems:
        raise refused("base", problems)
    return data


def _required(title: str, field_id: int, field_type: str) -> dict:
    return {
        "description": f"{title}: is required when solving a ticket",
        "error": None,
        "ticket_field_id": field_id,
        "ticket_field_type": field_type,
    }


def job_failure(ticket_id: int, index: int, exc: ApiError) -> dict:
    """A bulk job's result for an item Zendesk refused: the refusal's descriptions, joined."""
    details = exc.body.get("details")
    if isinstance(details, dict):
        text = " ".join(
            p.get("description", "") for problems in details.values() for p in problems if isinstance(p, dict)
        )
    else:
        text = str(exc.body.get("description", ""))
    return {
        "id": ticket_id,
        "index": index,
        "error": "RecordNotFound" if exc.status == 404 else "TicketUpdateFailed",
        "details": text,
        "status": "Failed",
    }
