"""Driving the sandbox's Apps API as an admin does with Zendesk's: upload the zip, build it,
install it; and reading back what an installation points at."""

from __future__ import annotations


def create_app(api, sandbox, data: bytes) -> dict:
    uploaded = api.post(f"{sandbox.url}/api/v2/apps/uploads.json", files={"uploaded_data": ("app.zip", data)})
    assert uploaded.status_code == 201, uploaded.text
    job = api.post(
        f"{sandbox.url}/api/v2/apps.json", json={"name": "IncidentDesk", "upload_id": uploaded.json()["id"]}
    )
    assert job.status_code == 202, job.text
    status = api.get(f"{sandbox.url}/api/v2/apps/job_statuses/{job.json()['job_id']}.json")
    assert status.status_code == 200
    return status.json()


def install(api, sandbox, app_id: int, service_url: str):
    return api.post(
        f"{sandbox.url}/api/v2/apps/installations.json",
        json={"app_id": app_id, "settings": {"name": "IncidentDesk", "service_url": service_url}},
    )


def webhooks(api, sandbox) -> list[dict]:
    return api.get(f"{sandbox.url}/api/v2/webhooks").json()["webhooks"]


def triggers(api, sandbox) -> list[dict]:
    return api.get(f"{sandbox.url}/api/v2/triggers.json").json()["triggers"]


def pointing_at(api, sandbox, endpoint: str) -> tuple[list[dict], list[dict]]:
    """The webhooks with ``endpoint``, and the triggers whose webhook action names one of them."""
    hooks = [w for w in webhooks(api, sandbox) if w["endpoint"] == endpoint]
    ids = {w["id"] for w in hooks}
    found = [
        t
        for t in triggers(api, sandbox)
        if any(a["field"] == "notification_webhook" and a["value"][0] in ids for a in t["actions"])
    ]
    return hooks, found
