"""`GET /metrics`: the HTTP gateway's Prometheus metrics, recorded by request hooks.

Each app has a registry of its own (not prometheus_client's global one), so several apps in one
process (tests) count apart. Labels have bounded values, whatever clients send:
- `route` is the URL rule that matched ("/webhooks/<tenant_id>/<provider>"), never the raw path;
  a request no rule matched (404, 405) is labelled `UNMATCHED_ROUTE`;
- a webhook's `provider` is the name in the URL only once the core has accepted a notification
  for that name (any outcome but refused: some tenant has it configured); until then
  `UNVERIFIED_PROVIDER`, so random names in URLs cannot grow the label set.
"""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from quart import Quart, Response, current_app, g, request

EXTENSION = "billing_hub_metrics"
UNMATCHED_ROUTE = "<unmatched>"
UNVERIFIED_PROVIDER = "<unverified>"
REFUSED = "refused"
# Calls through the gateway include a core round trip: a few ms to seconds (provider calls).
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HttpMetrics:
    """The metric families of one app, in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "billinghub_http_requests",
            "HTTP requests answered, by URL rule, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "billinghub_http_request_duration_seconds",
            "Time to answer an HTTP request, by URL rule and method.",
            ["route", "method"],
            buckets=HTTP_BUCKETS,
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "billinghub_http_rate_limited",
            "Requests answered 429 because the core refused the caller's key (RATE_LIMITED).",
            ["route"],
            registry=self.registry,
        )
        self.webhook_ingest = Counter(
            "billinghub_webhook_ingest",
            "Provider notifications forwarded to the core, by provider and the outcome it answered.",
            ["provider", "outcome"],
            registry=self.registry,
        )
        self._verified_providers: set[str] = set()

    def webhook_ingested(self, provider: str, outcome: str) -> None:
        """Count one notification; `outcome` is the core's answer in lower case, or "error"."""
        if outcome not in (REFUSED, "error"):
            self._verified_providers.add(provider)
        label = provider if provider in self._verified_providers else UNVERIFIED_PROVIDER
        self.webhook_ingest.labels(label, outcome).inc()


def install_metrics(app: Quart) -> None:
    """Record every request of `app` and serve the metrics on `GET /metrics`."""
    app.extensions[EXTENSION] = HttpMetrics()
    app.before_request(_started)
    app.after_request(_answered)
    app.add_url_rule("/metrics", "metrics", _exposition, methods=["GET"])


def app_metrics() -> HttpMetrics | None:
    """The metrics of the current app (None in an app that did not install them)."""
    metrics: HttpMetrics | None = current_app.extensions.get(EXTENSION)
    return metrics


async def _started() -> None:
    g.billinghub_started = time.perf_counter()


async def _answered(response: Response) -> Response:
    metrics = app_metrics()
    if metrics is None:
        return response
    rule = request.url_rule
    route = rule.rule if rule is not None else UNMATCHED_ROUTE
    metrics.requests.labels(route, request.method, str(response.status_code)).inc()
    started: float | None = g.get("billinghub_started")
    if started is not None:
        metrics.duration.labels(route, request.method).observe(time.perf_counter() - started)
    if response.status_code == 429:
        metrics.rate_limited.labels(route).inc()
    return response


async def _exposition() -> Response:
    metrics = app_metrics()
    body = generate_latest(metrics.registry) if metrics is not None else b""
    return Response(body, status=200, content_type=CONTENT_TYPE_LATEST)
