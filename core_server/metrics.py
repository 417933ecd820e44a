"""The core's Prometheus metrics: one registry per core (each `CoreMetrics`), served on its own port.

Every family the core exports lives here, in a module that imports nothing of the core, so the
interceptor (api/), the rate limiter's caller and the background workers (workers/, a layer beside
api/ that may not import it) all reach the same objects through `Deps.metrics`. The registry is
the core's own, not prometheus_client's global one: two cores in one process (tests, two replicas
on one database) count apart.

Served on `BILLING_HUB_METRICS_LISTEN` ("127.0.0.1:9464"; empty, the default, serves nothing) by
`serve_metrics`, a small HTTP server thread of prometheus_client answering `GET /metrics`.
"""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, start_http_server

# Calls of the core take from tens of microseconds (a cached read) to seconds (a provider call).
RPC_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class CoreMetrics:
    """The metric families of one core, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.rpc_requests = Counter(
            "billinghub_rpc_requests",
            "RPCs answered by the core, by full method name and gRPC status code.",
            ["method", "code"],
            registry=self.registry,
        )
        self.rpc_duration = Histogram(
            "billinghub_rpc_duration_seconds",
            "Time from a call's arrival in the interceptor to its answer, by full method name.",
            ["method"],
            buckets=RPC_BUCKETS,
            registry=self.registry,
        )
        # incremented by the fast path's group commit (store/charge_batches_pg.py): how many usage
        # charges each batch wrote in one statement (a charge that ran alone is not a batch)
        self.charge_batch_size = Histogram(
            "billinghub_charge_batch_size",
            "Usage charges written together in one statement on PostgreSQL, per batch.",
            buckets=(2, 4, 8, 16, 32, 64, 128),
            registry=self.registry,
        )
        self.read_batch_size = Histogram(
            "billinghub_read_batch_size",
            "Screen reads (GetUser, GetBalances...) answered together by one statement on PostgreSQL, per batch.",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128),
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "billinghub_rate_limited",
            "Calls refused with RATE_LIMITED, by the role of the calling key.",
            ["role"],
            registry=self.registry,
        )
        # incremented by the outbound webhook dispatcher (domain/webhooks/dispatcher.py) for each
        # attempt it records: outcome = succeeded, retrying (failed, will be retried), dead (gave up)
        self.webhook_deliveries = Counter(
            "billinghub_webhook_deliveries",
            "Outbound webhook delivery attempts to tenant endpoints, by outcome.",
            ["outcome"],
            registry=self.registry,
        )

    def for_method(self, method: str) -> MethodMetrics:
        """The children of one RPC method, resolved once when the interceptor wraps its handler."""
        return MethodMetrics(self, method)

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format (what `GET /metrics` answers)."""
        return generate_latest(self.registry)


class MethodMetrics:
    """One method's metric children: the duration histogram's, and a counter's per status code
    (created on the first call that ends with it), so a call pays a dict lookup and two updates."""

    __slots__ = ("_counts", "_method", "_requests", "_seconds")

    def __init__(self, metrics: CoreMetrics, method: str) -> None:
        self._requests = metrics.rpc_requests
        self._method = method
        self._counts = {"OK": metrics.rpc_requests.labels(method, "OK")}
        self._seconds = metrics.rpc_duration.labels(method)

    def record(self, status: str, seconds: float) -> None:
        counter = self._counts.get(status)
        if counter is None:
            counter = self._counts[status] = self._requests.labels(self._method, status)
        counter.inc()
        self._seconds.observe(seconds)


class MetricsServer:
    """The metrics HTTP server thread of one core; `port` is the one bound (port 0 picks one)."""

    def __init__(self, server: WSGIServer, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        self.port: int = server.server_port

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def serve_metrics(listen: str, metrics: CoreMetrics) -> MetricsServer:
    """Serve `metrics` on "host:port" in a background thread (the scrape never waits on the loop)."""
    host, _, port = listen.rpartition(":")
    server, thread = start_http_server(int(port), addr=host.strip("[]") or "127.0.0.1", registry=metrics.registry)
    return MetricsServer(server, thread)
