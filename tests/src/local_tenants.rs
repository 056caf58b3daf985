//! Tenants as local processes, for a control plane without a kubelet.
//!
//! It does what the kubelet and a Service would do for the operator's
//! StatefulSets: for each `WhatsAppAccount` it starts `tenant-bot tenant`
//! with the arguments the pod would get, authenticated as the tenant's own
//! ServiceAccount (a token from the TokenRequest API), marks the tenant's
//! pod ready once the process is, and stops the process when the account
//! goes. The account's seed Secret, when there, is handed over as files,
//! as the pod's optional seed volume would be. One loopback reverse proxy stands in for the tenants' Services:
//! `http://127.0.0.1:<port>/<account>/…` reaches that account's tenant.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use crds::WhatsAppAccount;
use crds::secret::InstallKey;
use futures::StreamExt;
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::{Pod, Secret, ServiceAccount};
use kube::api::{Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, ResourceExt};
use serde_json::json;

use crate::process::{free_address, workspace_binary};

/// What each tenant is started with.
#[derive(Debug, Clone)]
pub struct Options {
    /// Namespace of the accounts.
    pub namespace: String,
    /// The install key tenant secrets derive from.
    pub install_key: String,
    /// The front door's gateway.
    pub gateway_url: String,
    /// Where each tenant keeps its data, in a folder per account.
    pub dir: PathBuf,
    /// `fake` or `whatsapp-rust`.
    pub backend: String,
    /// Pairing timeout, in seconds.
    pub pairing_timeout: u64,
    /// The admin kubeconfig: its server and CA, with each tenant's token.
    pub kubeconfig: PathBuf,
}

struct Running {
    child: Child,
    address: SocketAddr,
}

#[derive(Default)]
struct Tenants {
    running: HashMap<String, Running>,
    /// Accounts whose tenant is being started: one start at a time, or
    /// two would share (and overwrite) one kubeconfig and log.
    launching: std::collections::HashSet<String>,
    /// Accounts whose updates the proxy holds, as a hung tenant would,
    /// with how many it holds now.
    held: HashMap<String, usize>,
    /// Tells held requests that something was released.
    released: Arc<tokio::sync::Notify>,
}

/// The running stand-in; stops every tenant when dropped.
pub struct LocalTenants {
    proxy: SocketAddr,
    tenants: Arc<Mutex<Tenants>>,
    task: tokio::task::JoinHandle<()>,
    dir: PathBuf,
    install_key: InstallKey,
    http: reqwest::Client,
}

impl std::fmt::Debug for LocalTenants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTenants")
            .field("proxy", &self.proxy)
            .finish_non_exhaustive()
    }
}

