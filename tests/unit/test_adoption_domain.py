"""Which helpdesk tickets a new incident may adopt as its problem ticket, and the draft's check."""

import pytest

from service.domain.adoption import ProblemTicketTaken, delivery_key, owner_refusal, ticket_refusal
from service.domain.incidents import InvalidIncident, clean_draft


def test_only_an_existing_unclosed_problem_ticket_may_be_adopted():
    assert ticket_refusal(7, found=True, ticket_type="problem", status="open") is None
    assert ticket_refusal(7, found=True, ticket_type="problem", status="solved") is None
    assert ticket_refusal(7, found=False, ticket_type=None, status=None).key == "adopt.no_such_ticket"
    assert ticket_refusal(7, found=True, ticket_type="incident", status="open").key == "adopt.not_a_problem"
    assert ticket_refusal(7, found=True, ticket_type=None, status="new").key == "adopt.not_a_problem"
    assert ticket_refusal(7, found=True, ticket_type="problem", status="closed").key == "adopt.closed"


def test_another_incidents_problem_ticket_is_a_conflict_naming_it():
    active, resolved = owner_refusal(7, 3, "active"), owner_refusal(7, 4, "resolved")
    assert isinstance(active, ProblemTicketTaken) and "active incident 3" in str(active)
    assert "reopen" in str(resolved) and "incident 4" in str(resolved)
    assert delivery_key(3, 7) == "adopted:3:7"


@pytest.mark.parametrize("given", ["12x", -5, True, 2**64, "1.5"])
def test_the_draft_takes_a_problem_ticket_number_or_nothing(given):
    draft = clean_draft("Late", ["courier strike"], {"en": "On it."}, problem_ticket_id=" 42 ")
    assert draft.problem_ticket_id == 42
    assert clean_draft("Late", ["courier strike"], {"en": "On it."}).problem_ticket_id is None
    with pytest.raises(InvalidIncident) as refused:
        clean_draft("Late", ["courier strike"], {"en": "On it."}, problem_ticket_id=given)
    assert "problem_ticket_id" in refused.value.errors


def test_shadow_mode_cannot_adopt():
    with pytest.raises(InvalidIncident) as refused:
        clean_draft("Late", ["x y"], {"en": "On it."}, problem_ticket_id=42, shadow_mode=True)
    assert refused.value.errors["problem_ticket_id"][0].key == "adopt.shadow"
