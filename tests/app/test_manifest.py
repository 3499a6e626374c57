"""The Zendesk app package (manifests/zendesk) against Zendesk's validation rules, and its
requirements against what ``integrations/zendesk/setup.py`` installs through the API."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from integrations.zendesk.setup import EVENT_SUBSCRIPTIONS, WEBHOOK_NAME
from service.app import create_app
from service.web.i18n import UI_LANGUAGES
from service.wiring import build_services
from tests.app.zaf_rules import (
    REFERENCE,
    constants,
    manifest_errors,
    message,
    reference,
    requirements_errors,
)
from tests.conftest import make_settings

PACKAGE = Path(__file__).resolve().parents[2] / "manifests" / "zendesk"


def package_files() -> set[str]:
    return {str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*") if p.is_file()}


def load(name: str) -> dict:
    return json.loads((PACKAGE / name).read_text(encoding="utf-8"))


def test_the_checker_reports_zendesks_messages_for_a_broken_manifest():
    errors = manifest_errors(reference("zas__spec__fixtures__invalid_location_manifest.json"), set())
    assert "foo_sidebar is an invalid location in support." in errors
    assert any(
        e.startswith("1.0 is not a valid framework version. Available versions are: 2.0") for e in errors
    )
    assert "wrong is an invalid parameter type." in errors
    assert manifest_errors({"name": "x"}, set())[0] == (
        "Missing required fields in manifest: author, defaultLocale, location, frameworkVersion"
    )


def test_the_checker_wants_relative_location_urls_to_be_assets_of_the_package():
    manifest = reference("zas__spec__fixtures__multi_product_iframe_only_app__manifest.json")
    files = {"translations/en.json", "assets/support/index.html", "assets/chat/index.html"}
    assert manifest_errors(manifest, files) == []
    missing = manifest_errors(manifest, files - {"assets/chat/index.html"})
    assert missing == [message("invalid_location_uri", uri="assets/chat/index.html")]
    assert (
        manifest_errors(
            reference("zas__spec__fixtures__marketing_only_app__manifest.json"), {"translations/en.json"}
        )
        == []
    )


def test_manifest_passes_zendesks_rules():
    manifest = load("manifest.json")
    assert manifest_errors(manifest, package_files()) == []
    assert manifest["frameworkVersion"] in constants()["manifest_rules"]["frameworkVersion_accepted"]
    assert manifest["author"]["name"] and "@" in manifest["author"]["email"]
    assert manifest["signedUrls"] is True


def test_manifest_is_a_server_side_app_on_the_ticket_sidebar_and_the_nav_bar(sqlite_url):
    support = load("manifest.json")["location"]["support"]
    assert set(support) == {"ticket_sidebar", "nav_bar"}
    assert support["ticket_sidebar"]["url"] == "{{setting.service_url}}/app/sidebar"
    assert support["nav_bar"]["url"] == "{{setting.service_url}}/app/nav"
    app = create_app(services=build_services(make_settings(sqlite_url), helpdesk=object()))
    adapter = app.url_map.bind("incidentdesk.example")
    for spec in support.values():  # Zendesk POSTs the signed initial page to each location's URL
        endpoint, _ = adapter.match(spec["url"].removeprefix("{{setting.service_url}}"), method="POST")
        assert endpoint.startswith("app_sidebar.")


def test_every_parameter_is_labelled_in_every_language():
    parameters = [p["name"] for p in load("manifest.json")["parameters"]]
    assert "service_url" in parameters
    translations = {p.stem for p in (PACKAGE / "translations").glob("*.json")}
    assert translations == set(UI_LANGUAGES)
    for locale in UI_LANGUAGES:
        app = load(f"translations/{locale}.json")["app"]
        assert app["name"] == "IncidentDesk"
        assert app["short_description"].strip() and app["long_description"].strip()
        for name in parameters:
            assert app["parameters"][name]["label"].strip(), f"{locale}: no label for {name}"
    assert (
        load("translations/he.json")["app"]["parameters"]["service_url"]["label"]
        != load("translations/en.json")["app"]["parameters"]["service_url"]["label"]
    )


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("name, size", [("logo.png", (320, 320)), ("logo-small.png", (128, 128))])
def test_logos_are_pngs_of_the_sizes_zendesk_shows(name, size):
    assert png_size(PACKAGE / "assets" / name) == size


def test_the_checker_finds_bad_requirements():
    assert requirements_errors((REFERENCE / "zas__spec__bookmarks_app__requirements.json").read_text()) == []
    bad = json.dumps({"webhooks": {"hook": {"name": "x"}}, "gadgets": {}, "triggers": {"t": {"actions": []}}})
    errors = requirements_errors(bad)
    assert "requirements.json contains an invalid type: gadgets" in errors
    assert 'Missing required fields in requirements.json: "endpoint" is required in "hook"' in errors
    assert 'Missing required fields in requirements.json: "title" is required in "t"' in errors
    assert requirements_errors('{"triggers": {}, "triggers": {}}') == [
        "requirements.json contains a duplicate key: triggers"
    ]


def test_requirements_pass_zendesks_rules():
    assert requirements_errors((PACKAGE / "requirements.json").read_text(encoding="utf-8")) == []


def test_requirements_install_the_event_webhook_setup_installs_through_the_api():
    """A requirements file cannot name IncidentDesk's own user in a trigger's "current user is
    not" condition, so the app installs the event kind (setup-zendesk's ``event``), whose echoes
    the service recognises by the event's actor; no triggers."""
    requirements = load("requirements.json")
    ((_, webhook),) = requirements["webhooks"].items()
    assert webhook["name"] == WEBHOOK_NAME
    assert webhook["endpoint"] == "{{setting.service_url}}/webhooks/zendesk"
    assert (webhook["http_method"], webhook["request_format"], webhook["status"]) == (
        "POST",
        "json",
        "active",
    )
    assert webhook["subscriptions"] == EVENT_SUBSCRIPTIONS
    assert "triggers" not in requirements
