"""The cursor-based incremental ticket export as Zendesk documents it: the latest minute left
out, a too recent start time refused, cursors that page and resume, its own 10 requests a
minute, and ``after_cursor`` present even when nothing changed."""

import time

import requests

from .conftest import wait_for

EXPORT = "/api/v2/incremental/tickets/cursor.json"


def _limits(sandbox, **spec):
    resp = requests.post(f"{sandbox.url}/_sandbox/limits", json=spec)
    assert resp.status_code == 200, resp.text
    return resp.json()


def _ticket(api, sandbox, subject):
    made = api.post(
        f"{sandbox.url}/api/v2/tickets", json={"ticket": {"subject": subject, "comment": {"body": "b"}}}
    )
    assert made.status_code == 201, made.text
    return made.json()["ticket"]


def _export(api, sandbox, **params):
    resp = api.get(f"{sandbox.url}{EXPORT}", params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_the_latest_minute_is_left_out(api, sandbox):
    assert _limits(sandbox)["incremental_exclusion_seconds"] == 60
    _ticket(api, sandbox, "just now")
    body = _export(api, sandbox, start_time=int(time.time()) - 3600)
    assert body["tickets"] == [] and body["end_of_stream"] is True
    assert body["after_cursor"]  # never null, as Zendesk's recorded answers show


def test_a_start_time_within_the_latest_minute_is_refused(api, sandbox):
    resp = api.get(f"{sandbox.url}{EXPORT}", params={"start_time": int(time.time()) - 10})
    assert resp.status_code == 400
    assert "Too recent start_time" in resp.json()["description"]


def test_cursor_pages_then_resumes_with_later_changes(api, sandbox):
    _limits(sandbox, incremental_exclusion_seconds=0)
    start = int(time.time()) - 60
    made = [_ticket(api, sandbox, f"t{n}")["id"] for n in range(3)]
    time.sleep(1.1)  # a second must have passed entirely before its changes are exported
    first = _export(api, sandbox, start_time=start, per_page=2)
    assert [t["id"] for t in first["tickets"]] == made[:2] and first["end_of_stream"] is False
    assert "cursor=" in first["after_url"]
    second = _export(api, sandbox, cursor=first["after_cursor"], per_page=2)
    assert [t["id"] for t in second["tickets"]] == made[2:] and second["end_of_stream"] is True
    idle = _export(api, sandbox, cursor=second["after_cursor"])
    assert idle["tickets"] == [] and idle["after_cursor"] == second["after_cursor"]

    api.put(f"{sandbox.url}/api/v2/tickets/{made[0]}", json={"ticket": {"status": "open"}})
    later = wait_for(
        lambda: _export(api, sandbox, cursor=second["after_cursor"])["tickets"], timeout=3, interval=0.5
    )
    assert [(t["id"], t["status"]) for t in later] == [(made[0], "open")]


def test_its_own_ten_requests_a_minute(api, sandbox):
    start = int(time.time()) - 3600
    answers = [api.get(f"{sandbox.url}{EXPORT}", params={"start_time": start}) for _ in range(11)]
    assert [a.status_code for a in answers] == [200] * 10 + [429]
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert api.get(f"{sandbox.url}/api/v2/users/me").status_code == 200  # other endpoints answer
