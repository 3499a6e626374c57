"""The rules editor: every rule kind, a preview against the sandbox's recent tickets, refusals."""

from __future__ import annotations

import json

import pytest
import requests
from sqlalchemy import select
from zenpy.lib.api_objects import TicketField

from service.models import IncidentRule
from service.web.admin.rules_form import RulesForm, audience_from_paste
from tests.factories import declare, recent_checkout_tickets
from tests.web.conftest import post_form


def stored_rules(db, incident_id: int) -> list[tuple[str, str]]:
    with db.transaction() as session:
        return [
            (r.kind, r.value)
            for r in session.scalars(
                select(IncidentRule).where(IncidentRule.incident_id == incident_id).order_by(IncidentRule.id)
            )
        ]


EVERY_KIND = {
    "phrases": "checkout fails\nהתשלום באתר לא עובד",
    "exclude_phrases": "test order",
    "regexes": r"order #?\d{6} (missing|lost)",
    "tags_any": "checkout, vip",
    "tags_all": "payments web",
    "custom_fields": "360012345 = size 42, size 43",
    "forms": "360001",
    "brands": "360002 360003",
    "organizations": "360004",
    "channels": "email chat",
    "requesters": "email,name\nalice@example.com,Alice\n42,Bob\n",
    "window_start": "2026-11-01T08:00",
    "window_end": "",
}


def test_preview_shows_matches_and_near_misses_with_reasons_and_saves_nothing(logged_in, db, sandbox):
    incident_id = declare(logged_in)
    before = stored_rules(db, incident_id)
    tickets = recent_checkout_tickets(sandbox)
    response = post_form(
        logged_in,
        f"/admin/incidents/{incident_id}/rules",
        {"action": "preview", "phrases": "checkout fails", "exclude_phrases": "test order"},
    )
    assert response.status_code == 200
    page = response.data.decode()
    matches = page[page.index('id="preview-matches"') : page.index('id="preview-near-misses"')]
    near = page[page.index('id="preview-near-misses"') :]
    assert f"#{tickets['match']}" in matches and "mentions “checkout fails”" in matches
    assert f"#{tickets['partial']}" in near and "only part of one: “checkout”" in near
    assert f"#{tickets['excluded']}" in near and "mentions the exclusion “test order”" in near
    assert f"#{tickets['unrelated']}" not in page
    assert "1 would match, 2 near misses." in page
    assert "test order</textarea>" in page  # the input is kept
    assert stored_rules(db, incident_id) == before


def test_rules_of_every_kind_are_saved_and_shown_again(logged_in, db, helpdesk):
    incident_id = declare(logged_in)
    field_id = helpdesk.client.ticket_fields.create(TicketField(type="text", title="Shoe size")).id
    every_kind = {**EVERY_KIND, "custom_fields": f"{field_id} = size 42, size 43"}
    response = post_form(logged_in, f"/admin/incidents/{incident_id}/rules", {"action": "save", **every_kind})
    assert response.status_code == 302, response.data.decode()[:2000]
    assert response.location == f"/admin/incidents/{incident_id}?done=rules_saved"
    rules = stored_rules(db, incident_id)
    assert [kind for kind, _ in rules] == [
        "phrase",
        "phrase",
        "exclude_phrase",
        "regex",
        "tags_any",
        "tags_all",
        "custom_field",
        "form",
        "brand",
        "organization",
        "channel",
        "requester",
        "created_within",
    ]
    assert rules[1] == ("phrase", "התשלום באתר לא עובד")
    assert json.loads(dict(rules)["requester"]) == "alice@example.com\n42"  # the CSV's id and email cells
    assert json.loads(dict(rules)["created_within"]) == "2026-11-01T08:00"

    page = logged_in.get(f"/admin/incidents/{incident_id}/rules").data.decode()
    assert "checkout fails\nהתשלום באתר לא עובד</textarea>" in page
    assert f"{field_id} = size 42, size 43</textarea>" in page
    assert 'value="360002 360003"' in page and 'value="email chat"' in page
    assert 'name="window_start" type="datetime-local" value="2026-11-01T08:00"' in page
    detail = logged_in.get(response.location).data.decode()
    assert "Rules saved." in detail
    # The incident page lists the rules as typed, not as stored JSON.
    assert '<td>Channel</td><td><bdi class="rule-value">email chat</bdi></td>' in detail
    assert (
        f'<td>Custom field</td><td><bdi class="rule-value">{field_id} = size 42, size 43</bdi></td>' in detail
    )


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"phrases": ""}, "rules", "Add at least one rule that selects tickets"),
        ({"phrases": "", "exclude_phrases": "test order"}, "rules", "exclusions alone match nothing"),
        ({"regexes": r"order (\d+"}, "regexes", "The regular expression is invalid"),
        ({"window_start": "2026-01-01T00:00", "window_end": "2026-01-02T00:00"}, "window", "in the past"),
        ({"custom_fields": "size = 42"}, "custom_fields", "numeric id"),
        (
            {"requesters": "alice@example.com\nnot an email"},
            "requesters",
            "is neither a user id nor an email address",
        ),
        ({"channels": "e-mail!"}, "channels", "is not a channel name"),
        ({"brands": "acme"}, "brands", "is not a valid brand id"),
    ],
)
@pytest.mark.parametrize("action", ["save", "preview"])
def test_bad_rule_input_is_refused_next_to_the_field_and_kept(logged_in, db, fields, field, message, action):
    incident_id = declare(logged_in)
    before = stored_rules(db, incident_id)
    response = post_form(
        logged_in,
        f"/admin/incidents/{incident_id}/rules",
        {"action": action, "phrases": "checkout fails", **fields},
    )
    assert response.status_code == 422
    page = response.data.decode()
    errors = page[page.index(f'<ul class="field-errors" id="{field}-errors">') :]
    assert message in errors[: errors.index("</ul>")]
    assert 'id="preview"' not in page
    for value in fields.values():
        assert value in page  # what the admin typed is still in the form
    assert stored_rules(db, incident_id) == before


