"""The merge policy: who may be merged into what, and why not."""

from datetime import UTC, datetime, timedelta

from service.domain.merging.policy import Candidate, Grouping, MergeInto, MergeRules, Refusal, review

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def ticket(ticket_id: int, minutes_ago: int, **fields) -> Candidate:
    values = dict(
        requester_id=7, status="open", incident_id=3, requester_name="Dana Levi", requester_locale="en"
    )
    values.update(fields)
    return Candidate(id=ticket_id, created_at=NOW - timedelta(minutes=minutes_ago), **values)


def test_newer_ticket_of_the_same_requester_and_incident_merges_into_the_older():
    [outcome] = review(ticket(2, 1, channel="chat"), [ticket(1, 30, channel="email")], {}, MergeRules(), NOW)
    assert isinstance(outcome, MergeInto)
    assert (outcome.source_id, outcome.target_id, outcome.reason, outcome.public) == (
        2,
        1,
        "same_incident",
        True,
    )
    assert "#1" in outcome.source_comment and outcome.source_comment.startswith("Hi Dana")
    assert "#2" in outcome.target_comment


def test_the_older_ticket_under_review_takes_the_newer_one_in():
    [outcome] = review(ticket(1, 30), [ticket(2, 1)], {}, MergeRules(), NOW)
    assert (outcome.source_id, outcome.target_id) == (2, 1)


def test_target_is_the_oldest_of_the_group_for_every_reviewer():
    group = [ticket(1, 50), ticket(2, 20), ticket(3, 5)]
    for me in group:
        outcomes = review(me, [t for t in group if t is not me], {}, MergeRules(), NOW)
        assert {(o.source_id, o.target_id) for o in outcomes} == {(2, 1), (3, 1)}


def test_comments_follow_the_requesters_language():
    [outcome] = review(
        ticket(2, 1, requester_locale="bg-BG", requester_name="Иван Петров"),
        [ticket(1, 9)],
        {},
        MergeRules(),
        NOW,
    )
    assert outcome.locale == "bg" and outcome.source_comment.startswith("Здравейте, Иван")
    [hebrew] = review(ticket(2, 1, requester_locale="he"), [ticket(1, 9)], {}, MergeRules(), NOW)
    assert hebrew.locale == "he" and "#1" in hebrew.source_comment


def test_different_requesters_are_refused_unless_their_organisation_is_allowed_and_then_private():
    mine, theirs = ticket(2, 1, organization_id=40), ticket(1, 9, requester_id=8, organization_id=40)
    [refusal] = review(mine, [theirs], {}, MergeRules(), NOW)
    assert isinstance(refusal, Refusal) and refusal.reason == "different requesters"
    [merge] = review(mine, [theirs], {}, MergeRules(cross_requester_org_ids=frozenset({40})), NOW)
    assert isinstance(merge, MergeInto) and merge.public is False
    assert merge.evidence["target_requester_id"] == 8 and merge.evidence["cross_requester_org_id"] == 40


def test_closed_solved_shared_and_skip_tagged_tickets_are_refused_with_reasons():
    cases = {
        "is closed": ticket(1, 9, status="closed"),
        "is solved": ticket(1, 9, status="solved"),
        "came through twitter": ticket(1, 9, channel="twitter"),
        "came through any_channel": ticket(1, 9, channel="any_channel"),
        "skip tag incidentdesk_no_merge": ticket(1, 9, tags=("incidentdesk_no_merge",)),
    }
    for words, other in cases.items():
        [refusal] = review(ticket(2, 1), [other], {}, MergeRules(), NOW)
        assert isinstance(refusal, Refusal) and words in refusal.reason, (words, refusal)


def test_on_hold_older_ticket_leaves_a_newer_open_one_as_target():
    [outcome] = review(ticket(2, 1), [ticket(1, 9, status="hold")], {}, MergeRules(), NOW)
    assert (outcome.source_id, outcome.target_id) == (1, 2)


def test_agent_public_reply_on_the_source_blocks_unless_configured():
    source = ticket(2, 1, agent_replied_publicly=True)
    [refusal] = review(source, [ticket(1, 9)], {}, MergeRules(), NOW)
    assert isinstance(refusal, Refusal) and "replied publicly" in refusal.reason
    [merge] = review(source, [ticket(1, 9)], {}, MergeRules(merge_after_agent_reply=True), NOW)
    assert isinstance(merge, MergeInto)


def test_intermediaries_are_grouped_by_requester_tag_organisation_or_order_field():
    rules = MergeRules(
        intermediary_tags=frozenset({"reseller"}), intermediary_org_ids=frozenset({55}), order_field_id=900
    )
    [by_tag] = review(ticket(2, 1, requester_tags=("reseller",)), [ticket(1, 9)], {}, rules, NOW)
    [by_org] = review(ticket(2, 1, organization_id=55), [ticket(1, 9, organization_id=55)], {}, rules, NOW)
    [by_order] = review(
        ticket(2, 1, custom_fields={900: "A-1"}), [ticket(1, 9, custom_fields={900: "B-2"})], {}, rules, NOW
    )
    assert all(isinstance(o, Grouping) for o in (by_tag, by_org, by_order))
    [same_order] = review(
        ticket(2, 1, custom_fields={900: "A-1"}), [ticket(1, 9, custom_fields={900: "A-1"})], {}, rules, NOW
    )
    assert isinstance(same_order, MergeInto)


def test_without_an_incident_near_identical_text_within_the_window_merges():
    rules = MergeRules(window=timedelta(hours=2), similarity_threshold=0.7)
    me, earlier = ticket(2, 1, incident_id=None), ticket(1, 30, incident_id=None)
    [merge] = review(me, [earlier], {1: 0.92}, rules, NOW)
    assert merge.reason == "near_duplicate_text" and merge.evidence["similarity"] == 0.92
    assert review(me, [earlier], {1: 0.5}, rules, NOW) == []
    assert review(me, [ticket(1, 300, incident_id=None)], {1: 0.95}, rules, NOW) == []


def test_merging_switched_off_or_no_requester_does_nothing():
    assert review(ticket(2, 1), [ticket(1, 9)], {}, MergeRules(enabled=False), NOW) == []
    assert review(ticket(2, 1, requester_id=None), [ticket(1, 9)], {}, MergeRules(), NOW) == []


def test_a_private_ticket_on_either_side_forces_private_merge_comments():
    for source_public, target_public in ((False, True), (True, False)):
        [outcome] = review(
            ticket(2, 1, is_public=source_public),
            [ticket(1, 30, is_public=target_public)],
            {},
            MergeRules(),
            NOW,
        )
        assert isinstance(outcome, MergeInto) and outcome.public is False


def test_an_organisation_tagged_as_intermediary_is_grouped_not_merged():
    rules = MergeRules(intermediary_tags=frozenset({"reseller"}))
    [outcome] = review(
        ticket(2, 1, organization_id=9, organization_tags=("reseller",)),
        [ticket(1, 30, organization_id=9, organization_tags=("reseller",))],
        {},
        rules,
        NOW,
    )
    assert isinstance(outcome, Grouping) and "organisation of #2" in outcome.reason