impl LocalTenants {
    /// Watches the accounts of `options.namespace` with `client` and runs
    /// a tenant for each.
    pub async fn start(client: Client, options: Options) -> Self {
        std::fs::create_dir_all(&options.dir).expect("tenants dir");
        let tenants = Arc::new(Mutex::new(Tenants::default()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the tenant proxy");
        let proxy = listener.local_addr().expect("proxy address");
        let router = Router::new()
            .route("/{account}/{*rest}", any(forward))
            .with_state((tenants.clone(), reqwest::Client::new()));
        tokio::spawn(async move { axum::serve(listener, router).await });
        let dir = options.dir.clone();
        let install_key = InstallKey::new(options.install_key.as_bytes()).expect("install key");
        let task = tokio::spawn(supervise(client, options, tenants.clone()));
        Self {
            proxy,
            tenants,
            task,
            dir,
            install_key,
            http: reqwest::Client::new(),
        }
    }

    /// The tenant secret of `account`, for its own endpoints.
    pub fn secret(&self, account: &str) -> String {
        self.install_key.tenant_secret(account)
    }

    /// Tells the fake WhatsApp behind `account` that its owner entered the
    /// pairing code, once its tenant is there to hear it.
    pub async fn enter_code(&self, account: &str) {
        let url = format!("{}/fake/enter-code", self.url(account));
        crate::wait::wait_until("the code entered", || async {
            let response = self
                .http
                .post(&url)
                .header(crds::secret::HEADER, self.secret(account))
                .send()
                .await
                .ok()?;
            response.status().is_success().then_some(())
        })
        .await;
    }

    /// Gives the owner of `account` a group named `name` in which they
    /// are an admin, on the fake WhatsApp behind it.
    pub async fn add_group(&self, account: &str, name: &str) {
        let added = self
            .http
            .post(format!("{}/fake/groups", self.url(account)))
            .header(crds::secret::HEADER, self.secret(account))
            .body(json!({"name": name, "admin": true}).to_string())
            .send()
            .await
            .expect("the fake's groups");
        assert!(added.status().is_success(), "{name}: {}", added.status());
    }

    /// The tenant URL template for the front door and the operator.
    pub fn url_template(&self) -> String {
        format!("http://{}/{{name}}", self.proxy)
    }

    /// The base URL of `account`'s tenant.
    pub fn url(&self, account: &str) -> String {
        format!("http://{}/{account}", self.proxy)
    }

    /// Makes the proxy hold every update for `account`, unanswered, as a
    /// hung tenant would, until [`LocalTenants::release`].
    pub fn hold(&self, account: &str) {
        lock(&self.tenants).held.insert(account.to_owned(), 0);
    }

    /// How many updates for `account` are being held now.
    pub fn holding(&self, account: &str) -> usize {
        lock(&self.tenants).held.get(account).copied().unwrap_or(0)
    }

    /// Lets `account`'s held updates (those whose caller is still
    /// waiting) through to its tenant, and the next ones too.
    pub fn release(&self, account: &str) {
        lock(&self.tenants).held.remove(account);
        lock(&self.tenants).released.notify_waiters();
    }

    /// The log of `account`'s tenant so far.
    pub fn log(&self, account: &str) -> String {
        std::fs::read_to_string(self.dir.join(format!("{account}.log"))).unwrap_or_default()
    }
}

impl Drop for LocalTenants {
    fn drop(&mut self) {
        self.task.abort();
        for (_, mut tenant) in lock(&self.tenants).running.drain() {
            let _ = tenant.child.kill();
            let _ = tenant.child.wait();
        }
        for entry in std::fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "log") {
                let log = std::fs::read_to_string(&path).unwrap_or_default();
                crate::hygiene::assert_clean(&path.display().to_string(), &log, &[]);
            }
        }
        // Logs stay for a failing test to be understood.
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn lock(tenants: &Mutex<Tenants>) -> std::sync::MutexGuard<'_, Tenants> {
    tenants.lock().unwrap_or_else(|e| e.into_inner())
}

async fn supervise(client: Client, options: Options, tenants: Arc<Mutex<Tenants>>) {
    let api: Api<WhatsAppAccount> = Api::namespaced(client.clone(), &options.namespace);
    // With a backoff, as a kubelet's watch: an API server that is away is
    // asked again calmly, not in a tight loop.
    let mut events = std::pin::pin!(watcher(api, watcher::Config::default()).default_backoff());
    while let Some(event) = events.next().await {
        let Ok(event) = event else { continue };
        match event {
            watcher::Event::Apply(account) | watcher::Event::InitApply(account) => {
                let name = account.name_any();
                // A deleted account keeps its tenant until it is gone: the
                // operator's finalizer asks it to log out first.
                let wanted = !account.spec.suspend;
                let (running, launching) = {
                    let guard = lock(&tenants);
                    (
                        guard.running.contains_key(&name),
                        guard.launching.contains(&name),
                    )
                };
                if wanted && !running && !launching {
                    lock(&tenants).launching.insert(name.clone());
                    let client = client.clone();
                    let options = options.clone();
                    let tenants = tenants.clone();
                    tokio::spawn(async move { launch(client, options, tenants, account).await });
                } else if !wanted && (running || launching) {
                    stop(&tenants, &name);
                }
            }
            watcher::Event::Delete(account) => stop(&tenants, &account.name_any()),
            watcher::Event::Init | watcher::Event::InitDone => {}
        }
    }
}

fn stop(tenants: &Mutex<Tenants>, name: &str) {
    let mut guard = lock(tenants);
    // A start under way sees this and stops its process itself.
    guard.launching.remove(name);
    if let Some(mut tenant) = guard.running.remove(name) {
        let _ = tenant.child.kill();
        let _ = tenant.child.wait();
    }
}

/// Waits while `account` is held, counted among its held updates.
async fn held_until_released(tenants: &Mutex<Tenants>, account: &str) {
    /// Uncounts a held update however its wait ends, its caller gone
    /// included.
    struct Counted<'a>(&'a Mutex<Tenants>, &'a str);
    impl Drop for Counted<'_> {
        fn drop(&mut self) {
            if let Some(count) = lock(self.0).held.get_mut(self.1) {
                *count = count.saturating_sub(1);
            }
        }
    }
    let releases = lock(tenants).released.clone();
    let mut counted = None;
    loop {
        let released = releases.notified();
        {
            let mut guard = lock(tenants);
            let Some(count) = guard.held.get_mut(account) else {
                return;
            };
            if counted.is_none() {
                *count += 1;
            }
        }
        counted.get_or_insert(Counted(tenants, account));
        released.await;
    }
}

/// A kubeconfig for `account`'s ServiceAccount, once the operator made it.
async fn tenant_kubeconfig(client: &Client, options: &Options, account: &str) -> PathBuf {
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), &options.namespace);
    let request = TokenRequest {
        spec: Some(TokenRequestSpec {
            expiration_seconds: Some(3600),
            ..TokenRequestSpec::default()
        }),
        ..TokenRequest::default()
    };
    let token = crate::wait::wait_until("the tenant's ServiceAccount", || async {
        let response = accounts
            .create_token_request(account, &PostParams::default(), &request)
            .await
            .ok()?;
        response.status.and_then(|s| s.token)
    })
    .await;
    let path = options.dir.join(format!("{account}.kubeconfig"));
    crate::cluster::kubeconfig_with_token(&options.kubeconfig, &token, path)
}

