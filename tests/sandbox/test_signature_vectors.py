"""The sandbox signs exactly as Zendesk documents, checked against the reference vectors."""

import json

from tests.helpers import REFERENCE, needs_reference
from zendesk_sandbox.delivery import sign

VECTORS = REFERENCE / "zendesk" / "webhook-signature-vectors.json"

pytestmark = needs_reference(VECTORS)


def _vectors():
    return json.loads(VECTORS.read_text())["vectors"]


def test_timestamp_plus_body_vectors_verify():
    checked = 0
    for vector in _vectors():
        if vector["verifies_with_timestamp_plus_body"]:
            assert sign(vector["secret"], vector["timestamp"], vector["body"]) == vector["expected_signature"]
            checked += 1
    assert checked >= 1


def test_body_plus_timestamp_vector_does_not_verify():
    for vector in _vectors():
        if not vector["verifies_with_timestamp_plus_body"]:
            assert sign(vector["secret"], vector["timestamp"], vector["body"]) != vector["expected_signature"]
