"""Merge suggestions, the pure part: what is suggested instead of merged, and what is refused at
the agent's click."""

from datetime import UTC, datetime, timedelta

from service.domain.merging.policy import Candidate, MergeRules
from service.domain.merging.suggestions import (
    MERGED_ELSEWHERE,
    SKIP_TAG,
    SOURCE_NOT_OPEN,
    TARGET_NOT_OPEN,
    TICKET_GONE,
    SuggestionReason,
    explanation,
    refusal_now,
    status_name,
    suggest,
)
from service.web.i18n import say

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def ticket(ticket_id: int, minutes_ago: int, **fields) -> Candidate:
    values = dict(requester_id=7, status="open", requester_name="Dana Levi", requester_locale="en")
    values.update(fields)
    return Candidate(id=ticket_id, created_at=NOW - timedelta(minutes=minutes_ago), **values)


def test_one_requesters_texts_between_the_floor_and_the_threshold_are_suggested_into_the_older():
    newer, older = ticket(2, 1), ticket(1, 30)
    [suggestion] = suggest(newer, [older], {1: 0.62}, MergeRules(), NOW)
    assert (suggestion.source_id, suggestion.target_id) == (2, 1)
    assert (suggestion.reason, suggestion.score, suggestion.threshold) == (
        SuggestionReason.SIMILAR_TEXT,
        0.62,
        0.7,
    )
    [same] = suggest(older, [newer], {2: 0.62}, MergeRules(), NOW)
    assert (same.source_id, same.target_id) == (2, 1)  # whoever is reviewed, the older is the target


def test_below_the_floor_at_the_threshold_or_outside_the_window_nothing_is_suggested():
    newer, older = ticket(2, 1), ticket(1, 30)
    assert suggest(newer, [older], {1: 0.49}, MergeRules(), NOW) == []
    assert suggest(newer, [older], {1: 0.7}, MergeRules(), NOW) == []  # merged automatically instead
    assert suggest(newer, [ticket(1, 60 * 25)], {1: 0.6}, MergeRules(), NOW) == []
    assert suggest(newer, [older], {1: 0.6}, MergeRules(suggestion_floor=0.7), NOW) == []
    assert suggest(newer, [older], {1: 0.6}, MergeRules(), NOW, settled=frozenset({1})) == []
    assert suggest(newer, [older], {1: 0.6}, MergeRules(enabled=False), NOW) == []


def test_colleagues_writing_alike_are_suggested_only_when_the_organisation_rule_is_on():
    mine, theirs = ticket(2, 1, organization_id=40), ticket(1, 9, requester_id=8, organization_id=40)
    [suggestion] = suggest(mine, [theirs], {1: 0.95}, MergeRules(), NOW)
    assert suggestion.reason == SuggestionReason.SAME_ORGANIZATION and suggestion.target_id == 1
    assert suggest(mine, [theirs], {1: 0.95}, MergeRules(suggest_same_organization=False), NOW) == []
    assert suggest(mine, [theirs], {1: 0.6}, MergeRules(), NOW) == []  # alike is not enough here
    allowed = MergeRules(cross_requester_org_ids=frozenset({40}))
    assert suggest(mine, [theirs], {1: 0.95}, allowed, NOW) == []  # merged automatically instead
    stranger = ticket(1, 9, requester_id=8, organization_id=41)
    assert suggest(mine, [stranger], {1: 0.95}, MergeRules(), NOW) == []


def test_suggestions_keep_the_automatic_merges_guards():
    newer = ticket(2, 1)
    for older in (
        ticket(1, 30, status="solved"),
        ticket(1, 30, channel="whatsapp"),
        ticket(1, 30, tags=("incidentdesk_no_merge",)),
        ticket(1, 30, requester_tags=("reseller",)),
    ):
        rules = MergeRules(intermediary_tags=frozenset({"reseller"}))
        assert suggest(newer, [older], {1: 0.6}, rules, NOW) == [], older
    assert (
        suggest(ticket(2, 1, agent_replied_publicly=True), [ticket(1, 30)], {1: 0.6}, MergeRules(), NOW) == []
    )
    [into_newer] = suggest(newer, [ticket(1, 30, status="hold")], {1: 0.6}, MergeRules(), NOW)
    assert (into_newer.source_id, into_newer.target_id) == (1, 2)  # Zendesk refuses an on-hold target


def test_the_explanation_is_said_in_the_agents_language():
    why = explanation("similar_text", 0.624, 0.7)
    assert why == "The two requests are 62% alike, below the 70% at which they are merged automatically."
    assert "62%" in say(why, "he") and say(why, "he") != why
    assert "62%" in say(why, "bg") and say(why, "bg") != why


def test_at_the_click_the_tickets_as_zendesk_has_them_decide():
    rules = MergeRules()
    live = {2: ticket(2, 1), 1: ticket(1, 30)}
    assert refusal_now(source_id=2, target_id=1, live=live, merged_into={}, rules=rules) is None
    solved = {**live, 1: ticket(1, 30, status="solved")}
    refused = refusal_now(source_id=2, target_id=1, live=solved, merged_into={}, rules=rules)
    assert refused == TARGET_NOT_OPEN(ticket_id=1, status=status_name("solved"))
    assert "נפתרה" in say(refused, "he") and "решено" in say(refused, "bg")
    closed = {**live, 2: ticket(2, 1, status="closed")}
    assert refusal_now(source_id=2, target_id=1, live=closed, merged_into={}, rules=rules) == SOURCE_NOT_OPEN(
        ticket_id=2, status=status_name("closed")
    )
    assert refusal_now(
        source_id=2, target_id=1, live=live, merged_into={1: 9}, rules=rules
    ) == MERGED_ELSEWHERE(ticket_id=1, target_id=9)
    assert refusal_now(
        source_id=2, target_id=1, live={2: live[2]}, merged_into={}, rules=rules
    ) == TICKET_GONE(ticket_id=1)
    tagged = {**live, 2: ticket(2, 1, tags=("incidentdesk_no_merge",))}
    assert refusal_now(source_id=2, target_id=1, live=tagged, merged_into={}, rules=rules) == SKIP_TAG(
        ticket_id=2, tag="incidentdesk_no_merge"
    )
