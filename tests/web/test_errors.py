"""Error responses: JSON for /api/ and /webhooks/, a friendly page for people, never a traceback."""

from __future__ import annotations

import pytest


@pytest.fixture
def failing_app(app):
    def boom():
        raise RuntimeError("database exploded")

    app.add_url_rule("/admin/boom", "boom", boom)
    app.add_url_rule("/api/v1/boom", "api_boom", boom)
    return app


def test_unexpected_error_is_a_friendly_500_page(failing_app):
    response = failing_app.test_client().get("/admin/boom")
    assert response.status_code == 500
    assert b"Something went wrong" in response.data
    assert b"database exploded" not in response.data


def test_unexpected_api_error_is_json_500(failing_app):
    response = failing_app.test_client().get("/api/v1/boom")
    assert response.status_code == 500
    assert response.json == {
        "error": "Something went wrong on our side. The error was logged; try again later."
    }


def test_webhook_paths_get_json_errors(client):
    response = client.get("/webhooks/zendesk")
    assert response.status_code == 405
    assert "error" in response.json


def test_html_404_and_405_pages(client):
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and b"Page not found" in missing.data
    assert missing.content_type.startswith("text/html")
    wrong_method = client.get("/logout")
    assert wrong_method.status_code == 405 and b"Method not allowed" in wrong_method.data


def test_error_page_is_translated(client):
    response = client.get("/no/such/page", headers={"Accept-Language": "bg"})
    assert '<html lang="bg" dir="ltr">' in response.data.decode()
    assert "Страницата не е намерена" in response.data.decode()
