"""The merge settings' suggestion floor and colleagues' rule: on the admin page (CSRF, field
messages in the admin's language) and in the API."""

from __future__ import annotations

from html import escape

from service.merging import store
from service.merging.settings_input import (
    FLOOR_ABOVE_THRESHOLD,
    FLOOR_EXPECTED,
    MAX_WINDOW_MINUTES,
    WINDOW_EXPECTED,
)
from service.web.i18n import say
from tests.web.conftest import API_TOKEN, csrf_token

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


def test_admin_sets_the_suggestion_floor_and_turns_colleagues_suggestions_off(logged_in, db):
    page = logged_in.get("/admin/merges").get_data(as_text=True)
    assert (
        'name="suggestion_floor"' in page
        and 'value="0.5"' in page
        and 'name="suggest_same_organization"' in page
    )
    form = {
        "csrf_token": csrf_token(page.encode()),
        "suggestion_floor": "0.55",
        "suggest_same_organization": "0",
    }
    assert logged_in.post("/admin/merges", data=form).status_code == 302
    with db.transaction() as session:
        rules = store.rules_for(session, None)
        assert (rules.suggestion_floor, rules.suggest_same_organization) == (0.55, False)


def test_a_floor_out_of_range_or_above_the_threshold_is_refused_in_the_admins_language(logged_in, db):
    page = logged_in.get("/admin/merges")
    for lang in ("en", "he", "bg"):
        refused = logged_in.post(
            "/admin/merges",
            data={"csrf_token": csrf_token(page.data), "suggestion_floor": "0.1"},
            headers={"Accept-Language": lang},
        )
        assert refused.status_code == 422
        assert escape(say(FLOOR_EXPECTED(), lang)) in refused.get_data(as_text=True), lang
    above = logged_in.post(
        "/admin/merges",
        data={"csrf_token": csrf_token(page.data), "similarity_threshold": "0.6", "suggestion_floor": "0.65"},
        headers={"Accept-Language": "he"},
    )
    assert above.status_code == 422
    expected = say(FLOOR_ABOVE_THRESHOLD(floor=0.65, threshold=0.6), "he")
    assert "0.65" in expected and escape(expected) in above.get_data(as_text=True)
    with db.transaction() as session:
        assert store.settings_row(session, None) is None


def test_the_api_shows_and_checks_the_suggestion_settings(client):
    shown = client.get("/api/v1/merge-settings", headers=AUTH).json
    assert (shown["suggestion_floor"], shown["suggest_same_organization"]) == (0.5, True)
    changed = client.put("/api/v1/merge-settings", headers=AUTH, json={"suggestion_floor": 0.6})
    assert changed.status_code == 200 and changed.json["suggestion_floor"] == 0.6
    lowered = client.put("/api/v1/merge-settings", headers=AUTH, json={"similarity_threshold": 0.55})
    assert lowered.status_code == 422 and "suggestion_floor" in lowered.json["fields"]
    assert "cannot be above the similarity threshold" in lowered.json["fields"]["suggestion_floor"]


def test_every_field_message_is_in_the_admins_language(logged_in):
    """Each refused field of the merge settings says what to fix in Bulgarian, not in English."""
    page = logged_in.get("/admin/merges")
    bad = {"window_minutes": "0", "similarity_threshold": "2", "skip_tag": "two tags"}
    refused = logged_in.post(
        "/admin/merges",
        data={"csrf_token": csrf_token(page.data), **bad},
        headers={"Accept-Language": "bg"},
    ).get_data(as_text=True)
    for english in ("Expected a whole number", "Expected a number", "Expected one tag"):
        assert english not in refused
    assert escape(say(WINDOW_EXPECTED(most=MAX_WINDOW_MINUTES), "bg")) in refused
    assert "Очаква се" in refused and refused.count("Очаква се") >= len(bad)