async fn launch(
    client: Client,
    options: Options,
    tenants: Arc<Mutex<Tenants>>,
    account: WhatsAppAccount,
) {
    let name = account.name_any();
    let kubeconfig = tenant_kubeconfig(&client, &options, &name).await;
    let key = InstallKey::new(options.install_key.as_bytes()).expect("install key");
    let secret_file = options.dir.join(format!("{name}.secret"));
    std::fs::write(&secret_file, key.tenant_secret(&name)).expect("tenant secret");
    let seed = mount_seed(&client, &options, &name).await;
    let address = free_address();
    let log = std::fs::File::create(options.dir.join(format!("{name}.log"))).expect("tenant log");
    let data = options.dir.join(&name);
    let child = Command::new(workspace_binary("tenant-bot"))
        .arg("tenant")
        .args(["--account", &name, "--namespace", &options.namespace])
        .args(["--phone", &account.spec.phone_number])
        .args(["--owner", &account.owner_id().to_string()])
        .args(["--language", account.spec.language.code()])
        .arg("--data-dir")
        .arg(&data)
        .arg("--secret-file")
        .arg(&secret_file)
        .arg("--seed-dir")
        .arg(&seed)
        .args(["--telegram-api-url", &options.gateway_url])
        .args(["--listen", &address.to_string()])
        .args(["--whatsapp-backend", &options.backend])
        .args(["--pairing-timeout", &options.pairing_timeout.to_string()])
        .env("KUBECONFIG", &kubeconfig)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("start a tenant");
    {
        let mut guard = lock(&tenants);
        if !guard.launching.remove(&name) {
            // Stopped while starting: its account went away.
            drop(guard);
            let mut child = child;
            let _ = child.kill();
            let _ = child.wait();
            return;
        }
        guard
            .running
            .insert(name.clone(), Running { child, address });
    }
    // Ready, or stopped meanwhile (its account went away).
    let http = reqwest::Client::new();
    let ready = crate::wait::wait_until("the tenant ready or stopped", || async {
        if !lock(&tenants).running.contains_key(&name) {
            return Some(false);
        }
        let response = http
            .get(format!("http://{address}/readyz"))
            .send()
            .await
            .ok()?;
        response.status().is_success().then_some(true)
    })
    .await;
    if !ready {
        return;
    }
    mark_ready(&client, &options.namespace, &name).await;
}

/// What the kubelet does for the pod's optional seed volume: the account's
/// seed Secret as files, when it exists at the start; an empty folder
/// otherwise.
async fn mount_seed(client: &Client, options: &Options, account: &str) -> PathBuf {
    let folder = options.dir.join(format!("{account}.seed"));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).expect("seed folder");
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &options.namespace);
    let seed = crate::wait::wait_until("the seed Secret read", || async {
        secrets
            .get_opt(&crds::naming::seed_secret(account))
            .await
            .ok()
    })
    .await;
    for (key, value) in seed.and_then(|s| s.data).unwrap_or_default() {
        std::fs::write(folder.join(key), value.0).expect("seed file");
    }
    folder
}

/// What the kubelet would report for a ready tenant pod.
async fn mark_ready(client: &Client, namespace: &str, account: &str) {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let pod = format!("{account}-0");
    let now = "2026-01-01T00:00:00Z";
    let status = json!({
        "status": {
            "phase": "Running",
            "conditions": [
                {"type": "Ready", "status": "True", "lastTransitionTime": now},
                {"type": "ContainersReady", "status": "True", "lastTransitionTime": now},
            ],
        }
    });
    crate::wait::wait_until("the tenant's pod", || async {
        pods.patch_status(&pod, &PatchParams::default(), &Patch::Merge(&status))
            .await
            .ok()
            .map(|_| ())
    })
    .await;
}

async fn forward(
    State((tenants, http)): State<(Arc<Mutex<Tenants>>, reqwest::Client)>,
    UrlPath((account, rest)): UrlPath<(String, String)>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if rest == "telegram/update" {
        held_until_released(&tenants, &account).await;
    }
    let address = lock(&tenants).running.get(&account).map(|t| t.address);
    let Some(address) = address else {
        // A Service without ready endpoints.
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let mut request = http
        .request(method, format!("http://{address}/{rest}"))
        .body(body);
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    match request.timeout(Duration::from_secs(30)).send().await {
        Ok(response) => {
            let status =
                StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let body = response.bytes().await.unwrap_or_default();
            (status, body).into_response()
        }
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}
