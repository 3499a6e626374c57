"""Each rule kind against real tickets, how an incident's rules combine, and the preview."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from service.domain.linking.evaluation import evaluate, judge, preview
from service.domain.linking.facts import TicketFacts
from service.domain.linking.rules import validate_rule

NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
BASE = TicketFacts(
    id=1,
    subject="",
    description="",
    status="new",
    requester_id=501,
    tags=("checkout", "web_order"),
    channel="email",
    organization_id=900,
    brand_id=7,
    form_id=101,
    created_at=datetime(2026, 11, 22, 14, 30, tzinfo=UTC),
    custom_fields={360001: "A-1001", 360002: ["Trail shoe X", "Helmet"], 360003: True, 360004: None},
)


def ticket(text="", **changes):
    subject, _, description = text.partition("\n")
    return replace(BASE, subject=subject, description=description, **changes)


def rule(kind, raw):
    return validate_rule(kind, raw, now=NOW)


PHRASES = "checkout fails\ncan't pay\nתשלום באתר\nплащането не минава"


@pytest.mark.parametrize(
    "kind, raw, facts, matched, why",
    [
        # phrases, in the customers' own words
        (
            "phrase",
            PHRASES,
            ticket("Help\nCheckout fails with error 500"),
            True,
            "mentions “checkout fails” (“Checkout fails”)",
        ),
        ("phrase", PHRASES, ticket("I can’t pay on your site"), True, "“can't pay” (“can’t pay”)"),
        ("phrase", PHRASES, ticket("התשלום באתר לא עובד"), True, "“תשלום באתר” (“התשלום באתר”)"),
        ("phrase", PHRASES, ticket("Плащането НЕ МИНАВА от сутринта"), True, "(“Плащането НЕ МИНАВА”)"),
        ("phrase", PHRASES, ticket("The checkout page is slow"), False, "only part of one: “checkout”"),
        (
            "phrase",
            PHRASES,
            ticket("Where is my parcel?"),
            False,
            "mentions none of “checkout fails”, “can't pay”, “תשלום באתר”, … (+1)",
        ),
        (
            "exclude_phrase",
            "test ticket",
            ticket("Checkout fails - TEST TICKET"),
            False,
            "mentions the exclusion “test ticket”",
        ),
        (
            "exclude_phrase",
            "test ticket",
            ticket("Checkout fails"),
            True,
            "mentions none of the exclusions “test ticket”",
        ),
        # regular expression over subject and description
        (
            "regex",
            r"order #?\d{6}",
            ticket("Order #123456 missing"),
            True,
            "matches /order #?\\d{6}/ (“Order #123456”)",
        ),
        ("regex", r"order #?\d{6}", ticket("Order 12345 missing"), False, "does not match /order #?\\d{6}/"),
        # tags
        ("tags_any", "vip checkout", ticket(), True, "is tagged checkout"),
        ("tags_any", "vip b2b", ticket(), False, "has none of the tags vip, b2b"),
        (
            "tags_all",
            "checkout web_order",
            ticket(tags=("Checkout", "web_order", "x")),
            True,
            "has all the tags checkout, web_order",
        ),
        ("tags_all", "checkout vip b2b", ticket(), False, "lacks the tags vip, b2b"),
        # custom fields: text, multi-select, checkbox, empty
        ("custom_field", "360001 = a-1001, A-1002", ticket(), True, "field 360001 is “A-1001”"),
        ("custom_field", "360001 = A-2000", ticket(), False, "field 360001 is “A-1001”, not “A-2000”"),
        ("custom_field", "360002 = helmet", ticket(), True, "field 360002 is “Helmet”"),
        ("custom_field", "360003 = true", ticket(), True, "field 360003 is “true”"),
        ("custom_field", "360004 = x", ticket(), False, "field 360004 is empty"),
        ("custom_field", "360099 = x", ticket(), False, "field 360099 is empty"),
        # form, brand, organisation, channel
        ("form", "101 102", ticket(), True, "form is 101"),
        ("form", "102", ticket(form_id=None), False, "has no form"),
        ("brand", "8 9", ticket(), False, "brand is 7, not 8 / 9"),
        ("organization", "900", ticket(), True, "organisation is 900"),
        ("channel", "Email chat", ticket(), True, "channel is email"),
        ("channel", "chat", ticket(), False, "channel is email, not chat"),
        # affected customers
        ("requester", "501 777", ticket(), True, "requester 501 is on the affected-customers list"),
        (
            "requester",
            "777\nx@example.com",
            ticket(),
            False,
            "requester 501 is not on the affected-customers list (2 customers)",
        ),
        # creation window
        (
            "created_within",
            "2026-11-22T14:00Z / 2026-11-22T16:00Z",
            ticket(),
            True,
            "created 2026-11-22 14:30 UTC, within the window 2026-11-22 14:00 UTC – 2026-11-22 16:00 UTC",
        ),
        (
            "created_within",
            "2026-11-22T14:45Z",
            ticket(),
            False,
            "before the window 2026-11-22 14:45 UTC – …",
        ),
        (
            "created_within",
            "2026-11-22T14:00+02:00 / 2026-11-22T18:00+02:00",
            ticket(created_at=datetime(2026, 11, 22, 16, 30, tzinfo=UTC)),
            False,
            "after the window 2026-11-22 12:00 UTC – 2026-11-22 16:00 UTC",
        ),
        (
            "created_within",
            "2026-11-22T14:00Z",
            ticket(created_at=datetime(2026, 11, 22, 14, 10)),
            True,
            "created 2026-11-22 14:10 UTC",
        ),
        ("created_within", "2026-11-22T14:00Z", ticket(created_at=None), False, "creation time is unknown"),
    ],
)
def test_each_rule_kind(kind, raw, facts, matched, why):
    outcome = evaluate(rule(kind, raw), facts)
    assert outcome.matched is matched
    assert why in outcome.why


def test_affected_customers_named_by_email():
    spec = rule("requester", "Anna@Example.com")
    assert evaluate(spec, ticket(), requester_email="anna@example.COM").matched
    outcome = evaluate(spec, ticket(), requester_email="bob@example.com")
    assert not outcome.matched and "requester 501 bob@example.com is not on" in outcome.why


INCIDENT = [
    rule("phrase", "checkout fails"),
    rule("phrase", "can't pay"),
    rule("exclude_phrase", "test ticket"),
    rule("brand", "7"),
    rule("brand", "8"),
    rule("created_within", "2026-11-22T14:00Z"),
]


def test_kinds_must_all_hold_and_rules_of_one_kind_are_alternatives():
    verdict = judge(INCIDENT, ticket("I can't pay", brand_id=8))
    assert verdict.matched and verdict.failing_kinds == ()
    assert "“can't pay”" in verdict.why and "brand is 8" in verdict.why and "within the window" in verdict.why


@pytest.mark.parametrize(
    "facts, failing, near, why",
    [
        (ticket("Checkout fails", brand_id=9), ("brand",), True, "brand is 9, not 7"),
        (
            ticket("Checkout fails, test ticket"),
            ("exclude_phrase",),
            True,
            "mentions the exclusion “test ticket”",
        ),
        (ticket("The checkout is slow"), ("phrase",), True, "only part of one: “checkout”"),
        (ticket("Where is my parcel?"), ("phrase",), False, "mentions none of"),
        (ticket("Where is my parcel?", brand_id=9), ("phrase", "brand"), False, "brand is 9"),
    ],
)
def test_failing_tickets_say_which_rules_failed(facts, failing, near, why):
    verdict = judge(INCIDENT, facts)
    assert not verdict.matched
    assert verdict.failing_kinds == failing and verdict.near_miss is near
    assert why in verdict.why


def test_an_incident_of_exclusions_only_matches_nothing():
    verdict = judge([rule("exclude_phrase", "test")], ticket("anything"))
    assert not verdict.matched and verdict.why == "the incident has no rule that selects tickets"


def test_preview_lists_matches_and_near_misses_with_reasons():
    recent = [
        ticket("Checkout fails", id=11),
        ticket("checkout fails", id=12, brand_id=9),
        ticket("Hello", id=13),
        ticket("התשלום נכשל, can't pay", id=14),
        ticket("checkout fails", id=15, created_at=datetime(2026, 11, 22, 13, 0, tzinfo=UTC)),
        ticket("I can't pay", id=16, requester_id=None),
    ]
    result = preview(INCIDENT, recent, limit=2)
    assert [p.ticket_id for p in result.matches] == [11, 14]
    assert (result.match_count, result.near_miss_count, result.ticket_count) == (3, 2, 6)
    assert [(p.ticket_id, p.verdict.failing_kinds) for p in result.near_misses] == [
        (12, ("brand",)),
        (15, ("created_within",)),
    ]
    assert "before the window" in result.near_misses[1].verdict.why


def test_preview_looks_up_requester_emails_by_requester_id():
    specs = [rule("requester", "anna@example.com")]
    result = preview(
        specs, [ticket(id=1), ticket(id=2, requester_id=502)], requester_emails={502: "Anna@example.com"}
    )
    assert [p.ticket_id for p in result.matches] == [2]
