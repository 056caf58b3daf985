//! The tenant's HTTP endpoints: Telegram updates forwarded by the front
//! door, health and metrics on one router; the operator's logout request
//! and the session's state (for a supervisor that has no cluster to read
//! it from) on another, served on an address of its own in a cluster so a
//! NetworkPolicy can tell who may call which.
//!
//! Every call but health must carry the tenant secret in
//! `X-Telegram-Bot-Api-Secret-Token` (the header Telegram itself uses for
//! webhooks). An update is accepted only when its sender is the owner:
//! a tenant serves one person and nobody else. An update whose id was
//! taken lately is answered as taken and not queued again: the front door
//! gives an update again when it stopped before Telegram learnt it was
//! handled.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

use super::metrics::Metrics;
use super::status::Session;
use crate::protocol::update::sender;
use crate::telegram::RecentUpdates;
use crate::whatsapp::WhatsApp;

/// What the endpoint shares.
#[derive(Clone)]
pub struct Endpoint {
    /// The tenant secret.
    pub secret: Arc<str>,
    /// The owner's Telegram user id.
    pub owner: i64,
    /// Accepted updates as received (JSON text: teloxide parses its
    /// update type from text, not from a parsed value), in order.
    pub updates: mpsc::Sender<String>,
    /// The account's WhatsApp session.
    pub whatsapp: Arc<dyn WhatsApp>,
    /// Whether the tenant is ready to serve.
    pub ready: Arc<AtomicBool>,
    /// The tenant's metrics.
    pub metrics: Metrics,
    /// Where the WhatsApp session is.
    pub session: watch::Receiver<Session>,
    /// Ids of the updates taken lately.
    pub recent: Arc<RecentUpdates>,
}

/// How many update ids a tenant remembers to recognise one given again.
pub const RECENT_UPDATES: usize = 1024;

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint").finish_non_exhaustive()
    }
}

/// The router of the tenant's main endpoint: updates, health, metrics.
pub fn router(endpoint: Endpoint) -> Router {
    Router::new()
        .route("/telegram/update", post(update))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route(
            "/metrics",
            get(|State(e): State<Endpoint>| async move { e.metrics.render() }),
        )
        .with_state(endpoint)
}

/// The router of the admin calls: logout and the session's state.
pub fn admin_router(endpoint: Endpoint) -> Router {
    Router::new()
        .route("/admin/logout", post(logout))
        .route("/admin/session", get(session))
        .with_state(endpoint)
}

/// Whether `headers` carry `secret` in the tenant secret header.
pub(crate) fn authorised(headers: &HeaderMap, secret: &str) -> bool {
    headers
        .get(crds::secret::HEADER)
        .is_some_and(|v| crds::secret::same(v.as_bytes(), secret.as_bytes()))
}

async fn update(State(endpoint): State<Endpoint>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if !authorised(&headers, &endpoint.secret) {
        warn!("update refused: missing or wrong secret");
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(update) = serde_json::from_slice::<Value>(&body) else {
        warn!("update refused: not JSON");
        return StatusCode::BAD_REQUEST;
    };
    let update_id = update.get("update_id").and_then(Value::as_i64);
    if sender(&update) != Some(endpoint.owner) {
        // Who sent it is personal data; the update id is enough to trace.
        warn!(?update_id, "update refused: not from the owner");
        return StatusCode::FORBIDDEN;
    }
    if let Some(id) = update_id
        && !endpoint.recent.first_time(id)
    {
        info!(id, "update given again; it was taken before");
        return StatusCode::OK;
    }
    let raw = String::from_utf8_lossy(&body).into_owned();
    match endpoint.updates.try_send(raw) {
        Ok(()) => StatusCode::OK,
        // The front door retries; the order of one user's updates is kept
        // because it delivers them one at a time.
        Err(mpsc::error::TrySendError::Full(_) | mpsc::error::TrySendError::Closed(_)) => {
            if let Some(id) = update_id {
                endpoint.recent.forget(id);
            }
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

async fn logout(State(endpoint): State<Endpoint>, headers: HeaderMap) -> StatusCode {
    if !authorised(&headers, &endpoint.secret) {
        warn!("logout refused: missing or wrong secret");
        return StatusCode::UNAUTHORIZED;
    }
    match endpoint.whatsapp.logout().await {
        Ok(()) => {
            info!("logged out on the operator's request");
            StatusCode::OK
        }
        Err(error) => {
            warn!(error = %crds::naming::why(&error), "logout failed");
            StatusCode::BAD_GATEWAY
        }
    }
}

async fn session(
    State(endpoint): State<Endpoint>,
    headers: HeaderMap,
) -> Result<axum::Json<Session>, StatusCode> {
    if !authorised(&headers, &endpoint.secret) {
        return Err(StatusCode::UNAUTHORIZED);
    }
    Ok(axum::Json(endpoint.session.borrow().clone()))
}

async fn ready(State(endpoint): State<Endpoint>) -> StatusCode {
    if endpoint.ready.load(Ordering::Acquire) {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

#[cfg(test)]
mod tests;
