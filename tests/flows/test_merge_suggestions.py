"""Merges an agent confirms, end to end: sandbox -> signed webhook -> inbox -> worker's merge stage
(a suggestion, no merge) -> the sidebar's one-click merge or dismissal over HTTP -> zenpy merge."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import func, select

from service.domain.merging.duplicates import Fingerprint, similarity
from service.domain.merging.suggestions import TARGET_NOT_OPEN, explanation, status_name
from service.merging.models import Merge, MergeRefusal, MergeSuggestion
from service.models import AuditEntry, InboxDelivery
from service.web.i18n import say, translate
from tests.factories import deliveries_done
from tests.helpers import AGENT_ID, AUDIENCE, key_pair, sidebar_token, start_service, wait_for, zendesk_token

ACTOR = f"zendesk agent {AGENT_ID}"
FIRST = (
    "My parcel never arrived and the tracking page shows no update since Monday, "
    "please check what happened to the delivery"
)
# The same customer again, in other words: alike, but not enough to merge without asking.
AGAIN = (
    "My parcel has still not arrived and the tracking page shows no update since Monday, "
    "please tell me what happened to the delivery"
)


@pytest.fixture
def running(database_url, sandbox, helpdesk):
    service = start_service(
        database_url,
        sandbox,
        helpdesk,
        zendesk_app_public_key=key_pair("app").public_pem,
        zendesk_app_audience=AUDIENCE,
    )
    yield service
    service.stop()


class Sidebar:
    """The sidebar's script: a signed page per ticket, then its JSON routes with the page's token."""

    def __init__(self, running):
        self.url = running.url
        self.tokens: dict[int, str] = {}

    def _auth(self, ticket_id: int) -> dict:
        if ticket_id not in self.tokens:
            page = requests.post(
                f"{self.url}/app/sidebar", data={"token": zendesk_token(ticket_id=ticket_id)}, timeout=10
            )
            assert page.status_code == 200, page.text
            self.tokens[ticket_id] = sidebar_token(page.text)
        return {"Authorization": f"Bearer {self.tokens[ticket_id]}"}

    def suggestions(self, ticket_id: int, locale: str = "en") -> list[dict]:
        answer = requests.get(
            f"{self.url}/app/sidebar/tickets/{ticket_id}/merge_suggestions",
            params={"locale": locale},
            headers=self._auth(ticket_id),
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["suggestions"]

    def decide(
        self, ticket_id: int, item: dict, action: str, locale: str = "en", **body
    ) -> requests.Response:
        pair = {"source_ticket_id": item["source_ticket_id"], "target_ticket_id": item["target_ticket_id"]}
        return requests.post(
            f"{self.url}/app/sidebar/tickets/{ticket_id}/merge_suggestions/{item['id']}/{action}",
            params={"locale": locale},
            json=body or pair,
            headers=self._auth(ticket_id),
            timeout=60,
        )


def delivery_count(running) -> int:
    with running.services.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(InboxDelivery))


def processed(running, create) -> int:
    """Run ``create`` (which makes a ticket or an edit in the sandbox); wait until the worker is done."""
    before = delivery_count(running)
    result = create()
    wait_for(lambda: delivery_count(running) > before and deliveries_done(running))
    return result


def rows(running, model) -> list:
    with running.services.db.transaction() as session:
        return list(session.scalars(select(model).order_by(model.id)))


def audit(running, action: str) -> list[AuditEntry]:
    with running.services.db.transaction() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def agent_update(running, ticket_id: int, ticket: dict) -> None:
    answer = requests.post(
        f"{running.sandbox_url}/_sandbox/tickets/{ticket_id}/agent_update",
        json={"ticket": ticket},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def two_alike_tickets(running) -> tuple[int, int]:
    """One customer's ticket and, later, her second one in other words (below the threshold)."""
    first = processed(running, lambda: running.create_ticket(FIRST, subject="Parcel"))
    second = processed(running, lambda: running.create_ticket(AGAIN, subject="Parcel", via="chat"))
    return first, second


def test_the_texts_are_alike_below_the_threshold_and_meet_in_the_index():
    one, two = Fingerprint.of(f"Parcel\n{FIRST}"), Fingerprint.of(f"Parcel\n{AGAIN}")
    assert 0.5 <= similarity(one, two) < 0.7 and set(one.bands) & set(two.bands)


