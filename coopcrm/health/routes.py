"""`GET /healthz`: JSON, no login, no cookie, never cached; 200 only when all is well."""

from flask import Blueprint, jsonify

from coopcrm import clock
from coopcrm.health.services import report

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The health report; 503 when degraded or in error, so a load balancer can act on it."""
    try:
        body = report(clock.now())
    except Exception:  # noqa: BLE001 - a monitor gets a 503 it can read, never an HTML 500
        body = {"status": "error"}
    response = jsonify(body)
    response.status_code = 200 if body["status"] == "ok" else 503
    response.headers["Cache-Control"] = "no-store"
    return response
