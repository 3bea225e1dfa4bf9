"""GET /healthz for load balancers and monitors: no session, no secrets, no counts."""

from flask import Blueprint, jsonify

from . import health

bp = Blueprint("operations", __name__)


@bp.get("/healthz")  # no rate limit names it: a monitor polls as often as it likes
def healthz():
    """200 {"status": "ok"}, or 503 naming the parts that do not answer."""
    failing = health.failing_parts()
    body = {"status": "failing", "failing": failing} if failing else {"status": "ok"}
    response = jsonify(body)
    response.status_code = 503 if failing else 200
    response.headers["Cache-Control"] = "no-store"
    return response
