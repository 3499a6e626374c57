"""``/api/v2/apps``: a private app's package upload, its build, and its installations, which
provision the app's requirements (webhooks and triggers only) and remove them again.

Upload -> build -> install, as Zendesk's Apps API does it: ``POST /api/v2/apps/uploads`` (the zip
as the form field ``uploaded_data``), ``POST /api/v2/apps`` (``upload_id``) answering a
``job_id``, ``GET /api/v2/apps/job_statuses/{id}`` (``completed`` with ``app_id``, or ``failed``
with a message), then ``POST /api/v2/apps/installations`` (``app_id`` and ``settings``). Here a
build is done at once; sources and what is not confirmed are in zendesk_sandbox/README.md.
"""

from __future__ import annotations

import io
import json
import re
import weakref
import zipfile

from flask import Blueprint, request

from .common import ApiError, bad_request, base_url, current_state, current_user_id, json_body, not_found
from .state import SandboxState, ulid
from .trigger_routes import create_trigger
from .webhook_routes import create_webhook

bp = Blueprint("sandbox_apps", __name__)
SUPPORTED_REQUIREMENTS = ("webhooks", "triggers")
MAX_PACKAGE_BYTES = 2 * 1024 * 1024
_SETTING = re.compile(r"\{\{\s*setting\.([A-Za-z0-9_]+)\s*\}\}")


class _Apps:
    """Uploads, apps, build jobs and installations of one sandbox account. Kept beside the state
    rather than in it; a state reset (new ``webhooks`` dict) starts them afresh."""

    def __init__(self, webhooks: dict):
        self.webhooks = webhooks
        self.uploads: dict[int, bytes] = {}
        self.apps: dict[int, dict] = {}
        self.jobs: dict[str, dict] = {}
        self.installations: dict[int, dict] = {}


_STORES: weakref.WeakKeyDictionary[SandboxState, _Apps] = weakref.WeakKeyDictionary()


def _store(state: SandboxState) -> _Apps:
    found = _STORES.get(state)
    if found is None or found.webhooks is not state.webhooks:
        found = _STORES[state] = _Apps(state.webhooks)
    return found


def _app_error(status: int, error: str, description: str) -> ApiError:
    return ApiError(status, {"error": error, "description": description})


def _read_package(data: bytes) -> tuple[dict, dict]:
    """The manifest and requirements of a zip; ValueError says why the build fails."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "manifest.json" not in names:
                raise ValueError("Could not find manifest.json")
            manifest = json.loads(archive.read("manifest.json"))
            requirements = (
                json.loads(archive.read("requirements.json")) if "requirements.json" in names else {}
            )
    except zipfile.BadZipFile:
        raise ValueError("The uploaded file is not a zip archive") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"manifest is not proper JSON. {exc}") from None
    if not isinstance(manifest, dict) or not isinstance(requirements, dict):
        raise ValueError("manifest.json and requirements.json must be JSON objects")
    parameters = manifest.get("parameters", [])
    if not isinstance(parameters, list) or not all(isinstance(p, dict) and p.get("name") for p in parameters):
        raise ValueError("App parameters must be an array of objects with a name")
    if not all(
        isinstance(items, dict) and all(isinstance(i, dict) for i in items.values())
        for items in requirements.values()
    ):
        raise ValueError("each requirements.json type must map identifiers to objects")
    unsupported = sorted(set(requirements) - set(SUPPORTED_REQUIREMENTS))
    if unsupported:
        raise ValueError(
            f"the sandbox installs only webhooks and triggers requirements, not {', '.join(unsupported)}"
        )
    return manifest, requirements


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _render_installation(installation: dict) -> dict:
    return {
        "id": installation["id"],
        "app_id": installation["app_id"],
        "product": "support",
        "settings": installation["settings"],
        "enabled": True,
        "created_at": installation["created_at"],
        "updated_at": installation["created_at"],
        "url": f"{base_url()}/api/v2/apps/installations/{installation['id']}.json",
    }


def _fill(value, settings: dict):
    """``{{setting.x}}`` replaced by the installation's setting ``x`` in every string inside."""
    if isinstance(value, str):
        return _SETTING.sub(lambda m: str(settings.get(m.group(1), "")), value)
    if isinstance(value, list):
        return [_fill(v, settings) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, settings) for k, v in value.items()}
    return value


def _point_at_webhooks(actions, webhook_ids: dict[str, str]) -> list:
    """A ``notification_webhook`` action names a requirement's identifier; Zendesk puts the id
    of the webhook it created for that requirement in its place."""
    out = []
    for action in actions if isinstance(actions, list) else []:
        value = action.get("value") if isinstance(action, dict) else None
        if action.get("field") == "notification_webhook" and isinstance(value, list) and value:
            action = {**action, "value": [webhook_ids.get(str(value[0]), value[0]), *value[1:]]}
        out.append(action)
    return out


def _remove(state: SandboxState, created: list[dict]) -> None:
    for item in reversed(created):  # triggers before the webhooks they point at
        if item["requirement_type"] == "triggers":
            state.triggers.pop(item["requirement_id"], None)
        else:
            state.webhooks.pop(item["requirement_id"], None)
            state.webhook_secrets.pop(item["requirement_id"], None)


