//! The tenant's Prometheus metrics: connection state, pairing outcomes,
//! job items, Telegram API errors, failed bot data calls, WhatsApp
//! operation latency, and when
//! the process started (so restarts show between scrapes). Every labelled
//! series that alerts rely on exists from the start, at zero.

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use crds::PhoneNumber;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use tokio::sync::broadcast;

use crate::whatsapp::{self, Event, GroupInfo, MemberOutcome, Membership, Setting, WhatsApp};

/// The tenant's metrics; cheap to clone.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    /// 1 while the WhatsApp session is connected.
    pub connected: IntGauge,
    /// Pairings by outcome.
    pub pairings: IntCounterVec,
    /// Failed Telegram requests by kind (`rate_limited`, `unreachable`,
    /// `other`).
    pub telegram_errors: IntCounterVec,
    /// Job items decided, by result (`ok`, `failed`).
    pub job_items: IntCounterVec,
    /// Calls to the bot data that failed (a full or failing volume).
    pub store_errors: IntCounter,
    whatsapp_seconds: HistogramVec,
}

/// Pairing outcomes, as counted.
pub const PAIRING_OUTCOMES: [&str; 5] =
    ["paired", "timed_out", "cancelled", "rate_limited", "failed"];

impl Metrics {
    /// Creates and registers every metric.
    pub fn new() -> prometheus::Result<Self> {
        let registry = Registry::new();
        let connected = IntGauge::new(
            "pawang_tenant_whatsapp_connected",
            "1 while the WhatsApp session is connected.",
        )?;
        let pairings = IntCounterVec::new(
            Opts::new("pawang_tenant_pairings_total", "Pairings by outcome."),
            &["outcome"],
        )?;
        let telegram_errors = IntCounterVec::new(
            Opts::new(
                "pawang_tenant_telegram_errors_total",
                "Failed Telegram requests by kind.",
            ),
            &["kind"],
        )?;
        let job_items = IntCounterVec::new(
            Opts::new(
                "pawang_tenant_job_items_total",
                "Items of bulk jobs decided, by result.",
            ),
            &["result"],
        )?;
        let store_errors = IntCounter::new(
            "pawang_tenant_store_errors_total",
            "Calls to the account's bot data that failed.",
        )?;
        let started = prometheus::Gauge::new(
            "pawang_tenant_start_time_seconds",
            "When this tenant process started, in Unix seconds.",
        )?;
        started.set(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
        );
        let whatsapp_seconds = HistogramVec::new(
            HistogramOpts::new(
                "pawang_tenant_whatsapp_operation_seconds",
                "Time WhatsApp operations take, by operation and result.",
            )
            .buckets(vec![0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]),
            &["operation", "result"],
        )?;
        registry.register(Box::new(connected.clone()))?;
        registry.register(Box::new(pairings.clone()))?;
        registry.register(Box::new(telegram_errors.clone()))?;
        registry.register(Box::new(whatsapp_seconds.clone()))?;
        registry.register(Box::new(job_items.clone()))?;
        registry.register(Box::new(store_errors.clone()))?;
        registry.register(Box::new(started))?;
        for outcome in PAIRING_OUTCOMES {
            pairings.with_label_values(&[outcome]);
        }
        for kind in ["rate_limited", "unreachable", "other"] {
            telegram_errors.with_label_values(&[kind]);
        }
        for result in ["ok", "failed"] {
            job_items.with_label_values(&[result]);
        }
        Ok(Self {
            registry,
            connected,
            pairings,
            telegram_errors,
            job_items,
            store_errors,
            whatsapp_seconds,
        })
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

/// A WhatsApp port that times every operation.
pub struct Metered {
    inner: Arc<dyn WhatsApp>,
    metrics: Metrics,
}

impl std::fmt::Debug for Metered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metered").finish_non_exhaustive()
    }
}

impl Metered {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn WhatsApp>, metrics: Metrics) -> Self {
        Self { inner, metrics }
    }

    async fn time<T>(
        &self,
        operation: &str,
        call: impl std::future::Future<Output = whatsapp::Result<T>>,
    ) -> whatsapp::Result<T> {
        let started = Instant::now();
        let result = call.await;
        let outcome = if result.is_ok() { "ok" } else { "error" };
        self.metrics
            .whatsapp_seconds
            .with_label_values(&[operation, outcome])
            .observe(started.elapsed().as_secs_f64());
        result
    }
}

