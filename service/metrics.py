"""Prometheus metrics, one registry per process (created in the API lifespan).

A registry of our own rather than the library's global default keeps tests and
several apps in one process from sharing counters.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.poll_duration = Histogram(
            "firwatch_poll_duration_seconds",
            "Duration of one poll of a feed",
            ["feed"],
            registry=r,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
        )
        self.polls = Counter(
            "firwatch_polls",
            "Polls per feed and outcome (ok|failed)",
            ["feed", "outcome"],
            registry=r,
        )
        self.rejected = Counter(
            "firwatch_feed_rows_rejected", "Malformed feed records rejected", ["feed"], registry=r
        )
        self.credits = Gauge(
            "firwatch_feed_credits_remaining",
            "Remaining API credits reported by a feed",
            ["feed"],
            registry=r,
        )
        self.positions = Counter(
            "firwatch_positions_ingested", "Positions ingested", ["feed"], registry=r
        )
        self.alerts = Counter(
            "firwatch_alert_changes", "Alerts opened or resolved", ["type"], registry=r
        )
        self.deliveries = Counter(
            "firwatch_webhook_deliveries",
            "Webhook delivery attempts by outcome (delivered|retry|dead)",
            ["outcome"],
            registry=r,
        )
        self.outbox_pending = Gauge(
            "firwatch_webhook_outbox_pending", "Webhook messages waiting for delivery", registry=r
        )
        # riding through a database outage (service/outage.py, service/pending_writes.py)
        self.db_outages = Counter(
            "firwatch_database_outages", "Database outages seen by a job", ["job"], registry=r
        )
        self.db_outage_seconds = Counter(
            "firwatch_database_outage_seconds",
            "Seconds a job could not reach the database",
            ["job"],
            registry=r,
        )
        self.db_unreachable = Gauge(
            "firwatch_database_unreachable",
            "1 while a job cannot reach the database",
            ["job"],
            registry=r,
        )
        self.pending_writes = Gauge(
            "firwatch_pending_writes",
            "Poll results held in memory until the database is back",
            registry=r,
        )
        self.writes_dropped = Counter(
            "firwatch_pending_write_losses",
            "What a bounded or failing write buffer gave up (positions|write)",
            ["what"],
            registry=r,
        )
        self.notam_problems = Gauge(
            "firwatch_notam_problems",
            "NOTAMs held whose parse has a problem, by problem code (e.g. geometry.outside_qline)",
            ["code"],
            registry=r,
        )
        self.notam_parse_problems = Counter(
            "firwatch_notam_parse_problems",
            "Problems found by POST /api/v1/notams/parse, by problem code",
            ["code"],
            registry=r,
        )
        self.scheduler_leader = Gauge(
            "firwatch_scheduler_leader", "1 when this process runs the feed scheduler", registry=r
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
