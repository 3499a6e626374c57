"""What an admin may write as an incident rule, and what they are told when it cannot be used."""

from datetime import UTC, datetime

import pytest

from service.domain.linking.rules import (
    KINDS,
    Audience,
    FieldCondition,
    InvalidRule,
    RuleSpec,
    Window,
    validate_rule,
)

NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
FIELDS = {360001: "Order number", 360002: "Product"}


@pytest.mark.parametrize(
    "kind, raw, expected",
    [
        (
            "phrase",
            "checkout fails\ncan't pay\n\n  התשלום   באתר ",
            ("checkout fails", "can't pay", "התשלום באתר"),
        ),
        (
            "phrase",
            ["Checkout", "checkout", "CHECKOUT fails", "плащане"],
            ("Checkout", "CHECKOUT fails", "плащане"),
        ),
        ("exclude_phrase", "test ticket", ("test ticket",)),
        ("regex", r"  order #?\d{6}  ", r"order #?\d{6}"),
        ("tags_any", "VIP, checkout  vip", ("vip", "checkout")),
        ("tags_all", ["vip", "b2b"], ("vip", "b2b")),
        (
            "custom_field",
            "360001 = A-1001, A-1002",
            FieldCondition(360001, ("A-1001", "A-1002"), "Order number"),
        ),
        (
            "custom_field",
            {"field_id": "360002", "value": "Trail shoe  X"},
            FieldCondition(360002, ("Trail shoe X",), "Product"),
        ),
        ("form", "101 102, 101", (101, 102)),
        ("brand", [7], (7,)),
        ("organization", "900", (900,)),
        ("channel", "Email, web chat", ("email", "web", "chat")),
        ("requester", "12\nAnna@Example.com; 12", Audience((12,), ("anna@example.com",))),
        (
            "created_within",
            "2026-11-22T14:00Z / 2026-11-22T20:00+02:00",
            Window(
                datetime(2026, 11, 22, 14, 0, tzinfo=UTC), datetime.fromisoformat("2026-11-22T20:00+02:00")
            ),
        ),
        (
            "created_within",
            {"start": "2026-11-22T14:00"},
            Window(datetime(2026, 11, 22, 14, 0, tzinfo=UTC), None),
        ),
    ],
)
def test_valid_rules_are_cleaned(kind, raw, expected):
    assert validate_rule(kind, raw, known_fields=FIELDS, now=NOW) == RuleSpec(kind, expected)


@pytest.mark.parametrize(
    "kind, raw, message",
    [
        ("keyword", "checkout", "Unknown rule kind 'keyword'; use one of: phrase, exclude_phrase"),
        ("phrase", "", "Add at least one phrase"),
        ("phrase", " \n\t\n ", "Add at least one phrase"),
        ("phrase", [], "Add at least one phrase"),
        ("phrase", "?!\ncheckout", "The phrase '?!' has no letters or digits"),
        ("phrase", "x" * 201, "longer than 200 characters"),
        ("exclude_phrase", None, "Add at least one phrase"),
        (
            "regex",
            "(unclosed",
            "The regular expression is invalid: missing ), unterminated subpattern at position 0",
        ),
        ("regex", "[z-a]", "The regular expression is invalid: bad character range z-a"),
        ("regex", "(checkout)?", "also matches empty text, so it would match every ticket"),
        ("regex", "", "Write a regular expression"),
        ("regex", "a" * 301, "under 300 characters"),
        ("tags_any", " , ", "Give at least one tag"),
        (
            "custom_field",
            "999 = x",
            "Unknown custom field 999; the helpdesk has these fields: 360001 (Order number), "
            "360002 (Product)",
        ),
        ("custom_field", "360001 =", "Give at least one value for field 360001"),
        ("custom_field", "Order number = A-1", "Write the field's numeric id and the values"),
        ("form", "101 checkout", "'checkout' is not a valid form id"),
        ("brand", "", "Give at least one brand id"),
        ("organization", "0", "'0' is not a valid organisation id"),
        ("channel", "e-mail", "'e-mail' is not a channel name"),
        ("requester", "anna", "'anna' is neither a user id nor an email address"),
        ("requester", "", "List the affected customers"),
        ("created_within", "", "Give the window's start"),
        ("created_within", "yesterday / tomorrow", "The start 'yesterday ' is not a date and time"),
        ("created_within", "2026-11-22T14:00Z / 2026-11-22T13:00Z", "The window is empty"),
        ("created_within", "2026-11-22T14:00Z / 2026-11-22T14:00Z", "The window is empty"),
        (
            "created_within",
            "2026-11-21T08:00Z / 2026-11-21T12:00Z",
            "The window ended at 2026-11-21 12:00 UTC, in the past",
        ),
    ],
)
def test_invalid_rules_say_what_to_fix(kind, raw, message):
    with pytest.raises(InvalidRule) as error:
        validate_rule(kind, raw, known_fields=FIELDS, now=NOW)
    assert message in str(error.value)


def test_custom_field_ids_are_not_checked_when_the_fields_are_not_known():
    assert validate_rule("custom_field", "42 = x").value == FieldCondition(42, ("x",))


def test_every_kind_has_a_description_and_a_parser():
    samples = {
        "phrase": "a",
        "exclude_phrase": "a",
        "regex": "a",
        "tags_any": "a",
        "tags_all": "a",
        "custom_field": "1 = a",
        "form": "1",
        "brand": "1",
        "channel": "web",
        "organization": "1",
        "requester": "1",
        "created_within": "2026-11-22T14:00Z",
    }
    assert set(samples) == set(KINDS)
    for kind, raw in samples.items():
        assert validate_rule(kind, raw, now=NOW).kind == kind
