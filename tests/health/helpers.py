"""What the /healthz tests share."""

from __future__ import annotations


def get_health(client):
    """GET /healthz as a monitor does (no cookie, no login); the response and its parsed JSON."""
    response = client.get("/healthz")
    assert response.mimetype == "application/json"
    return response, response.get_json()