def _provision(state: SandboxState, requirements: dict, settings: dict) -> list[dict]:
    """Create every requirement, or none: a refusal undoes what was already created."""
    created: list[dict] = []
    webhook_ids: dict[str, str] = {}
    try:
        for identifier, spec in (requirements.get("webhooks") or {}).items():
            webhook = create_webhook(state, _fill(spec, settings), current_user_id())
            webhook_ids[identifier] = webhook["id"]
            created.append(
                {"identifier": identifier, "requirement_type": "webhooks", "requirement_id": webhook["id"]}
            )
        for identifier, spec in (requirements.get("triggers") or {}).items():
            filled = _fill(spec, settings)
            filled["actions"] = _point_at_webhooks(filled.get("actions"), webhook_ids)
            trigger = create_trigger(state, filled)
            created.append(
                {"identifier": identifier, "requirement_type": "triggers", "requirement_id": trigger["id"]}
            )
    except ApiError:
        _remove(state, created)
        raise
    return created


@bp.post("/api/v2/apps/uploads")
def upload():
    upload_file = request.files.get("uploaded_data")
    if upload_file is None:
        raise bad_request("Send the app's zip as the multipart form field uploaded_data")
    data = upload_file.read(MAX_PACKAGE_BYTES + 1)
    if len(data) > MAX_PACKAGE_BYTES:
        raise bad_request(f"The app package is larger than the sandbox's {MAX_PACKAGE_BYTES} bytes")
    state = current_state()
    with state.lock:
        upload_id = state.next_id()
        _store(state).uploads[upload_id] = data
    return {"id": upload_id}, 201


@bp.post("/api/v2/apps")
def create_app():
    spec = json_body()
    state = current_state()
    with state.lock:
        store = _store(state)
        data = store.uploads.get(_int(spec.get("upload_id")))
        if data is None:
            raise bad_request("upload_id does not name an uploaded app package")
        job = {"id": ulid(), "status": "completed", "message": "Completed", "app_id": None}
        try:
            manifest, requirements = _read_package(data)
        except ValueError as exc:
            job.update(status="failed", message=str(exc))
        else:
            app_id = state.next_id()
            name = str(spec.get("name") or manifest.get("name") or "app")
            store.apps[app_id] = {
                "id": app_id,
                "name": name,
                "manifest": manifest,
                "requirements": requirements,
            }
            job["app_id"] = app_id
        store.jobs[job["id"]] = job
    return {"job_id": job["id"]}, 202


@bp.get("/api/v2/apps/job_statuses/<job_id>")
def job_status(job_id: str):
    state = current_state()
    with state.lock:
        job = _store(state).jobs.get(job_id)
        if job is None:
            raise not_found()
        return dict(job)


@bp.post("/api/v2/apps/installations")
def install():
    spec = json_body()
    settings = spec.get("settings") or {}
    if not isinstance(settings, dict):
        raise bad_request("settings must be an object of the app's parameters")
    state = current_state()
    with state.lock:
        store = _store(state)
        app = store.apps.get(_int(spec.get("app_id")))
        if app is None:
            raise _app_error(404, "RecordNotFound", "app_id does not name an app of this account")
        manifest = app["manifest"]
        missing = [
            p["name"]
            for p in manifest.get("parameters") or []
            if p.get("required") and not settings.get(p["name"])
        ]
        if missing:
            raise _app_error(
                422, "RecordInvalid", f"Settings required by the app are missing: {', '.join(missing)}"
            )
        if manifest.get("singleInstall") and any(
            i["app_id"] == app["id"] for i in store.installations.values()
        ):
            raise _app_error(
                422, "RecordInvalid", f"{app['name']} is already installed and can be installed only once"
            )
        settings = {"name": app["name"], **settings}
        created = _provision(state, app["requirements"], settings)
        installation = {
            "id": state.next_id(),
            "app_id": app["id"],
            "settings": settings,
            "created_at": state.now(),
            "requirements": created,
        }
        store.installations[installation["id"]] = installation
        return _render_installation(installation), 201


@bp.get("/api/v2/apps/installations")
def list_installations():
    state = current_state()
    with state.lock:
        found = [_render_installation(i) for i in _store(state).installations.values()]
    return {"installations": found}


def _installation(state: SandboxState, installation_id: int) -> dict:
    installation = _store(state).installations.get(installation_id)
    if installation is None:
        raise not_found()
    return installation


@bp.get("/api/v2/apps/installations/<int:installation_id>")
def show_installation(installation_id: int):
    state = current_state()
    with state.lock:
        return _render_installation(_installation(state, installation_id))


@bp.get("/api/v2/apps/installations/<int:installation_id>/requirements")
def list_requirements(installation_id: int):
    state = current_state()
    with state.lock:
        found = [dict(r) for r in _installation(state, installation_id)["requirements"]]
    return {"requirements": found, "next_page": None, "previous_page": None, "count": len(found)}


@bp.delete("/api/v2/apps/installations/<int:installation_id>")
def uninstall(installation_id: int):
    state = current_state()
    with state.lock:
        installation = _installation(state, installation_id)
        _remove(state, installation["requirements"])
        del _store(state).installations[installation_id]
    return "", 204
