"""The vendors' documented payloads read into events, and what each event does here."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.domain.sources.decisions import Known, ProposalState, SourceRules, Step, plan, status_texts
from service.domain.sources.events import PayloadRefused, SourceEvent, read_event

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sources"


def fixture(vendor: str, name: str) -> bytes:
    return (FIXTURES / vendor / f"{name}.json").read_bytes()


@pytest.mark.parametrize(
    "name, stage, text",
    [
        ("incident.triggered", "investigating", None),
        ("incident.acknowledged", "identified", None),
        ("incident.resolved", "resolved", None),
        ("incident.status_update_published", None, "A fix for this incident is being developed"),
    ],
)
def test_pagerduty_events(name, stage, text):
    event = read_event("pagerduty", fixture("pagerduty", name), {"x-webhook-id": "wh-1"})
    assert (event.handled, event.external_id, event.stage, event.text) == (True, "PGR0VU2", stage, text)
    assert event.delivery_key == "wh-1"


def test_pagerduty_triggered_names_its_service_and_title():
    event = read_event("pagerduty", fixture("pagerduty", "incident.triggered"), {})
    assert event.title == "A little bump in the road" and event.scopes == ("PF9KMXH",)
    assert event.delivery_key == "01HZXAMPLETRIGGERED0000001"  # event.id without X-Webhook-Id


@pytest.mark.parametrize("name", ["incident.annotated", "pagey.ping", "incident.priority_updated"])
def test_pagerduty_notes_pings_and_other_changes_are_ignored(name):
    assert not read_event("pagerduty", fixture("pagerduty", name), {}).handled


@pytest.mark.parametrize(
    "name, stage, text",
    [
        ("public_incident.incident_created_v2", "investigating", "Our database is really really sad"),
        ("public_incident.incident_updated_v2", "investigating", None),
        ("public_incident.incident_status_updated_v2", "investigating", "We're working on a fix"),
    ],
)
def test_incident_io_events(name, stage, text):
    event = read_event("incident_io", fixture("incident_io", name), {"webhook-id": "msg_1"})
    assert event.handled and event.external_id == "01FDAG4SAP5TYPT98WGR2N7W91"
    assert event.stage == stage and event.title == "Our database is sad" and event.scopes == ("Minor",)
    assert (event.text or "").startswith(text or "") and (text is not None) == (event.text is not None)


def test_incident_io_private_incidents_are_ignored():
    assert not read_event(
        "incident_io", fixture("incident_io", "private_incident.incident_created_v2"), {}
    ).handled


def test_statuspage_incident_takes_the_newest_update_and_keys_on_id_and_time():
    event = read_event("statuspage", fixture("statuspage", "incident.monitoring"), {})
    assert (event.external_id, event.stage, event.title) == ("lbkhbwn21v5q", "monitoring", "Virginia Is Down")
    assert event.text == "A fix has been implemented and we are monitoring the results."
    assert event.delivery_key == "lbkhbwn21v5q:2013-05-29T16:30:35-06:00" and event.scopes == (
        "j2mfxwj97wnj",
    )
    resolved = read_event("statuspage", fixture("statuspage", "incident.resolved"), {})
    assert resolved.stage == "resolved" and resolved.text == "This incident has been resolved."


def test_statuspage_component_updates_are_ignored():
    assert not read_event("statuspage", fixture("statuspage", "component_update"), {}).handled


def test_generic_payload():
    event = read_event("generic", fixture("generic", "incident.investigating"), {})
    assert (event.external_id, event.stage, event.locale) == ("db-outage-7", "investigating", "en")
    assert event.sent_at is not None and event.sent_at.year == 2026


@pytest.mark.parametrize(
    "kind, body, says",
    [
        ("pagerduty", b"not json", "not JSON"),
        ("pagerduty", b'{"event": []}', "'event' must be an object"),
        (
            "pagerduty",
            b'{"event": {"id": "1", "event_type": "incident.triggered", "data": {"id": "P1"}}}',
            "title",
        ),
        ("generic", b'{"id": "1", "title": "t", "state": "broken", "sent_at": 1}', "'state' must be one of"),
        (
            "generic",
            b'{"id": "1", "title": "t", "state": "resolved", "colour": "red", "sent_at": 1}',
            "Unknown fields",
        ),
        ("statuspage", b'{"incident": {"id": "x"}}', "updated_at"),
    ],
)
def test_unusable_payloads_say_what_to_fix(kind, body, says):
    with pytest.raises(PayloadRefused, match=says):
        read_event(kind, body, {})


AUTO = SourceRules(auto_declare=True, auto_resolve=True)
CLICK = SourceRules(auto_declare=False, auto_resolve=False)
DECLARED = Known(ProposalState.DECLARED, incident_active=True, current_stage="investigating")


def event(stage: str | None, text: str | None = None, scopes: tuple[str, ...] = ()) -> SourceEvent:
    return SourceEvent("k", "e", external_id="X1", title="Down", stage=stage, text=text, scopes=scopes)


@pytest.mark.parametrize(
    "rules, known, incoming, step",
    [
        (AUTO, None, event("investigating"), Step.DECLARE),
        (CLICK, None, event("investigating"), Step.PROPOSE),
        (AUTO, None, event("resolved"), Step.IGNORE),
        (AUTO, None, event(None, "words"), Step.IGNORE),
        (
            SourceRules(True, True, covers="PSVC"),
            None,
            event("investigating", scopes=("OTHER",)),
            Step.IGNORE,
        ),
        (
            SourceRules(True, True, covers="psvc"),
            None,
            event("investigating", scopes=("PSVC",)),
            Step.DECLARE,
        ),
        (CLICK, Known(ProposalState.PENDING), event("identified"), Step.UPDATE_PROPOSAL),
        (CLICK, Known(ProposalState.PENDING), event("resolved"), Step.DISMISS_PROPOSAL),
        (AUTO, Known(ProposalState.DISMISSED), event("identified"), Step.IGNORE),
        (AUTO, DECLARED, event(None, "new words"), Step.POST_STATUS),
        (AUTO, DECLARED, event("identified"), Step.POST_STATUS),
        (AUTO, DECLARED, event("investigating"), Step.IGNORE),
        (AUTO, DECLARED, event("resolved"), Step.RESOLVE),
        (CLICK, DECLARED, event("resolved"), Step.PROPOSE_RESOLUTION),
        (AUTO, Known(ProposalState.DECLARED, incident_active=False), event("identified", "x"), Step.IGNORE),
    ],
)
def test_what_an_event_does(rules, known, incoming, step):
    assert plan(incoming, rules, known).step == step


def test_an_update_keeps_the_current_stage_when_the_vendor_gives_only_words():
    assert (
        plan(event(None, "w"), AUTO, Known(ProposalState.DECLARED, True, "identified")).stage == "identified"
    )


def test_new_vendor_words_replace_every_older_text():
    assert status_texts({"en": "old", "he": "ישן"}, "new", "en") == {"en": "new"}
    assert status_texts({"en": "old", "he": "ישן"}, None, "en") == {"en": "old", "he": "ישן"}


def test_a_late_delivery_changes_nothing_and_a_reopen_reopens():
    t0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    known = Known(ProposalState.DECLARED, True, "identified", last_happened_at=t0)
    late = SourceEvent(
        "k", "e", external_id="X1", stage="investigating", text="old", happened_at=t0 - timedelta(seconds=1)
    )
    assert plan(late, AUTO, known).step == Step.IGNORE
    assert plan(replace(late, happened_at=t0), AUTO, known).step == Step.POST_STATUS
    resolved_here = Known(ProposalState.DECLARED, incident_active=False)
    reopened = SourceEvent("k", "incident.reopened", external_id="X1", stage="investigating", reopens=True)
    assert plan(reopened, AUTO, resolved_here).step == Step.REOPEN
    assert plan(replace(reopened, reopens=False), AUTO, resolved_here).step == Step.IGNORE


def test_vendor_times_are_read_for_ordering():
    triggered = read_event("pagerduty", fixture("pagerduty", "incident.triggered"), {})
    assert triggered.happened_at == datetime(2020, 10, 2, 18, 40, tzinfo=UTC) and not triggered.reopens
    statuspage = read_event("statuspage", fixture("statuspage", "incident.monitoring"), {})
    assert statuspage.happened_at is not None and statuspage.happened_at.utcoffset() == timedelta(hours=-6)