#[async_trait]
impl WhatsApp for Metered {
    fn events(&self) -> broadcast::Receiver<Event> {
        self.inner.events()
    }

    async fn is_paired(&self) -> bool {
        self.inner.is_paired().await
    }

    async fn request_pairing_code(&self, phone: &PhoneNumber) -> whatsapp::Result<String> {
        let call = self.inner.request_pairing_code(phone);
        self.time("request_pairing_code", call).await
    }

    async fn cancel_pairing(&self) -> whatsapp::Result<()> {
        self.time("cancel_pairing", self.inner.cancel_pairing())
            .await
    }

    async fn connect(&self) -> whatsapp::Result<()> {
        self.time("connect", self.inner.connect()).await
    }

    async fn disconnect(&self) -> whatsapp::Result<()> {
        self.time("disconnect", self.inner.disconnect()).await
    }

    async fn logout(&self) -> whatsapp::Result<()> {
        self.time("logout", self.inner.logout()).await
    }

    async fn groups(&self) -> whatsapp::Result<Vec<GroupInfo>> {
        self.time("groups", self.inner.groups()).await
    }

    async fn create_group(&self, name: &str, members: &[String]) -> whatsapp::Result<GroupInfo> {
        let call = self.inner.create_group(name, members);
        self.time("create_group", call).await
    }

    async fn invite_link(&self, group: &str, reset: bool) -> whatsapp::Result<String> {
        let call = self.inner.invite_link(group, reset);
        self.time("invite_link", call).await
    }

    async fn join_with_code(&self, code: &str) -> whatsapp::Result<String> {
        self.time("join_with_code", self.inner.join_with_code(code))
            .await
    }

    async fn leave(&self, group: &str) -> whatsapp::Result<()> {
        self.time("leave", self.inner.leave(group)).await
    }

    async fn change_members(
        &self,
        group: &str,
        change: Membership,
        numbers: &[String],
    ) -> whatsapp::Result<Vec<(String, MemberOutcome)>> {
        let call = self.inner.change_members(group, change, numbers);
        self.time("change_members", call).await
    }

    async fn set_description(&self, group: &str, text: &str) -> whatsapp::Result<()> {
        let call = self.inner.set_description(group, text);
        self.time("set_description", call).await
    }

    async fn set_photo(&self, group: &str, jpeg: &[u8]) -> whatsapp::Result<()> {
        self.time("set_photo", self.inner.set_photo(group, jpeg))
            .await
    }

    async fn set_setting(&self, group: &str, setting: Setting) -> whatsapp::Result<()> {
        let call = self.inner.set_setting(group, setting);
        self.time("set_setting", call).await
    }

    async fn join_requests(&self, group: &str) -> whatsapp::Result<Vec<String>> {
        self.time("join_requests", self.inner.join_requests(group))
            .await
    }

    async fn answer_join_requests(
        &self,
        group: &str,
        numbers: &[String],
        approve: bool,
    ) -> whatsapp::Result<()> {
        let call = self.inner.answer_join_requests(group, numbers, approve);
        self.time("answer_join_requests", call).await
    }

    async fn send_text(&self, group: &str, text: &str) -> whatsapp::Result<()> {
        self.time("send_text", self.inner.send_text(group, text))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::whatsapp::fake::Fake;

    #[tokio::test]
    async fn operations_are_timed_by_result() {
        let metrics = Metrics::new().unwrap();
        let fake = Arc::new(Fake::new());
        let metered = Metered::new(fake.clone(), metrics.clone());
        assert!(metered.groups().await.is_err());
        metered
            .request_pairing_code(&"447700900123".parse().unwrap())
            .await
            .unwrap();
        metrics.connected.set(1);
        metrics.pairings.with_label_values(&["paired"]).inc();
        let text = metrics.render();
        for line in [
            "pawang_tenant_whatsapp_operation_seconds_count{operation=\"groups\",result=\"error\"} 1",
            "pawang_tenant_whatsapp_operation_seconds_count{operation=\"request_pairing_code\",result=\"ok\"} 1",
            "pawang_tenant_whatsapp_connected 1",
            "pawang_tenant_pairings_total{outcome=\"paired\"} 1",
        ] {
            assert!(text.contains(line), "{line} missing in\n{text}");
        }
    }
}
