//! Updates in order per user, and their delivery to tenants.
//!
//! Each user with pending updates has a bounded queue and one worker that
//! handles them one at a time, so a user's updates keep their order while
//! a slow or dead tenant delays only its own user. Workers end when their
//! queue has been idle for a while. Each update travels with a [`Receipt`]
//! that the worker lets go once the update is handled, which is when the
//! intake may acknowledge it to Telegram.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use tokio::sync::mpsc;
use tracing::Instrument;

/// What handles one user's updates, in order.
#[async_trait]
pub trait Handler: Send + Sync + 'static {
    /// Handles `update` from `user`.
    async fn handle(&self, user: i64, update: Value);
}

/// Held while an update waits or is handled; letting it go (dropping it)
/// runs what was given to [`Receipt::new`], once.
pub struct Receipt(Option<Box<dyn FnOnce() + Send>>);

impl Receipt {
    /// A receipt that runs `handled` when let go.
    pub fn new(handled: impl FnOnce() + Send + 'static) -> Self {
        Self(Some(Box::new(handled)))
    }

    /// A receipt nobody waits for.
    pub fn none() -> Self {
        Self(None)
    }
}

impl Drop for Receipt {
    fn drop(&mut self) {
        if let Some(handled) = self.0.take() {
            handled();
        }
    }
}

impl std::fmt::Debug for Receipt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Receipt").field(&self.0.is_some()).finish()
    }
}

/// An update in a user's queue, with the receipt to let go once handled.
type Queued = (Value, Receipt);

/// One bounded queue per user with pending updates.
pub struct Queues<H> {
    handler: Arc<H>,
    capacity: usize,
    idle: Duration,
    users: Mutex<HashMap<i64, mpsc::Sender<Queued>>>,
    active: prometheus::IntGauge,
}

impl<H> std::fmt::Debug for Queues<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queues")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

/// The queue of this user is full; the update was not taken and its
/// receipt was let go.
#[derive(Debug)]
pub struct Full(pub Value);

impl<H: Handler> Queues<H> {
    /// Queues of `capacity` updates each, their workers ending after
    /// `idle`; `active` counts users with a worker.
    pub fn new(
        handler: Arc<H>,
        capacity: usize,
        idle: Duration,
        active: prometheus::IntGauge,
    ) -> Arc<Self> {
        Arc::new(Self {
            handler,
            capacity: capacity.max(1),
            idle,
            users: Mutex::new(HashMap::new()),
            active,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, mpsc::Sender<Queued>>> {
        self.users.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `update` of `user`, `receipt` let go once it is handled;
    /// never waits.
    pub fn push(self: &Arc<Self>, user: i64, update: Value, receipt: Receipt) -> Result<(), Full> {
        let mut users = self.lock();
        let sender = users.entry(user).or_insert_with(|| {
            let (tx, rx) = mpsc::channel(self.capacity);
            self.active.inc();
            let queues = self.clone();
            tokio::spawn(
                async move { queues.work(user, rx).await }
                    .instrument(tracing::info_span!("user_queue")),
            );
            tx
        });
        sender
            .try_send((update, receipt))
            .map_err(|error| match error {
                mpsc::error::TrySendError::Full((update, _))
                | mpsc::error::TrySendError::Closed((update, _)) => Full(update),
            })
    }

    async fn work(self: Arc<Self>, user: i64, mut rx: mpsc::Receiver<Queued>) {
        loop {
            match tokio::time::timeout(self.idle, rx.recv()).await {
                Ok(Some((update, receipt))) => {
                    self.handler.handle(user, update).await;
                    drop(receipt);
                }
                Ok(None) => break,
                Err(_) => {
                    // Pushes happen under the same lock, so an empty queue
                    // here stays empty until the entry is gone.
                    let mut users = self.lock();
                    if rx.is_empty() {
                        users.remove(&user);
                        break;
                    }
                }
            }
        }
        self.active.dec();
    }
}

/// Why an update did not reach its tenant.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Nothing answers at the tenant's address.
    #[error("the tenant cannot be reached")]
    Unreachable(#[source] reqwest::Error),
    /// The tenant answered, but not with success.
    #[error("the tenant answered {0}")]
    Status(u16),
}

/// Where tenants listen, by account, when a template cannot say (a
/// standalone install's child processes on ports of their own).
pub type Endpoints = std::sync::Arc<std::sync::RwLock<std::collections::HashMap<String, String>>>;

/// Delivery of updates to tenants' endpoints.
#[derive(Clone)]
pub struct Tenants {
    http: reqwest::Client,
    template: String,
    namespace: String,
    install_key: crds::secret::InstallKey,
    endpoints: Option<Endpoints>,
}

impl std::fmt::Debug for Tenants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tenants")
            .field("template", &self.template)
            .finish_non_exhaustive()
    }
}

/// How long one try may take.
const TIMEOUT: Duration = Duration::from_secs(10);

impl Tenants {
    /// Tenants at `template` (`{name}`, `{namespace}`), secrets derived from
    /// `install_key`.
    pub fn new(template: &str, namespace: &str, install_key: crds::secret::InstallKey) -> Self {
        Self {
            http: reqwest::Client::new(),
            template: template.to_owned(),
            namespace: namespace.to_owned(),
            install_key,
            endpoints: None,
        }
    }

    /// Looks tenants up in `endpoints` before the template.
    pub fn with_endpoints(mut self, endpoints: Option<Endpoints>) -> Self {
        self.endpoints = endpoints;
        self
    }

    /// The endpoint of `account`'s tenant.
    pub fn url(&self, account: &str) -> String {
        let known = self
            .endpoints
            .as_ref()
            .and_then(|e| e.read().ok()?.get(account).cloned());
        known.unwrap_or_else(|| crds::naming::tenant_url(&self.template, account, &self.namespace))
    }

    /// Delivers `update` to `account`'s tenant. A tenant that is not
    /// listening yet (starting, or starting again) or whose queue is full
    /// is tried again as [`Peer::Tenant`]'s policy says, 15 s at most (a
    /// new tenant's name may be missing from the cluster's DNS for
    /// seconds, and a button pressed the second it spoke must still reach
    /// it); a connection that was never made sent nothing, so trying
    /// again cannot deliver twice.
    ///
    /// [`Peer::Tenant`]: crate::retry::Peer::Tenant
    pub async fn forward(&self, account: &str, update: &Value) -> Result<(), Error> {
        use backon::Retryable as _;
        let secret = self.install_key.tenant_secret(account);
        let body = update.to_string();
        let deliver = || async {
            // Looked up on each try: a restarted tenant may listen elsewhere.
            let url = format!(
                "{}/telegram/update",
                self.url(account).trim_end_matches('/')
            );
            let response = self
                .http
                .post(&url)
                .header(crds::secret::HEADER, &secret)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .timeout(TIMEOUT)
                .body(body.clone())
                .send()
                .await
                .map_err(Error::Unreachable)?;
            match response.status().as_u16() {
                200..=299 => Ok(()),
                status => Err(Error::Status(status)),
            }
        };
        deliver
            .retry(crate::retry::Peer::Tenant.policy())
            .when(|error| match error {
                // Its queue is full, or it is not ready yet.
                Error::Status(status) => *status == 503,
                // Nothing was sent: trying again cannot deliver twice.
                Error::Unreachable(error) => error.is_connect(),
            })
            .await
    }
}

#[cfg(test)]
mod tests;
