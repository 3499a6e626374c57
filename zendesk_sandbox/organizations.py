"""``/api/v2/organizations`` and ``/api/v2/groups``."""

from __future__ import annotations

from flask import Blueprint

from . import jobs
from .common import (
    bad_request,
    base_url,
    current_state,
    current_user_id,
    ids_param,
    invalid,
    json_body,
    normalise_tags,
    not_found,
    too_many_values,
)
from .pagination import paginate
from .state import SandboxState
from .users import render as render_user

bp = Blueprint("sandbox_organizations", __name__)
_ORG_FIELDS = (
    "name",
    "details",
    "notes",
    "external_id",
    "group_id",
    "shared_tickets",
    "shared_comments",
    "domain_names",
    "tags",
    "organization_fields",
)


def add_organization(state: SandboxState, spec: dict) -> dict:
    name = str(spec.get("name") or "").strip()
    if not name:
        raise invalid("name", "Name: cannot be blank", "BlankValue")
    if any(o["name"].lower() == name.lower() for o in state.organizations.values()):
        raise invalid("name", "Name: has already been taken", "DuplicateValue")
    now = state.now()
    org = {
        "id": state.next_id(),
        "name": name,
        "shared_tickets": False,
        "shared_comments": False,
        "external_id": None,
        "created_at": now,
        "updated_at": now,
        "domain_names": [],
        "details": None,
        "notes": None,
        "group_id": None,
        "tags": [],
        "organization_fields": {},
    }
    _apply(state, org, spec)
    state.organizations[org["id"]] = org
    return org


def _apply(state: SandboxState, org: dict, spec: dict) -> None:
    for key in _ORG_FIELDS:
        if key in spec:
            org[key] = spec[key]
    org["tags"] = normalise_tags(org["tags"])
    org["updated_at"] = state.now()


def render(org: dict) -> dict:
    return {"url": f"{base_url()}/api/v2/organizations/{org['id']}.json", **org}


def _get(state: SandboxState, org_id: int) -> dict:
    org = state.organizations.get(org_id)
    if org is None:
        raise not_found()
    return org


def _spec() -> dict:
    spec = json_body().get("organization")
    if not isinstance(spec, dict):
        raise bad_request("The request must contain an 'organization' object")
    return spec


@bp.get("/api/v2/organizations")
def list_orgs():
    state = current_state()
    with state.lock:
        return paginate(list(state.organizations.values()), "organizations", render)


@bp.get("/api/v2/organizations/<int:org_id>")
def show_org(org_id: int):
    state = current_state()
    with state.lock:
        return {"organization": render(_get(state, org_id))}


@bp.get("/api/v2/organizations/show_many")
def show_many():
    state = current_state()
    ids = ids_param()
    if len(ids) > 100:
        raise too_many_values("organizations", "shown")
    with state.lock:
        found = [render(state.organizations[i]) for i in ids if i in state.organizations]
    return {"organizations": found, "next_page": None, "previous_page": None, "count": len(found)}


@bp.post("/api/v2/organizations")
def create_org():
    state = current_state()
    spec = _spec()
    with state.lock:
        return {"organization": render(add_organization(state, spec))}, 201


@bp.post("/api/v2/organizations/create_or_update")
def create_or_update_org():
    """Updates the organization named by ``id`` or ``external_id`` (200), else creates it
    (201). The name is not matched: a new organization with a taken name is 422, as the
    OpenAPI document warns."""
    state = current_state()
    spec = _spec()
    with state.lock:
        existing = state.organizations.get(spec["id"]) if isinstance(spec.get("id"), int) else None
        if existing is None and spec.get("external_id"):
            existing = next(
                (o for o in state.organizations.values() if o["external_id"] == spec["external_id"]), None
            )
        if existing is not None:
            _apply(state, existing, spec)
            return {"organization": render(existing)}, 200
        return {"organization": render(add_organization(state, spec))}, 201


@bp.post("/api/v2/organizations/create_many")
def create_many():
    specs = json_body().get("organizations")
    if not isinstance(specs, list) or not specs:
        raise bad_request("The request must contain a non-empty 'organizations' list")
    if len(specs) > 100:
        raise too_many_values("organizations", "created")
    job = jobs.submit(current_state(), "create_organizations", specs, current_user_id())
    return {"job_status": jobs.render(job, base_url())}


def run_create(state: SandboxState, spec: dict, index: int, job: dict) -> dict:
    org = add_organization(state, spec)
    return {"status": "Created", "id": org["id"]}


@bp.put("/api/v2/organizations/<int:org_id>")
def update_org(org_id: int):
    state = current_state()
    spec = _spec()
    with state.lock:
        org = _get(state, org_id)
        _apply(state, org, spec)
        return {"organization": render(org)}


@bp.delete("/api/v2/organizations/<int:org_id>")
def delete_org(org_id: int):
    state = current_state()
    with state.lock:
        _get(state, org_id)
        del state.organizations[org_id]
    return "", 204


@bp.get("/api/v2/organizations/<int:org_id>/users")
def org_users(org_id: int):
    state = current_state()
    with state.lock:
        _get(state, org_id)
        found = [u for u in state.users.values() if u["organization_id"] == org_id]
        return paginate(found, "users", render_user)


def _render_group(group: dict) -> dict:
    return {"url": f"{base_url()}/api/v2/groups/{group['id']}.json", **group}


@bp.get("/api/v2/groups")
def list_groups():
    state = current_state()
    with state.lock:
        return paginate(list(state.groups.values()), "groups", _render_group)


@bp.get("/api/v2/groups/<int:group_id>")
def show_group(group_id: int):
    state = current_state()
    with state.lock:
        group = state.groups.get(group_id)
        if group is None:
            raise not_found()
        return {"group": _render_group(group)}


@bp.post("/api/v2/groups")
def create_group():
    spec = json_body().get("group") or {}
    if not str(spec.get("name") or "").strip():
        raise invalid("name", "Name: cannot be blank", "BlankValue")
    state = current_state()
    with state.lock:
        now = state.now()
        group = {
            "id": state.next_id(),
            "name": spec["name"],
            "description": spec.get("description", ""),
            "default": False,
            "deleted": False,
            "is_public": spec.get("is_public", True),
            "created_at": now,
            "updated_at": now,
        }
        state.groups[group["id"]] = group
        return {"group": _render_group(group)}, 201


JOB_HANDLERS = {"create_organizations": run_create}
