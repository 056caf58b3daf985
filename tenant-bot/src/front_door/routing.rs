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

/// How long a tenant that answers 503 (its queue is full, or it is not
/// ready yet) or cannot be reached (starting, or its name not yet known to
/// the cluster's DNS, which keeps a "no such name" for seconds) is tried
/// again as [`Peer::Tenant`]'s policy says, 15 s at most: a button
/// pressed the second a new tenant spoke must still reach it.
///
/// [`Peer::Tenant`]: crate::retry::Peer::Tenant
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
    /// is tried again for a while; a connection that was never made sent
    /// nothing, so trying again cannot deliver twice.
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
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use serde_json::json;
    use tokio::sync::Notify;

    use super::*;

    #[derive(Default)]
    struct Recorder {
        seen: Mutex<Vec<(i64, i64)>>,
        gate: Notify,
        blocked_user: Option<i64>,
        handled: AtomicUsize,
        done: Notify,
    }

    #[async_trait]
    impl Handler for Recorder {
        async fn handle(&self, user: i64, update: Value) {
            if Some(user) == self.blocked_user {
                self.gate.notified().await;
            }
            let id = update["update_id"].as_i64().unwrap();
            self.seen.lock().unwrap().push((user, id));
            self.handled.fetch_add(1, Ordering::SeqCst);
            self.done.notify_waiters();
        }
    }

    async fn until_handled(recorder: &Recorder, n: usize) {
        let wait = async {
            loop {
                let notified = recorder.done.notified();
                if recorder.handled.load(Ordering::SeqCst) >= n {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .unwrap();
    }

    fn gauge() -> prometheus::IntGauge {
        prometheus::IntGauge::new("active", "test").unwrap()
    }

    #[tokio::test]
    async fn each_user_keeps_their_order() {
        let recorder = Arc::new(Recorder::default());
        let queues = Queues::new(recorder.clone(), 1000, Duration::from_secs(60), gauge());
        for id in 0..300 {
            queues
                .push(id % 3, json!({"update_id": id}), Receipt::none())
                .unwrap();
        }
        until_handled(&recorder, 300).await;
        let seen = recorder.seen.lock().unwrap().clone();
        for user in 0..3 {
            let ids: Vec<_> = seen
                .iter()
                .filter(|(u, _)| *u == user)
                .map(|(_, i)| *i)
                .collect();
            let expected: Vec<_> = (0..300).filter(|i| i % 3 == user).collect();
            assert_eq!(ids, expected, "user {user}");
        }
    }

    #[tokio::test]
    async fn a_stuck_user_does_not_delay_others() {
        let recorder = Arc::new(Recorder {
            blocked_user: Some(1),
            ..Recorder::default()
        });
        let queues = Queues::new(recorder.clone(), 10, Duration::from_secs(60), gauge());
        queues
            .push(1, json!({"update_id": 0}), Receipt::none())
            .unwrap();
        for id in 1..=5 {
            queues
                .push(2, json!({"update_id": id}), Receipt::none())
                .unwrap();
        }
        until_handled(&recorder, 5).await;
        let seen = recorder.seen.lock().unwrap().clone();
        assert!(seen.iter().all(|(u, _)| *u == 2), "{seen:?}");
        recorder.gate.notify_waiters();
        until_handled(&recorder, 6).await;
    }

    #[tokio::test]
    async fn a_full_queue_refuses_without_waiting() {
        let recorder = Arc::new(Recorder {
            blocked_user: Some(1),
            ..Recorder::default()
        });
        let queues = Queues::new(recorder.clone(), 2, Duration::from_secs(60), gauge());
        // One in the worker's hands, two queued, the fourth refused.
        let mut refused = 0;
        for id in 0..4 {
            if queues
                .push(1, json!({"update_id": id}), Receipt::none())
                .is_err()
            {
                refused += 1;
            }
        }
        assert!((1..=2).contains(&refused), "{refused}");
    }

    #[tokio::test]
    async fn a_receipt_is_let_go_once_its_update_is_handled() {
        let recorder = Arc::new(Recorder {
            blocked_user: Some(1),
            ..Recorder::default()
        });
        let queues = Queues::new(recorder.clone(), 1, Duration::from_secs(60), gauge());
        // One in the worker's hands (stuck), one queued: of three, at
        // least the last is refused.
        let mut taken = Vec::new();
        let mut refused = 0;
        for id in 1..=3 {
            let (tx, mut let_go) = tokio::sync::oneshot::channel::<()>();
            let receipt = Receipt::new(move || {
                let _ = tx.send(());
            });
            match queues.push(1, json!({ "update_id": id }), receipt) {
                Ok(()) => taken.push(let_go),
                Err(Full(_)) => {
                    refused += 1;
                    assert!(
                        let_go.try_recv().is_ok(),
                        "a refused update's receipt is kept"
                    );
                }
            }
        }
        assert!(refused >= 1, "{refused}");
        for let_go in &mut taken {
            assert!(let_go.try_recv().is_err(), "let go before it was handled");
        }
        for (handled, let_go) in taken.into_iter().enumerate() {
            recorder.gate.notify_one();
            until_handled(&recorder, handled + 1).await;
            tokio::time::timeout(Duration::from_secs(10), let_go)
                .await
                .unwrap()
                .unwrap();
        }
    }

    #[tokio::test(start_paused = true)]
    async fn idle_workers_end_and_come_back() {
        let recorder = Arc::new(Recorder::default());
        let active = gauge();
        let queues = Queues::new(recorder.clone(), 10, Duration::from_secs(5), active.clone());
        queues
            .push(1, json!({"update_id": 1}), Receipt::none())
            .unwrap();
        until_handled(&recorder, 1).await;
        assert_eq!(active.get(), 1);
        tokio::time::sleep(Duration::from_secs(6)).await;
        assert_eq!(active.get(), 0);
        assert!(queues.lock().is_empty());
        queues
            .push(1, json!({"update_id": 2}), Receipt::none())
            .unwrap();
        until_handled(&recorder, 2).await;
        assert_eq!(active.get(), 1);
    }

    /// A tenant at a local address that answers the first `busy` tries
    /// with 503 and the rest with `then`; counts the tries.
    async fn tenant(busy: usize, then: u16) -> (Tenants, Arc<AtomicUsize>) {
        let tries = Arc::new(AtomicUsize::new(0));
        let counted = tries.clone();
        let app = axum::Router::new().route(
            "/telegram/update",
            axum::routing::post(move || {
                let tries = counted.clone();
                async move {
                    let n = tries.fetch_add(1, Ordering::SeqCst);
                    let status = if n < busy { 503 } else { then };
                    axum::http::StatusCode::from_u16(status).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let key =
            crds::secret::InstallKey::new(b"a test install key, long enough to take").unwrap();
        let tenants = Tenants::new(&format!("http://{address}"), "ns", key);
        (tenants, tries)
    }

    #[tokio::test]
    async fn a_busy_tenant_is_given_seconds_not_a_few_tries() {
        // Seven refusals take about 6 s of pauses: more than a handful of
        // quick tries, well within the patience.
        let (tenants, tries) = tenant(7, 200).await;
        let sent = tenants.forward("wa-1", &json!({"update_id": 1})).await;
        assert!(sent.is_ok(), "{sent:?}");
        assert_eq!(tries.load(Ordering::SeqCst), 8);
    }

    #[tokio::test]
    async fn a_refusal_other_than_busy_is_final() {
        let (tenants, tries) = tenant(0, 401).await;
        let sent = tenants.forward("wa-1", &json!({"update_id": 1})).await;
        assert!(matches!(sent, Err(Error::Status(401))), "{sent:?}");
        assert_eq!(tries.load(Ordering::SeqCst), 1);
    }
}
