"""``/api/v2/users`` endpoints: show, show_many, me, search, create, create_or_update,
create_many, update, identities."""

from __future__ import annotations

import secrets

from flask import Blueprint, request

from . import jobs
from .common import (
    bad_request,
    base_url,
    current_state,
    current_user_id,
    ids_param,
    invalid,
    json_body,
    not_found,
    too_many_values,
)
from .locales import account_locale, locale_for_id, locale_id_for, normalise_locale
from .pagination import paginate
from .search import run_query
from .state import SandboxState

bp = Blueprint("sandbox_users", __name__)
_WRITABLE = (
    "name",
    "email",
    "role",
    "organization_id",
    "tags",
    "external_id",
    "phone",
    "notes",
    "details",
    "verified",
    "alias",
    "default_group_id",
    "time_zone",
)


def render(user: dict) -> dict:
    return {"id": user["id"], "url": f"{base_url()}/api/v2/users/{user['id']}.json", **user}


def _get(state: SandboxState, user_id: int) -> dict:
    user = state.users.get(user_id)
    if user is None:
        raise not_found()
    return user


def _apply(state: SandboxState, user: dict, spec: dict) -> None:
    if "email" in spec and spec["email"]:
        other = state.user_by_email(spec["email"])
        if other is not None and other["id"] != user["id"]:
            raise invalid(
                "email", f"Email: {spec['email']} is already being used by another user", "DuplicateValue"
            )
    for key in _WRITABLE:
        if key in spec:
            user[key] = spec[key]
    if user.get("email"):
        user["email"] = user["email"].lower()
    if "locale" in spec or "locale_id" in spec:
        locale = spec.get("locale") or locale_for_id(spec.get("locale_id"))
        user["locale"] = normalise_locale(locale, account_locale(state))
        user["locale_id"] = locale_id_for(user["locale"])
    if "user_fields" in spec and isinstance(spec["user_fields"], dict):
        user["user_fields"].update(spec["user_fields"])
    user["updated_at"] = state.now()


def create_user(state: SandboxState, spec: dict) -> dict:
    if not str(spec.get("name") or "").strip():
        raise invalid("name", "Name: is too short (minimum one character)", "ValueTooShort")
    if spec.get("email") and state.user_by_email(spec["email"]):
        raise invalid(
            "email", f"Email: {spec['email']} is already being used by another user", "DuplicateValue"
        )
    uid = state.add_user(name=spec["name"], email=spec.get("email"))
    user = state.users[uid]
    _apply(state, user, {k: v for k, v in spec.items() if k not in ("id",)})
    return user


def _user_spec() -> dict:
    spec = json_body().get("user")
    if not isinstance(spec, dict):
        raise bad_request("The request must contain a 'user' object")
    return spec


@bp.get("/api/v2/users")
def list_users():
    state = current_state()
    roles = request.args.getlist("role[]") or request.args.getlist("role")
    with state.lock:
        found = [u for u in state.users.values() if not roles or u["role"] in roles]
        return paginate(found, "users", render)


@bp.get("/api/v2/users/<int:user_id>")
def show_user(user_id: int):
    state = current_state()
    with state.lock:
        return {"user": render(_get(state, user_id))}


@bp.get("/api/v2/users/me")
def me():
    state = current_state()
    with state.lock:
        user = render(_get(state, current_user_id()))
    return {"user": {**user, "authenticity_token": secrets.token_urlsafe(64)}}


@bp.get("/api/v2/users/show_many")
def show_many():
    state = current_state()
    with state.lock:
        if request.args.get("external_ids"):
            wanted = request.args["external_ids"].split(",")
            found = [u for u in state.users.values() if u["external_id"] in wanted]
        else:
            ids = ids_param()
            if len(ids) > 100:
                raise too_many_values("users", "shown")
            found = [state.users[i] for i in ids if i in state.users]
        return {
            "users": [render(u) for u in found],
            "next_page": None,
            "previous_page": None,
            "count": len(found),
        }


@bp.get("/api/v2/users/search")
def search_users():
    state = current_state()
    query = (request.args.get("query") or "").strip().lower()
    external_id = request.args.get("external_id")
    if not query and not external_id:
        raise bad_request("Send query or external_id")
    with state.lock:
        if external_id:
            found = [u for u in state.users.values() if u["external_id"] == external_id]
        elif ":" in query:  # the search syntax: tags:, organization:, role:, email:, user field keys
            found = [record for _, record in run_query(state, query, "user")]
        else:
            found = [
                u
                for u in state.users.values()
                if (u["email"] or "") == query
                or query in u["name"].lower()
                or (u["email"] and "@" not in query and query in u["email"])
            ]
        return paginate(found, "users", render)


@bp.post("/api/v2/users")
def create():
    state = current_state()
    spec = _user_spec()
    with state.lock:
        user = create_user(state, spec)
        return {"user": render(user)}, 201


@bp.post("/api/v2/users/create_or_update")
def create_or_update():
    state = current_state()
    spec = _user_spec()
    with state.lock:
        existing = state.user_by_email(spec.get("email"))
        if existing is None and spec.get("external_id"):
            existing = next(
                (u for u in state.users.values() if u["external_id"] == spec["external_id"]), None
            )
        if existing is not None:
            _apply(state, existing, spec)
            return {"user": render(existing)}, 200
        return {"user": render(create_user(state, spec))}, 201


@bp.post("/api/v2/users/create_many")
def create_many():
    specs = json_body().get("users")
    if not isinstance(specs, list) or not specs:
        raise bad_request("The request must contain a non-empty 'users' list")
    if len(specs) > 100:
        raise too_many_values("users", "created")
    job = jobs.submit(current_state(), "create_users", specs, current_user_id())
    return {"job_status": jobs.render(job, base_url())}


def run_create(state: SandboxState, spec: dict, index: int, job: dict) -> dict:
    user = create_user(state, spec)
    return {"id": user["id"], "status": "Created"}


@bp.put("/api/v2/users/<int:user_id>")
def update(user_id: int):
    state = current_state()
    spec = _user_spec()
    with state.lock:
        user = _get(state, user_id)
        _apply(state, user, spec)
        return {"user": render(user)}


@bp.delete("/api/v2/users/<int:user_id>")
def delete(user_id: int):
    state = current_state()
    with state.lock:
        user = _get(state, user_id)
        user["active"] = False
        return {"user": render(user)}


@bp.get("/api/v2/users/<int:user_id>/identities")
def identities(user_id: int):
    state = current_state()
    with state.lock:
        user = _get(state, user_id)
        found = []
        if user["email"]:
            found.append(
                {
                    "url": f"{base_url()}/api/v2/users/{user_id}/identities/{user_id}.json",
                    "id": user_id,
                    "user_id": user_id,
                    "type": "email",
                    "value": user["email"],
                    "verified": user["verified"],
                    "primary": True,
                    "created_at": user["created_at"],
                    "updated_at": user["updated_at"],
                    "undeliverable_count": 0,
                    "deliverable_state": "deliverable",
                }
            )
        return {"identities": found, "next_page": None, "previous_page": None, "count": len(found)}


JOB_HANDLERS = {"create_users": run_create}
