//! `/metrics`, `/healthz` and `/readyz`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use crate::metrics::Metrics;

/// What readiness depends on.
///
/// A standby replica is ready once the CRD exists: it is healthy and
/// waiting for the Lease, and a rollout must be able to proceed while the
/// old leader still holds it. The leader is ready once its watches have
/// synced.
#[derive(Debug, Default)]
pub struct Health {
    /// The WhatsAppAccount CRD is served.
    pub crd_present: AtomicBool,
    /// This replica holds the Lease.
    pub leading: AtomicBool,
    /// Every watch of the controller has listed its objects.
    pub synced: AtomicBool,
}

impl Health {
    /// Whether `/readyz` answers 200.
    pub fn is_ready(&self) -> bool {
        self.crd_present.load(Ordering::Acquire)
            && (!self.leading.load(Ordering::Acquire) || self.synced.load(Ordering::Acquire))
    }
}

#[derive(Clone)]
struct AppState {
    metrics: Metrics,
    health: Arc<Health>,
}

/// The router serving the three endpoints.
pub fn router(metrics: Metrics, health: Arc<Health>) -> Router {
    Router::new()
        .route("/metrics", get(render_metrics))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .with_state(AppState { metrics, health })
}

async fn render_metrics(State(state): State<AppState>) -> String {
    state.metrics.render()
}

async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.health.is_ready() {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_rules() {
        let health = Health::default();
        assert!(!health.is_ready(), "no CRD yet");
        health.crd_present.store(true, Ordering::Release);
        assert!(health.is_ready(), "standby");
        health.leading.store(true, Ordering::Release);
        assert!(!health.is_ready(), "leader, not synced");
        health.synced.store(true, Ordering::Release);
        assert!(health.is_ready(), "leader, synced");
    }
}
