//! The front door's Prometheus metrics: updates by outcome, routing
//! latency, gateway calls and Telegram errors.

use prometheus::{
    Encoder, Histogram, HistogramOpts, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

/// The front door's metrics; cheap to clone.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    /// Updates by outcome (`routed`, `handled`, `refused`, `rate_limited`,
    /// `queue_full`, `tenant_unavailable`, `duplicate` for a webhook
    /// update Telegram sent again, `released_unhandled` for one
    /// acknowledged before it was handled because it took too long).
    pub updates: IntCounterVec,
    /// Time to hand an update to its tenant.
    pub route_seconds: Histogram,
    /// Gateway calls by method and outcome.
    pub gateway_calls: IntCounterVec,
    /// Time a gateway call takes, queueing included.
    pub gateway_seconds: Histogram,
    /// Failed Telegram requests by kind (`rate_limited`, `unreachable`).
    pub telegram_errors: IntCounterVec,
    /// Users with updates queued or in flight.
    pub active_users: IntGauge,
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> prometheus::Result<Self> {
        let registry = Registry::new();
        let updates = IntCounterVec::new(
            Opts::new(
                "pawang_front_door_updates_total",
                "Telegram updates by outcome.",
            ),
            &["outcome"],
        )?;
        let route_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "pawang_front_door_route_seconds",
                "Time to hand an update to its tenant.",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0,
            ]),
        )?;
        let gateway_calls = IntCounterVec::new(
            Opts::new(
                "pawang_gateway_calls_total",
                "Bot API calls through the gateway by method and outcome.",
            ),
            &["method", "outcome"],
        )?;
        let gateway_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "pawang_gateway_call_seconds",
                "Time a gateway call takes, pacing included.",
            )
            .buckets(vec![
                0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ]),
        )?;
        let telegram_errors = IntCounterVec::new(
            Opts::new(
                "pawang_front_door_telegram_errors_total",
                "Failed Telegram requests by kind.",
            ),
            &["kind"],
        )?;
        let active_users = IntGauge::new(
            "pawang_front_door_active_users",
            "Users with updates queued or in flight.",
        )?;
        registry.register(Box::new(updates.clone()))?;
        registry.register(Box::new(route_seconds.clone()))?;
        registry.register(Box::new(gateway_calls.clone()))?;
        registry.register(Box::new(gateway_seconds.clone()))?;
        registry.register(Box::new(telegram_errors.clone()))?;
        registry.register(Box::new(active_users.clone()))?;
        // The series alerts and dashboards watch exist from the start, at
        // zero.
        for kind in ["rate_limited", "server_error", "unreachable", "other"] {
            telegram_errors.with_label_values(&[kind]);
        }
        for outcome in [
            "handled",
            "routed",
            "refused",
            "rate_limited",
            "queue_full",
            "tenant_unavailable",
            "duplicate",
            "released_unhandled",
        ] {
            updates.with_label_values(&[outcome]);
        }
        Ok(Self {
            registry,
            updates,
            route_seconds,
            gateway_calls,
            gateway_seconds,
            telegram_errors,
            active_users,
        })
    }

    /// Counts an update's outcome.
    pub fn update(&self, outcome: &str) {
        self.updates.with_label_values(&[outcome]).inc();
    }

    /// Counts `count` updates with `outcome`.
    pub fn updates_by(&self, outcome: &str, count: usize) {
        self.updates
            .with_label_values(&[outcome])
            .inc_by(u64::try_from(count).unwrap_or(u64::MAX));
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            tracing::warn!(error = %crds::naming::why(&error), "cannot encode metrics");
        }
        String::from_utf8_lossy(&buffer).into_owned()
    }
}
