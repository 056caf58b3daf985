//! Prometheus metrics of the operator.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crds::{Phase, WhatsAppAccount};
use kube::runtime::reflector::Store;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Every phase, so each has a gauge even at zero.
const PHASES: [Phase; 8] = [
    Phase::Provisioning,
    Phase::AwaitingPairing,
    Phase::Connected,
    Phase::Disconnected,
    Phase::LoggedOut,
    Phase::Banned,
    Phase::Suspended,
    Phase::Failed,
];

/// The operator's metrics and their registry.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    reconciles: IntCounterVec,
    failures: IntCounterVec,
    duration: HistogramVec,
    writes: IntCounterVec,
    accounts: IntGaugeVec,
    /// Where the accounts-by-phase gauges are counted from, on each
    /// scrape rather than on each reconcile.
    phase_source: Arc<OnceLock<Store<WhatsAppAccount>>>,
}

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> prometheus::Result<Self> {
        let registry = Registry::new();
        let reconciles = IntCounterVec::new(
            Opts::new("pawang_operator_reconciles_total", "Reconciles by result."),
            &["result"],
        )?;
        let failures = IntCounterVec::new(
            Opts::new(
                "pawang_operator_reconcile_failures_total",
                "Failed reconciles by reason.",
            ),
            &["reason"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "pawang_operator_reconcile_duration_seconds",
                "Time spent in one reconcile.",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &[],
        )?;
        let writes = IntCounterVec::new(
            Opts::new(
                "pawang_operator_writes_total",
                "Write requests sent to the API server, by kind.",
            ),
            &["kind"],
        )?;
        let accounts = IntGaugeVec::new(
            Opts::new("pawang_operator_accounts", "Accounts by phase."),
            &["phase"],
        )?;
        registry.register(Box::new(reconciles.clone()))?;
        registry.register(Box::new(failures.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(writes.clone()))?;
        registry.register(Box::new(accounts.clone()))?;
        for result in ["ok", "error"] {
            reconciles.with_label_values(&[result]);
        }
        Ok(Self {
            registry,
            reconciles,
            failures,
            duration,
            writes,
            accounts,
            phase_source: Arc::default(),
        })
    }

    /// Counts one reconcile and its duration.
    pub fn reconciled(&self, took: Duration, failure: Option<&str>) {
        self.duration
            .with_label_values::<&str>(&[])
            .observe(took.as_secs_f64());
        let result = if failure.is_some() { "error" } else { "ok" };
        self.reconciles.with_label_values(&[result]).inc();
        if let Some(reason) = failure {
            self.failures.with_label_values(&[reason]).inc();
        }
    }

    /// Counts one write request for an object kind.
    pub fn wrote(&self, kind: &str) {
        self.writes.with_label_values(&[kind]).inc();
    }

    /// Counts the accounts-by-phase gauges from `store` at every scrape.
    pub fn count_phases_of(&self, store: Store<WhatsAppAccount>) {
        // One controller runs per process; a second call keeps the first.
        let _ = self.phase_source.set(store);
    }

    /// Sets the accounts-by-phase gauges; accounts without a phase yet
    /// count as provisioning.
    pub fn set_phases(&self, phases: impl IntoIterator<Item = Option<Phase>>) {
        let mut counts = [0i64; PHASES.len()];
        for phase in phases {
            let phase = phase.unwrap_or(Phase::Provisioning);
            if let Some(i) = PHASES.iter().position(|p| *p == phase) {
                counts[i] += 1;
            }
        }
        for (phase, count) in PHASES.iter().zip(counts) {
            self.accounts
                .with_label_values(&[&format!("{phase:?}")])
                .set(count);
        }
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        if let Some(store) = self.phase_source.get() {
            self.set_phases(
                store
                    .state()
                    .iter()
                    .map(|a| a.status.as_ref().and_then(|s| s.phase)),
            );
        }
        let mut buffer = Vec::new();
        // Encoding into a Vec cannot fail for well-formed metrics.
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            let error = crds::naming::Chain(&error);
            tracing::warn!(error = %crds::naming::Redacted(error), "cannot encode metrics");
        }
        String::from_utf8_lossy(&buffer).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_what_was_counted() {
        let metrics = Metrics::new().unwrap();
        metrics.reconciled(Duration::from_millis(3), None);
        metrics.reconciled(Duration::from_millis(3), Some("Kube"));
        metrics.wrote("StatefulSet");
        metrics.set_phases([Some(Phase::Connected), None, Some(Phase::Connected)]);
        let text = metrics.render();
        for line in [
            "pawang_operator_reconciles_total{result=\"ok\"} 1",
            "pawang_operator_reconciles_total{result=\"error\"} 1",
            "pawang_operator_reconcile_failures_total{reason=\"Kube\"} 1",
            "pawang_operator_writes_total{kind=\"StatefulSet\"} 1",
            "pawang_operator_accounts{phase=\"Connected\"} 2",
            "pawang_operator_accounts{phase=\"Provisioning\"} 1",
            "pawang_operator_accounts{phase=\"Banned\"} 0",
            "pawang_operator_reconcile_duration_seconds_count 2",
        ] {
            assert!(text.contains(line), "{line} missing in\n{text}");
        }
    }
}
