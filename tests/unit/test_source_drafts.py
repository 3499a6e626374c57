"""A source as an admin adds it, and the impact note it may send back."""

from datetime import UTC, datetime, timedelta

import pytest

from service.domain.sources.drafts import InvalidSource, clean_source
from service.domain.sources.impact import Impact, impact_key, impact_note


def test_a_pagerduty_source_with_impact_notes():
    draft = clean_source(
        kind="pagerduty",
        name="  PD   checkout ",
        template_incident_id="3",
        signing_secret="s",
        notes_api_token="key",
        notes_from="lead@example.com",
        locale="he-IL",
    )
    assert (draft.name, draft.template_incident_id, draft.locale) == ("PD checkout", 3, "he")
    assert draft.notes_api_url == "https://api.pagerduty.com"


@pytest.mark.parametrize(
    "fields, wrong",
    [
        (dict(kind="opsgenie"), {"kind"}),
        (dict(kind="statuspage", signing_secret="x"), {"signing_secret"}),
        (dict(kind="incident_io", signing_secret="whsec_***"), {"signing_secret"}),
        (dict(kind="generic", notes_api_token="k", notes_from="a@b"), {"notes_api_token"}),
        (dict(kind="pagerduty", signing_secret="s", notes_api_token="k"), {"notes_from"}),
        (dict(kind="generic", locale="xx"), {"locale"}),
        (dict(kind="generic", template_incident_id="abc"), {"template_incident_id"}),
    ],
)
def test_what_to_fix_is_named(fields, wrong):
    base = dict(name="x", template_incident_id="1") | fields
    with pytest.raises(InvalidSource) as refused:
        clean_source(**base)
    assert set(refused.value.errors) == wrong


def test_the_impact_note_says_counts_and_the_oldest_wait():
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    impact = Impact(linked=12, unsolved=5, oldest_unsolved_at=now - timedelta(minutes=75), reached=40)
    assert impact_note(impact, now) == (
        "Customer impact (IncidentDesk): 12 customer tickets linked; 5 unsolved; "
        "40 customers reached by outreach; the oldest unsolved contact waits 1 h 15 min."
    )
    assert impact_note(Impact(0, 0, None, 0), now) is None
    assert impact_key(impact) == "12/5/40"