def test_alike_tickets_are_suggested_not_merged_and_the_agent_merges_them_in_one_click(running):
    first, second = two_alike_tickets(running)
    assert rows(running, Merge) == [] and running.ticket(second)["status"] != "closed"
    [row] = rows(running, MergeSuggestion)
    assert (row.source_ticket_id, row.target_ticket_id, row.state) == (second, first, "pending")
    assert row.reason == "similar_text" and 0.5 <= row.score < 0.7

    sidebar = Sidebar(running)
    [shown] = sidebar.suggestions(first, locale="he")  # the target's sidebar shows it too
    assert (shown["role"], shown["other_ticket_id"], shown["score"]) == (
        "target",
        second,
        round(row.score * 100),
    )
    assert (
        shown["why"]
        == say(explanation("similar_text", row.score, 0.7), "he")
        != str(explanation("similar_text", row.score, 0.7))
    )
    [shown] = sidebar.suggestions(second)
    assert shown["role"] == "source" and shown["other_ticket_id"] == first
    assert shown["why"].startswith(f"The two requests are {round(row.score * 100)}% alike")

    answer = sidebar.decide(second, shown, "merge")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "suggestions": [],
        "merged": {"source_ticket_id": second, "target_ticket_id": first},
    }

    # What the customer sees: the newer ticket closed, told in her language where to reply.
    assert running.ticket(second)["status"] == "closed" and running.ticket(first)["status"] != "closed"
    told = running.comments(second)[-1]
    assert told["public"] and told["body"] == (
        f"Hi Dana, we have combined this request with your earlier request #{first}, "
        "so one person follows your case. Please reply there."
    )
    noted = running.comments(first)[-1]
    assert (
        noted["public"]
        and noted["body"] == f"Your request #{second} about the same matter was combined into this one."
    )
    [merge] = rows(running, Merge)
    assert (merge.source_ticket_id, merge.target_ticket_id, merge.state) == (second, first, "merged")
    assert merge.reason == "agent_confirmed" and merge.owner == ACTOR
    [entry] = audit(running, "ticket.merged")
    assert entry.actor == ACTOR and entry.ticket_id == second
    assert entry.detail["target_ticket_id"] == first and entry.detail["confirmed_by"] == ACTOR
    assert entry.detail["public_comments"] is True and entry.detail["locale"] == "en"
    [row] = rows(running, MergeSuggestion)
    assert (row.state, row.decided_by) == ("merged", ACTOR) and row.decided_at is not None
    assert [e.actor for e in audit(running, "merge.suggestion_merged")] == [ACTOR]
    assert sidebar.suggestions(first) == []
    again = sidebar.decide(second, shown, "merge", locale="bg")
    assert again.status_code == 409 and again.json()["error"] == translate(
        "phrase.merge_suggestion.already_merged", "bg", actor=ACTOR
    )


def test_a_slow_merge_job_is_answered_at_once_and_the_same_click_settles_it(database_url, sandbox, helpdesk):
    """Zendesk's job runs longer than a click may wait (a proxy would answer 504 at 60 s): the
    sidebar hears 202, "still merging", in the agent's language, and asking again merges once."""
    running = start_service(
        database_url,
        sandbox,
        helpdesk,
        zendesk_app_public_key=key_pair("app").public_pem,
        zendesk_app_audience=AUDIENCE,
        sidebar_job_wait_seconds=0.3,
    )
    try:
        first, second = two_alike_tickets(running)
        sidebar = Sidebar(running)
        [shown] = sidebar.suggestions(second)
        requests.post(f"{sandbox.url}/_sandbox/faults", json={"job_delay_seconds": 2.0}, timeout=5)

        answer = sidebar.decide(second, shown, "merge", locale="he")
        assert answer.status_code == 202, answer.text
        assert answer.headers["Retry-After"] == "2" and answer.json()["retry_after"] == 2
        assert answer.json()["merging"] == {"source_ticket_id": second, "target_ticket_id": first}
        assert answer.json()["message"] == translate(
            "phrase.merge_suggestion.running", "he", source_id=second, target_id=first
        )
        assert [row.state for row in rows(running, MergeSuggestion)] == ["pending"]  # not decided yet
        assert running.ticket(second)["status"] != "closed"

        again = wait_for(lambda: (r := sidebar.decide(second, shown, "merge")).status_code == 200 and r)
        assert again.json() == {
            "suggestions": [],
            "merged": {"source_ticket_id": second, "target_ticket_id": first},
        }
        # What the customer sees: closed, told once where to reply; Zendesk merged once.
        assert running.ticket(second)["status"] == "closed"
        told = [c for c in running.comments(second) if "we have combined this request" in c["body"]]
        assert len(told) == 1 and told[0]["public"]
        [merge] = rows(running, Merge)
        assert merge.state == "merged" and len(audit(running, "ticket.merged")) == 1
    finally:
        requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=5)
        running.stop()


def test_a_dismissed_suggestion_is_gone_and_not_suggested_on_the_next_update(running):
    first, second = two_alike_tickets(running)
    sidebar = Sidebar(running)
    [shown] = sidebar.suggestions(first)

    answer = sidebar.decide(first, shown, "dismiss")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"suggestions": []} and sidebar.suggestions(second) == []
    [entry] = audit(running, "merge.suggestion_dismissed")
    assert entry.actor == ACTOR and entry.detail["target_ticket_id"] == first

    # The customer writes again on the newer ticket: reviewed again, the pair is not offered again.
    processed(
        running, lambda: agent_update(running, second, {"comment": {"body": "any news?", "public": True}})
    )
    [row] = rows(running, MergeSuggestion)
    assert (row.state, row.decided_by) == ("dismissed", ACTOR)
    assert sidebar.suggestions(first) == sidebar.suggestions(second) == []
    assert len(audit(running, "merge.suggested")) == 1 and rows(running, Merge) == []
    assert running.ticket(second)["status"] != "closed"
    refused = sidebar.decide(second, shown, "merge", locale="he")
    assert refused.status_code == 409 and refused.json()["error"] == translate(
        "phrase.merge_suggestion.already_dismissed", "he", actor=ACTOR
    )


