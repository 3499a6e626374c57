"""Triage signals: a legal or safety threat in any language (inflected too), a repeat contact and
a VIP raise the priority (never lower it), tag the ticket and can route it, each explained."""

from __future__ import annotations

import pytest

from service.domain.linking.facts import TicketFacts
from service.domain.linking.triage import triage
from service.domain.linking.triage_rules import REPEAT_TAG, THREAT_TAG, VIP_TAG, TriageRules

RULES = TriageRules(group_id=360042)


def ticket(text: str, **extra) -> TicketFacts:
    return TicketFacts(id=1, subject="Checkout", description=text, status="new", requester_id=7, **extra)


@pytest.mark.parametrize(
    "text",
    [
        "Checkout charged me twice, my lawyer will hear about this",
        "אם לא תחזירו את הכסף אני פונה לעורך דין",
        "Ще се обърна към адвоката си, ако не върнете парите",  # the inflected form
        "Я подам в суд, если деньги не вернут",
        "سأتصل بمحامي إذا لم تعيدوا المال",
        "The charger caught fire and my son was injured",
    ],
)
def test_a_legal_or_safety_threat_in_any_language_goes_to_the_head_of_the_queue(text):
    result = triage(ticket(text), RULES)
    assert result.priority == "urgent" and THREAT_TAG in result.tags and result.group_id == 360042
    assert any(line.startswith("Legal or safety threat: the customer wrote “") for line in result.reasons)


def test_an_ordinary_complaint_has_no_signal():
    result = triage(ticket("Checkout fails when I pay, please help"), RULES)
    assert (result.priority, result.tags, result.group_id, result.reasons) == (None, (), None, ())


def test_repeat_contacts_raise_to_high_from_the_threshold_on():
    assert triage(ticket("checkout fails"), RULES, earlier_contacts=2).tags == ()
    third = triage(ticket("checkout fails"), RULES, earlier_contacts=3)
    assert (third.priority, third.tags) == ("high", (REPEAT_TAG,))
    assert "Repeat contact: 3 earlier tickets" in third.reasons[0]
    assert triage(ticket("checkout fails"), TriageRules(repeat_contacts=0), earlier_contacts=99).tags == ()


def test_signals_add_up_and_the_priority_is_never_lowered():
    vip_and_repeat = triage(ticket("checkout fails", requester_tags=("vip",)), RULES, earlier_contacts=5)
    assert vip_and_repeat.priority == "urgent" and set(vip_and_repeat.tags) == {VIP_TAG, REPEAT_TAG}
    already_urgent = triage(ticket("checkout fails", priority="urgent"), RULES, earlier_contacts=5)
    assert already_urgent.priority is None and already_urgent.tags == (REPEAT_TAG,)
    assert not any("Priority raised" in line for line in already_urgent.reasons)


def test_an_accounts_own_words_replace_the_defaults():
    rules = TriageRules(threat_phrases=("ombudsman",), threat_priority="high")
    assert triage(ticket("I wrote to the ombudsman"), rules).priority == "high"
    assert triage(ticket("my lawyer will hear of it"), rules).tags == ()


def test_the_customer_at_a_glance_line():
    from datetime import UTC, datetime

    from service.domain.linking.glance import Reached, at_a_glance

    facts = ticket("x", organization_tags=(), requester_tags=("vip",))
    facts = TicketFacts(
        **{
            **facts.__dict__,
            "customer_since": datetime(2024, 3, 1, tzinfo=UTC),
            "organization_name": "Acme {{x}}",
        }
    )
    line = at_a_glance(facts, (VIP_TAG,), 2, (Reached("Sorry", "SORRY-AB12-CD34"), Reached("Later", None)))
    assert (
        line.startswith("The customer: since 2024-03-01 · organisation “Acme {{\u200bx}}”") or "Acme" in line
    )
    assert "VIP · 2 earlier tickets about incidents" in line
    assert "reached by outreach “Sorry” (coupon SORRY-AB12-CD34) · reached by outreach “Later”." in line
    assert "{{x}}" not in line  # a customer-controlled name cannot become a helpdesk placeholder
    assert "1 earlier ticket about" in at_a_glance(facts, (), 1, ())


def test_a_valuable_customer_by_their_field_or_their_organisations():
    from dataclasses import replace

    from service.domain.linking.triage_rules import VALUE_TAG

    rules = TriageRules(value_field="lifetime_value", value_at_least=1000)
    rich = replace(ticket("checkout fails"), requester_fields={"lifetime_value": "12,500"})
    result = triage(rich, rules)
    assert (result.priority, result.tags) == ("high", (VALUE_TAG,))
    assert "Valuable customer: lifetime_value is 12500 (from 1000)." in result.reasons
    through_org = replace(ticket("checkout fails"), organization_fields={"lifetime_value": 5000})
    assert triage(through_org, rules).tags == (VALUE_TAG,)
    for worth in ({"lifetime_value": 999}, {"lifetime_value": "n/a"}, {"lifetime_value": True}, {}):
        assert triage(replace(ticket("x"), requester_fields=worth), rules).tags == ()


def test_a_long_wait_from_the_tickets_creation():
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    from service.domain.linking.triage_rules import WAITING_TAG

    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    rules = TriageRules(waiting_hours=4)
    old = replace(ticket("checkout fails"), created_at=now - timedelta(hours=5))
    result = triage(old, rules, now=now)
    assert (
        result.tags == (WAITING_TAG,) and "Long wait: the ticket was opened 5.0 hours ago." in result.reasons
    )
    fresh = replace(old, created_at=now - timedelta(hours=1))
    assert triage(fresh, rules, now=now).tags == () and triage(old, rules).tags == ()  # no clock, no signal