def test_preview_says_so_when_the_helpdesk_fails(logged_in, db, sandbox):
    incident_id = declare(logged_in)
    requests.post(
        f"{sandbox.url}/_sandbox/faults", json={"error_burst": {"status": 500, "count": 20}}, timeout=5
    )
    response = post_form(
        logged_in, f"/admin/incidents/{incident_id}/rules", {"action": "preview", "phrases": "checkout fails"}
    )
    assert response.status_code == 503
    page = response.data.decode()
    assert "did not return its recent tickets" in page and "checkout fails</textarea>" in page


def test_rules_editor_csrf_and_unknown_incident(logged_in, db):
    incident_id = declare(logged_in)
    before = stored_rules(db, incident_id)
    refused = logged_in.post(
        f"/admin/incidents/{incident_id}/rules", data={"action": "save", "phrases": "x y"}
    )
    assert refused.status_code == 400
    assert stored_rules(db, incident_id) == before
    assert logged_in.get("/admin/incidents/424242/rules").status_code == 404


def test_a_pasted_csv_export_gives_its_ids_and_emails():
    exported = "Name,Email,Orders\nAlice,alice@example.com,3\n\nBob,42,1\nCarol,bob@example.com;x,2\nDan,,4\n"
    assert audience_from_paste(exported) == "alice@example.com\n42\nbob@example.com;x"  # not the order counts
    typed = "Alice,alice@example.com,3\n42\nnobody here\nalice@example.com"
    assert audience_from_paste(typed) == "alice@example.com\n42\nnobody here"
    assert audience_from_paste("User ID,Name\n17,Ann\n18,Ben") == "17\n18"


def test_form_round_trips_rules_given_as_json():
    form = RulesForm.from_rules(
        [
            {"kind": "phrase", "value": ["checkout fails", "can't pay"]},
            {"kind": "custom_field", "value": {"field_id": 360012345, "values": ["size 42", "size 43"]}},
            {"kind": "created_within", "value": {"start": "2026-11-22T14:00:00+02:00", "end": None}},
            {"kind": "tags_any", "value": ["checkout", "vip"]},
        ]
    )
    assert form.phrases == "checkout fails\ncan't pay"
    assert form.custom_fields == "360012345 = size 42, size 43"
    assert (form.window_start, form.window_end) == ("2026-11-22T12:00", "")
    assert form.tags_any == "checkout vip"


def test_preview_reasons_are_in_the_admins_language(logged_in, db, sandbox):
    """Bulgarian and Hebrew admins read why a ticket would (not) match in their language, with
    the customer's words and the phrases left as typed."""
    incident_id = declare(logged_in)
    tickets = recent_checkout_tickets(sandbox)
    form = {"action": "preview", "phrases": "checkout fails", "exclude_phrases": "test order"}
    post_form(logged_in, "/language", {"lang": "bg"})
    page = post_form(logged_in, f"/admin/incidents/{incident_id}/rules", form).data.decode()
    near = page[page.index('id="preview-near-misses"') :]
    assert f"#{tickets['excluded']}" in near and "споменава изключението “test order”" in near
    assert "само част от един: “checkout”" in near
    assert "mentions" not in page and "only part of one" not in page
    post_form(logged_in, "/language", {"lang": "he"})
    page = post_form(logged_in, f"/admin/incidents/{incident_id}/rules", form).data.decode()
    assert "מזכירה “checkout fails”" in page and "מזכירה את ההחרגה “test order”" in page
    assert "mentions" not in page