def test_a_stale_suggestion_is_refused_in_the_agents_language_and_bad_requests_are_4xx(running):
    first, second = two_alike_tickets(running)
    third = processed(
        running, lambda: running.create_ticket("Where do I change my password?", email="omer@example.com")
    )
    sidebar = Sidebar(running)
    [shown] = sidebar.suggestions(second)

    # Another ticket's sidebar cannot act on it, a pair other than the one shown is refused, and a
    # body without the pair says what to send.
    elsewhere = sidebar.decide(third, shown, "merge", locale="bg")
    assert elsewhere.status_code == 404 and f"#{third}" in elsewhere.json()["error"]
    assert elsewhere.json()["error"] == translate(
        "phrase.merge_suggestion.no_such", "bg", ticket_id=third, suggestion_id=shown["id"]
    )
    url = f"{running.url}/app/sidebar/tickets/{first}/merge_suggestions/{shown['id']}/merge"
    pair = {"source_ticket_id": second, "target_ticket_id": first}
    assert requests.post(url, json=pair, timeout=10).status_code == 401  # no sidebar token
    other_ticket = requests.post(url, json=pair, headers=sidebar._auth(second), timeout=10)
    assert other_ticket.status_code == 403  # a token works for the ticket it was opened on only
    swapped = sidebar.decide(second, shown, "merge", source_ticket_id=first, target_ticket_id=second)
    assert swapped.status_code == 409 and "Reload the sidebar" in swapped.json()["error"]
    empty = sidebar.decide(second, shown, "merge", nothing=True)
    assert empty.status_code == 422 and "source_ticket_id" in empty.json()["error"]

    # Meanwhile an agent closes the older ticket in Zendesk.
    processed(running, lambda: agent_update(running, first, {"status": "closed"}))
    stale = sidebar.decide(second, shown, "merge", locale="bg")
    assert stale.status_code == 409
    expected = TARGET_NOT_OPEN(ticket_id=first, status=status_name("closed"))
    assert stale.json()["error"] == say(expected, "bg") and "затворено" in stale.json()["error"]
    assert running.ticket(second)["status"] != "closed" and rows(running, Merge) == []
    [row] = rows(running, MergeSuggestion)
    assert row.state == "outdated" and row.outcome == str(expected)
    assert sidebar.suggestions(second) == []
    again = sidebar.decide(second, shown, "merge", locale="bg")  # from a sidebar not yet reloaded
    assert again.status_code == 409
    assert again.json()["error"] == translate("phrase.merge_suggestion.already_outdated", "bg")


def colleagues(running) -> int:
    """Two users of one organisation; returns the organisation's id."""
    answer = running.api.post(
        f"{running.sandbox_url}/api/v2/organizations.json",
        json={"organization": {"name": "Sports Club"}},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    org_id = answer.json()["organization"]["id"]
    for name, email in (("Dana Levi", "dana@club.example"), ("Omer Katz", "omer@club.example")):
        user = running.api.post(
            f"{running.sandbox_url}/api/v2/users.json",
            json={"user": {"name": name, "email": email, "organization_id": org_id}},
            timeout=10,
        )
        assert user.status_code == 201, user.text
    return org_id


def test_colleagues_writing_alike_are_suggested_never_merged_automatically(running):
    colleagues(running)
    text = "Our club order 7731 was charged twice, please refund one payment"
    first = processed(
        running, lambda: running.create_ticket(text, subject="Charged", email="dana@club.example")
    )
    second = processed(
        running,
        lambda: running.create_ticket(text, subject="Charged", name="Omer Katz", email="omer@club.example"),
    )
    assert rows(running, Merge) == [] and running.ticket(second)["status"] != "closed"
    [refusal] = rows(running, MergeRefusal)
    assert refusal.reason == "different requesters"  # never automatically
    [row] = rows(running, MergeSuggestion)
    assert (row.source_ticket_id, row.target_ticket_id, row.reason) == (second, first, "same_organization")

    sidebar = Sidebar(running)
    [shown] = sidebar.suggestions(second)
    assert shown["why"].startswith("Two people of one organisation wrote")
    answer = sidebar.decide(second, shown, "merge")
    assert answer.status_code == 200, answer.text
    assert running.ticket(second)["status"] == "closed"
    # Across requesters the merge comments are private: neither customer reads about the other.
    assert not running.comments(second)[-1]["public"] and not running.comments(first)[-1]["public"]
    assert [c["body"] for c in running.comments(first) if c["public"]] == [text]
    [merge] = rows(running, Merge)
    assert merge.public is False and merge.evidence["cross_requester_org_id"] is not None
