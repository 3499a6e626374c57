"""The baseline of ``bench.ingest_bench``: a bare Flask app that reads a webhook's body and
acknowledges it with the same JSON, storing nothing, served by gunicorn as ``serve`` is."""

from __future__ import annotations

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/webhooks/zendesk")
def receive():
    request.get_data(cache=False)
    return jsonify(accepted=True, delivery_id=0, duplicate=False, ignored=False), 200
