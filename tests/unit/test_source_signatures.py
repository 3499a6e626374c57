"""Incident sources' signatures, with the vendors' official vectors (tests/fixtures/sources)."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from service.domain.sources.signatures import SignatureRefused, sign_generic, verify_generic, verify_pagerduty
from service.sources.verification import verify_standard_webhook

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sources"


def vectors(vendor: str) -> dict[str, dict]:
    found = json.loads((FIXTURES / vendor / "signature-vectors.json").read_text("utf-8"))["vectors"]
    return {v["id"]: v for v in found}


PD = vectors("pagerduty")
PD_BODY = PD["go-pagerduty-webhookv3-valid"]["body"].encode()
PD_SECRET = PD["go-pagerduty-webhookv3-valid"]["secret"]


@pytest.mark.parametrize(
    "vector",
    [
        "go-pagerduty-webhookv3-valid",
        "computed-rotation-two-signatures",
        "computed-doc-priority-updated-compact",
    ],
)
def test_pagerduty_accepts_the_official_and_rotated_signatures(vector):
    v = PD[vector]
    body = PD_BODY if v["body"].startswith("<same body") else v["body"].encode()
    verify_pagerduty(v["secret"], v["header_X-PagerDuty-Signature"], body)


@pytest.mark.parametrize(
    "header, why",
    [
        (PD["go-pagerduty-webhookv3-mismatch"]["header_X-PagerDuty-Signature"], "no v1 signature matches"),
        (PD["computed-unknown-version-ignored"]["header_X-PagerDuty-Signature"], "no v1= signature"),
        (None, "missing"),
        ("v1=zz", "no v1 signature matches"),
    ],
)
def test_pagerduty_refuses_wrong_unknown_and_missing_signatures(header, why):
    with pytest.raises(SignatureRefused, match=why):
        verify_pagerduty(PD_SECRET, header, PD_BODY)


def test_pagerduty_refuses_a_body_changed_after_signing():
    header = PD["go-pagerduty-webhookv3-valid"]["header_X-PagerDuty-Signature"]
    with pytest.raises(SignatureRefused):
        verify_pagerduty(PD_SECRET, header, PD_BODY.replace(b"P1", b"P2"))


IIO = vectors("incident_io")


def _iio_headers(v: dict, signature: str | None = None) -> dict[str, str]:
    return {
        "webhook-id": v["webhook-id"],
        "webhook-timestamp": v["webhook-timestamp"],
        "webhook-signature": signature or v.get("expected_webhook-signature") or v["webhook-signature"],
    }


def _at(v: dict, seconds_later: int = 0) -> datetime:
    return datetime.fromtimestamp(int(v["webhook-timestamp"]), UTC) + timedelta(seconds=seconds_later)


@pytest.mark.parametrize("vector", ["svix-standard-webhooks-sign", "computed-incidentio-status-updated"])
def test_standard_webhooks_accepts_the_official_vectors(vector):
    v = IIO[vector]
    assert (
        verify_standard_webhook(
            v["secret"], _iio_headers(v), v["body"].encode(), now=_at(v), max_age_seconds=300
        )
        == v["webhook-id"]
    )


def test_standard_webhooks_accepts_a_rotated_secret_list():
    v = IIO["computed-incidentio-status-updated"]
    rotated = IIO["computed-rotation-two-signatures"]["webhook-signature"]
    verify_standard_webhook(
        v["secret"], _iio_headers(v, rotated), v["body"].encode(), now=_at(v), max_age_seconds=300
    )


def test_standard_webhooks_refuses_the_official_invalid_signature():
    v = IIO["svix-invalid-signature"]
    with pytest.raises(SignatureRefused, match="no v1 signature"):
        verify_standard_webhook(
            v["secret"], _iio_headers(v), v["body"].encode(), now=_at(v), max_age_seconds=300
        )


@pytest.mark.parametrize("seconds_later, why", [(301, "over the 300 s window"), (-301, "in the future")])
def test_standard_webhooks_refuses_a_replay_outside_the_window(seconds_later, why):
    v = IIO["svix-standard-webhooks-sign"]
    with pytest.raises(SignatureRefused, match=why):
        verify_standard_webhook(
            v["secret"], _iio_headers(v), v["body"].encode(), now=_at(v, seconds_later), max_age_seconds=300
        )


@pytest.mark.parametrize(
    "change", [{"webhook-signature": "v1,not base64!"}, {"webhook-signature": "v1a,abc"}, {"webhook-id": ""}]
)
def test_standard_webhooks_refuses_malformed_headers_without_crashing(change):
    v = IIO["svix-standard-webhooks-sign"]
    headers = _iio_headers(v) | change
    with pytest.raises(SignatureRefused):
        verify_standard_webhook(v["secret"], headers, v["body"].encode(), now=_at(v), max_age_seconds=300)


def test_generic_signature_round_trip_and_refusals():
    body = (FIXTURES / "generic" / "incident.investigating.json").read_bytes()
    verify_generic("shared", sign_generic("shared", body), body)
    with pytest.raises(SignatureRefused, match="does not match"):
        verify_generic("other", sign_generic("shared", body), body)
    with pytest.raises(SignatureRefused, match="missing"):
        verify_generic("shared", None, body)
