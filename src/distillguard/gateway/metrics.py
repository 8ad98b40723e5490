"""Prometheus metrics of one gateway, in a registry of its own (apps may share a process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class GatewayMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "distillguard_requests",
            "Requests answered, by endpoint and HTTP status.",
            ["endpoint", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "distillguard_request_seconds",
            "Time from a request's arrival to the last byte of its response.",
            ["endpoint"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.upstream_errors = Counter(
            "distillguard_upstream_errors",
            "Upstream failures, by upstream and kind (timeout, connection, status).",
            ["upstream", "kind"],
            registry=r,
        )
        self.rate_limited = Counter(
            "distillguard_rate_limited",
            "Requests refused by a rate limit, by limit.",
            ["limit"],
            registry=r,
        )
        self.queue_depth = Gauge(
            "distillguard_event_queue_depth", "Events waiting for detection.", registry=r
        )
        self.spool = Gauge(
            "distillguard_event_spool",
            "Events in the journal waiting for the stream ([pipeline] transport = 'nats').",
            registry=r,
        )
        self.events_dropped = Counter(
            "distillguard_events_dropped",
            "Events lost because the detection queue was full.",
            registry=r,
        )
        self.events_written = Counter(
            "distillguard_events_written", "Events written to the event log.", registry=r
        )
        self.events_late = Counter(
            "distillguard_events_late",
            "Events that finished after the reorder window; their ts was raised.",
            registry=r,
        )
        self.state_saves = Counter(
            "distillguard_detector_state_saves",
            "Times the detector state of changed accounts was written to the store.",
            registry=r,
        )
        self.auth_refused = Counter(
            "distillguard_auth_refused",
            "Key checks refused unchecked, by reason (too many failures, store unavailable).",
            ["reason"],
            registry=r,
        )
        self.enforced = Counter(
            "distillguard_enforced",
            "Requests the policy changed or refused (or would have, in shadow mode), by change.",
            ["change"],
            registry=r,
        )
        self.flagged_accounts = Gauge(
            "distillguard_flagged_accounts",
            "Accounts whose risk reached the flag threshold since the gateway started.",
            registry=r,
        )

        self.limiter_fallbacks = Counter(
            "distillguard_limiter_fallbacks",
            "Rate-limit decisions made by local buckets because the shared limiter (Redis) "
            "failed, by operation.",
            ["operation"],
            registry=r,
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
