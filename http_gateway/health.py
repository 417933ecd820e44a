"""The health blueprint: what a load balancer or docker-compose asks before sending traffic.

The gateway alone is useless without the core, so its health includes the core's.
"""

from __future__ import annotations

from quart import Blueprint, Response, jsonify

from http_gateway.context import hub_client
from sdk.errors import BillingHubError

blueprint = Blueprint("health", __name__)

HEALTH_TIMEOUT_SECONDS = 2.0


@blueprint.get("/healthz")
async def healthz() -> tuple[Response, int]:
    """200 when the core answers SERVING, else 503 naming the core's status or the error."""
    try:
        core = await hub_client().health(timeout=HEALTH_TIMEOUT_SECONDS)
    except BillingHubError as error:
        core = error.code.name
    except Exception as error:  # a probe must answer, whatever broke
        core = type(error).__name__
    if core == "SERVING":
        return jsonify({"status": "ok", "core": core}), 200
    return jsonify({"status": "unavailable", "core": core}), 503
