"""``/_sandbox/...``: the local control API for tests, demos and benchmarks (no auth)."""

from __future__ import annotations

from flask import Blueprint, request

from . import account_routes, satisfaction, seed, tickets
from .common import bad_request, base_url, current_state, json_body, not_found
from .locales import account_locale, known_locale
from .state import PLAN_LIMITS

bp = Blueprint("sandbox_control", __name__, url_prefix="/_sandbox")
FAULT_KEYS = ("latency", "error_burst", "timeout", "rate_limit_storm", "job_delay_seconds")
OPTION_KEYS = (
    "duplicate",
    "shuffle",
    "shuffle_window_ms",
    "retry_delay_seconds",
    "max_retry_after_seconds",
    "timeout_seconds",
    "circuit_breaker",
    "circuit_window_seconds",
    "circuit_min_attempts",
    "circuit_open_seconds",
)


@bp.post("/reset")
def reset():
    current_state().reset()
    return {"reset": True}


@bp.post("/seed")
def seed_scenario():
    scenario = json_body().get("scenario", "demo")
    if scenario not in seed.SCENARIOS:
        raise bad_request(f"unknown scenario {scenario!r}; known: {sorted(seed.SCENARIOS)}")
    state = current_state()
    with state.lock:
        return {"scenario": scenario, **seed.SCENARIOS[scenario](state)}


@bp.get("/counters")
def counters():
    state = current_state()
    with state.lock:
        calls = dict(sorted(state.counters.items()))
    return {"total": sum(calls.values()), "calls": calls}


@bp.post("/counters/reset")
def reset_counters():
    state = current_state()
    with state.lock:
        state.counters.clear()
    return {"total": 0, "calls": {}}


@bp.route("/faults", methods=["GET", "POST", "DELETE"])
def faults():
    state = current_state()
    with state.lock:
        if request.method == "DELETE":
            state.faults.clear()
        elif request.method == "POST":
            spec = json_body()
            unknown = set(spec) - set(FAULT_KEYS)
            if unknown:
                raise bad_request(f"unknown fault(s) {sorted(unknown)}; known: {list(FAULT_KEYS)}")
            for key, value in spec.items():
                if value in (None, False, 0, {}):
                    state.faults.pop(key, None)
                else:
                    state.faults[key] = dict(value) if isinstance(value, dict) else value
        return {"faults": dict(state.faults)}


@bp.route("/limits", methods=["GET", "POST"])
def limits():
    state = current_state()
    with state.lock:
        if request.method == "POST":
            spec = json_body()
            if "plan" in spec:
                if spec["plan"] not in PLAN_LIMITS:
                    raise bad_request(f"unknown plan; known: {sorted(PLAN_LIMITS)}")
                state.plan = spec.pop("plan")
            try:
                state.rate_limits.configure(**spec)
            except TypeError as exc:
                raise bad_request(str(exc)) from None
        return {"plan": state.plan, **state.rate_limits.describe()}


@bp.route("/account_settings", methods=["GET", "POST"])
def account_settings():
    """The account's ticket settings, e.g. ``{"tickets": {"assign_tickets_upon_solve": false}}``."""
    state = current_state()
    with state.lock:
        if request.method == "POST":
            spec = json_body()
            unknown = sorted(set(spec) - {"tickets"})
            if unknown:
                raise bad_request(f"unknown setting group(s) {unknown}; send {{'tickets': {{...}}}}")
            account_routes.change_ticket_settings(state, spec.get("tickets", {}))
        return account_routes.settings_body(state)["settings"]


@bp.route("/account_locale", methods=["GET", "POST"])
def default_locale():
    """The account's default locale, which new users get: ``{"locale": "he"}``."""
    state = current_state()
    with state.lock:
        if request.method == "POST":
            given = json_body().get("locale")
            locale = known_locale(given) if isinstance(given, str) else None
            if locale is None:
                raise bad_request(f"unknown locale {given!r}; GET /api/v2/locales lists them")
            state.account_settings["default_locale"] = locale
        return {"locale": account_locale(state)}


@bp.get("/webhook_deliveries")
def webhook_deliveries():
    state = current_state()
    webhook_id = request.args.get("webhook_id")
    with state.lock:
        found = [dict(d) for d in state.deliveries if not webhook_id or d["webhook_id"] == webhook_id]
    return {"deliveries": found, "count": len(found)}


@bp.get("/invocations")
def invocations():
    state = current_state()
    with state.lock:
        found = [dict(i) for i in state.invocations.values()]
    return {"invocations": found, "count": len(found)}


@bp.post("/webhook_options")
def webhook_options():
    spec = json_body()
    unknown = set(spec) - set(OPTION_KEYS)
    if unknown:
        raise bad_request(f"unknown option(s) {sorted(unknown)}; known: {list(OPTION_KEYS)}")
    state = current_state()
    with state.lock:
        state.webhook_options.update(spec)
        return {"webhook_options": dict(state.webhook_options)}


@bp.post("/tickets")
def customer_writes_in():
    """A customer opens a ticket by email/web/chat: the requester is the submitter."""
    spec = json_body().get("ticket") or {}
    state = current_state()
    with state.lock:
        requester_id = tickets.resolve_requester(state, spec, state.admin_id)
        spec = {**spec, "requester_id": requester_id, "submitter_id": requester_id}
        spec.pop("requester", None)
        channel = (spec.get("via") or {}).get("channel", "email")
        ticket, _ = tickets.create_ticket(state, spec, requester_id, channel)
        return {"ticket": tickets.render(state, ticket, base_url())}, 201


@bp.post("/tickets/<int:ticket_id>/agent_update")
def agent_update(ticket_id: int):
    """An agent edits the ticket in the Zendesk UI; it counts as a ticket update. The agent is a
    person, not the API token's user an integration works as (``{"author_id": ...}`` names
    another agent), so a trigger's "current user is not <the integration>" lets it through."""
    body = json_body()
    spec = body.get("ticket") or {}
    state = current_state()
    with state.lock:
        if ticket_id not in state.tickets:
            raise not_found()
        author_id = body.get("author_id") or _agent_in_the_ui(state)
        if state.users.get(author_id, {}).get("role") not in ("agent", "admin"):
            raise bad_request("author_id must name an agent")
        state.rate_limits.record_agent_edit()
        ticket, audit = tickets.update_ticket(state, ticket_id, spec, author_id, "web")
        return {"ticket": tickets.render(state, ticket, base_url()), "audit": audit}


UI_AGENT_EMAIL = "agent.in.the.ui@sandbox.incidentdesk.test"


def _agent_in_the_ui(state) -> int:
    existing = state.user_by_email(UI_AGENT_EMAIL)
    if existing:
        return existing["id"]
    return state.add_user(
        name="Agent in the Zendesk UI",
        email=UI_AGENT_EMAIL,
        role="agent",
        default_group_id=state.default_group_id,
    )


@bp.post("/tickets/<int:ticket_id>/satisfaction_rating")
def customer_rates(ticket_id: int):
    """The ticket's requester rates it: ``{"satisfaction_rating": {"score": "good", "comment": ...,
    "reason": ..., "created_at": ...}}`` (``created_at`` places the rating in the past)."""
    spec = json_body().get("satisfaction_rating") or {}
    state = current_state()
    with state.lock:
        return {"satisfaction_rating": satisfaction.customer_rates(state, ticket_id, spec)}
