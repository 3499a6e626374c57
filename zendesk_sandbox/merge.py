"""``POST /api/v2/tickets/{id}/merge``: close source tickets into a target, as a job.

Zendesk's rules: up to 5 sources per call; the target must be new, open or pending;
closed tickets cannot be merged; each source gets a comment, the ``closed_by_merge`` tag and is
closed (whatever it lacks to be solved), the target gets a comment per source; there is no undo.
"""

from __future__ import annotations

from flask import Blueprint

from . import jobs, tickets
from .common import ApiError, bad_request, base_url, current_state, current_user_id, invalid, json_body
from .state import SandboxState

bp = Blueprint("sandbox_merge", __name__)
MAX_SOURCES = 5
MERGEABLE_TARGET = ("new", "open", "pending")


def _last_comment(state: SandboxState, ticket_id: int) -> str:
    comments = state.comments.get(ticket_id) or []
    return comments[-1]["body"] if comments else ""


@bp.post("/api/v2/tickets/<int:target_id>/merge")
def merge(target_id: int):
    body = json_body()
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids):
        raise bad_request("'ids' must be a non-empty list of ticket ids")
    if len(ids) > MAX_SOURCES:
        raise ApiError(
            400,
            {
                "error": "TooManyValues",
                "description": f"You can merge at most {MAX_SOURCES} tickets at a time",
                "max_count": MAX_SOURCES,
            },
        )
    state = current_state()
    with state.lock:
        target = tickets.get(state, target_id)
        if target["status"] not in MERGEABLE_TARGET:
            raise invalid(
                "base",
                f"Ticket #{target_id} is {target['status']} and cannot be a merge target",
                "InvalidMergeTarget",
            )
        for source_id in ids:
            source = tickets.get(state, source_id)
            if source_id == target_id or source["status"] == "closed":
                raise invalid("base", f"Ticket #{source_id} cannot be merged", "InvalidMergeSource")
    options = {
        k: body.get(k)
        for k in ("target_comment", "source_comment", "target_comment_is_public", "source_comment_is_public")
    }
    items = [{"target": target_id, "source": sid, **options} for sid in ids]
    job = jobs.submit(state, "merge_tickets", items, current_user_id())
    return {"job_status": jobs.render(job, base_url())}


def run_merge(state: SandboxState, item: dict, index: int, job: dict) -> dict:
    target_id, source_id, actor = item["target"], item["source"], job["_actor"]
    target, source = tickets.get(state, target_id), tickets.get(state, source_id)
    forced_private = any(
        not t.get("is_public", True) or (t.get("via") or {}).get("channel") in FORCED_PRIVATE_CHANNELS
        for t in (target, source)
    )
    source_text = (
        item.get("source_comment")
        or f'This request was closed and merged into request #{target_id} "{target["subject"]}".'
    )
    target_text = item.get("target_comment") or (
        f'Request #{source_id} "{source["subject"]}" was closed and merged into this request. '
        f"Last comment in request #{source_id}:\n\n{_last_comment(state, source_id)}"
    )
    _, audit = tickets.update_ticket(
        state,
        source_id,
        {
            "status": "closed",
            "additional_tags": [CLOSED_BY_MERGE_TAG],
            "comment": {
                "body": source_text,
                "public": _public(item.get("source_comment_is_public"), forced_private),
            },
        },
        actor,
        merge=True,
    )
    # The source's audit says it was closed by a merge, and into which ticket.
    audit["via"]["source"] = {
        "from": {},
        "to": {"ticket_id": target_id, "subject": target["subject"]},
        "rel": "merge",
    }
    tickets.update_ticket(
        state,
        target_id,
        {
            "comment": {
                "body": target_text,
                "public": _public(item.get("target_comment_is_public"), forced_private),
            }
        },
        actor,
    )
    return {"id": source_id, "action": "merge", "success": True, "status": "Merged", "target_id": target_id}


def _public(given, forced_private: bool) -> bool:
    """Zendesk: merge comments default to private, and are forced private when a ticket is
    private or came through X (Twitter), Facebook or the Channel framework."""
    return bool(given) and not forced_private


CLOSED_BY_MERGE_TAG = "closed_by_merge"
FORCED_PRIVATE_CHANNELS = frozenset({"twitter", "facebook", "any_channel"})
JOB_HANDLERS = {"merge_tickets": run_merge}
