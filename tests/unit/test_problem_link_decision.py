"""A ticket under an active incident's problem ticket (an agent's problem link, or an adopted
problem's incidents) is linked to that incident though no rule matches, and before a phrase
match of another incident; everything that already leaves a ticket alone still does."""

from __future__ import annotations

from datetime import UTC, datetime

from service.domain.linking.decisions import PROBLEM_LINK, LeaveAlone, LinkTicket, decide
from service.domain.linking.facts import IncidentFacts, TicketFacts
from service.domain.linking.matching import PhraseMatcher, PhraseRule

PROBLEM = 500


def incident(incident_id: int, phrases: tuple[str, ...], problem: int | None) -> IncidentFacts:
    return IncidentFacts(
        id=incident_id,
        title=f"Incident {incident_id}",
        tag=f"incident_{incident_id}",
        problem_ticket_id=problem,
        status_version=1,
        status_texts={"en": "We are on it.", "he": "אנחנו מטפלים בזה."},
        created_at=datetime(2026, 12, incident_id, tzinfo=UTC),
        phrases=phrases,
    )


def decided(text: str, *incidents: IncidentFacts, known=frozenset(), **ticket):
    by_id = {i.id: i for i in incidents}
    matcher = PhraseMatcher(PhraseRule(i.id, p) for i in incidents for p in i.phrases)
    ticket = {"status": "open", **ticket}
    facts = TicketFacts(id=9, subject="Help", description=text, requester_id=1, **ticket)
    return decide(facts, by_id, matcher.match(text), frozenset(known))


def test_a_ticket_under_the_problem_is_linked_without_any_rule_matching():
    adopted = incident(1, ("checkout fails",), PROBLEM)
    decision = decided("My parcel never came", adopted, type="incident", problem_id=PROBLEM)
    assert isinstance(decision, LinkTicket)
    assert (decision.incident_id, decision.problem_id) == (1, PROBLEM)
    assert decision.evidence["rule"] == PROBLEM_LINK
    assert f"problem ticket #{PROBLEM}" in decision.internal_note
    assert decision.public_comment.startswith("We are on it.")


def test_the_problem_link_beats_another_incidents_phrase_match():
    adopted = incident(1, ("checkout fails",), PROBLEM)
    other = incident(2, ("parcel never came",), 600)
    decision = decided("My parcel never came", other, adopted, problem_id=PROBLEM)
    assert isinstance(decision, LinkTicket) and decision.incident_id == 1
    assert decision.evidence["competing_incidents"] == [1, 2]
    assert "problem ticket #500 (a problem link)" in decision.internal_note
    assert "matched best" not in decision.internal_note


def test_without_the_link_the_rules_decide_as_before():
    adopted = incident(1, ("checkout fails",), PROBLEM)
    assert isinstance(decided("My parcel never came", adopted, problem_id=None), LeaveAlone)
    assert isinstance(decided("My parcel never came", adopted, problem_id=777), LeaveAlone)
    decision = decided("checkout fails", adopted)
    assert isinstance(decision, LinkTicket) and decision.evidence["rule"] == "phrase"


def test_handled_solved_and_problem_tickets_are_still_left_alone():
    adopted = incident(1, ("checkout fails",), PROBLEM)
    assert isinstance(decided("x", adopted, problem_id=PROBLEM, known={1}), LeaveAlone)  # unlinked once
    assert isinstance(decided("x", adopted, problem_id=PROBLEM, status="solved"), LeaveAlone)
    assert isinstance(decided("x", adopted, problem_id=PROBLEM, type="problem"), LeaveAlone)
