"""Satisfaction ratings as Zendesk documents them: only the requester rates a solved ticket, one
rating per ticket (rating again changes it), listed oldest first with the score, start_time and
end_time filters, by offset and by cursor."""

import calendar
import time

import requests

RATINGS = "/api/v2/satisfaction_ratings.json"


def _solved_ticket(api, sandbox, email: str) -> dict:
    made = requests.post(
        f"{sandbox.url}/_sandbox/tickets",
        json={
            "ticket": {"subject": "s", "comment": {"body": "b"}, "requester": {"name": "C", "email": email}}
        },
    )
    assert made.status_code == 201, made.text
    ticket = made.json()["ticket"]
    solved = api.put(
        f"{sandbox.url}/api/v2/tickets/{ticket['id']}.json", json={"ticket": {"status": "solved"}}
    )
    assert solved.status_code == 200, solved.text
    return ticket


def _rate(sandbox, ticket_id: int, **spec):
    return requests.post(
        f"{sandbox.url}/_sandbox/tickets/{ticket_id}/satisfaction_rating", json={"satisfaction_rating": spec}
    )


def test_the_requester_rates_a_solved_ticket_once_and_may_change_it(api, sandbox):
    ticket = _solved_ticket(api, sandbox, "dana@example.com")
    first = _rate(sandbox, ticket["id"], score="bad", comment="Too slow", reason="Slow")
    assert first.status_code == 200, first.text
    rating = first.json()["satisfaction_rating"]
    assert rating["ticket_id"] == ticket["id"] and rating["requester_id"] == ticket["requester_id"]
    assert rating["score"] == "bad" and rating["comment"] == "Too slow" and rating["reason"] == "Slow"
    assert rating["url"].endswith(f"/api/v2/satisfaction_ratings/{rating['id']}.json")
    assert set(rating) >= {"assignee_id", "group_id", "created_at", "updated_at"}

    again = _rate(sandbox, ticket["id"], score="good", comment="Fixed after all").json()[
        "satisfaction_rating"
    ]
    assert again["id"] == rating["id"] and again["score"] == "good" and again["reason"] is None
    listed = api.get(f"{sandbox.url}{RATINGS}").json()
    assert [r["id"] for r in listed["satisfaction_ratings"]] == [rating["id"]] and listed["count"] == 1
    shown = api.get(f"{sandbox.url}/api/v2/tickets/{ticket['id']}.json").json()["ticket"]
    assert shown["satisfaction_rating"] == {"id": rating["id"], "score": "good", "comment": "Fixed after all"}
    one = api.get(f"{sandbox.url}/api/v2/satisfaction_ratings/{rating['id']}.json")
    assert one.json()["satisfaction_rating"]["score"] == "good"


def test_unsolved_tickets_unknown_scores_and_agents_are_refused(api, sandbox):
    made = requests.post(
        f"{sandbox.url}/_sandbox/tickets", json={"ticket": {"subject": "s", "comment": {"body": "b"}}}
    ).json()["ticket"]
    assert _rate(sandbox, made["id"], score="good").status_code == 422  # not solved yet
    ticket = _solved_ticket(api, sandbox, "ivan@example.com")
    assert _rate(sandbox, ticket["id"], score="great").status_code == 422
    assert _rate(sandbox, 999_999, score="good").status_code == 404
    # The API route is the requester's: the agent is not the requester.
    by_agent = api.post(
        f"{sandbox.url}/api/v2/tickets/{ticket['id']}/satisfaction_rating.json",
        json={"satisfaction_rating": {"score": "good"}},
    )
    assert by_agent.status_code == 403
    assert api.get(f"{sandbox.url}{RATINGS}", params={"score": "excellent"}).status_code == 400
    assert api.get(f"{sandbox.url}{RATINGS}", params={"start_time": "yesterday"}).status_code == 400


def test_filters_and_both_pagination_styles(api, sandbox):
    ids = {}
    for n, (score, comment, day) in enumerate(
        [("good", "", "2026-01-05"), ("bad", "broken", "2026-01-10"), ("good", "thanks", "2026-01-20")]
    ):
        ticket = _solved_ticket(api, sandbox, f"c{n}@example.com")
        made = _rate(sandbox, ticket["id"], score=score, comment=comment, created_at=f"{day}T12:00:00Z")
        ids[day] = made.json()["satisfaction_rating"]["id"]

    def listed(**params):
        answer = api.get(f"{sandbox.url}{RATINGS}", params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()

    everything = listed()["satisfaction_ratings"]
    assert [r["id"] for r in everything] == [ids["2026-01-05"], ids["2026-01-10"], ids["2026-01-20"]]
    assert [r["id"] for r in listed(score="good")["satisfaction_ratings"]] == [
        ids["2026-01-05"],
        ids["2026-01-20"],
    ]
    assert [r["id"] for r in listed(score="good_with_comment")["satisfaction_ratings"]] == [ids["2026-01-20"]]
    assert [r["id"] for r in listed(score="received_with_comment")["satisfaction_ratings"]] == [
        ids["2026-01-10"],
        ids["2026-01-20"],
    ]
    assert listed(score="offered")["satisfaction_ratings"] == []
    start = calendar.timegm(time.strptime("2026-01-08", "%Y-%m-%d"))
    end = calendar.timegm(time.strptime("2026-01-15", "%Y-%m-%d"))
    assert [r["id"] for r in listed(start_time=start, end_time=end)["satisfaction_ratings"]] == [
        ids["2026-01-10"]
    ]

    offset = listed(per_page=2)
    assert len(offset["satisfaction_ratings"]) == 2 and offset["count"] == 3 and offset["next_page"]
    page = listed(**{"page[size]": 2})
    assert page["meta"]["has_more"] is True
    rest = listed(**{"page[size]": 2, "page[after]": page["meta"]["after_cursor"]})
    assert [r["id"] for r in rest["satisfaction_ratings"]] == [ids["2026-01-20"]]
    assert rest["meta"]["has_more"] is False
