//! Tenants as the operator runs them: pods on the test cluster's node,
//! reached by their Services' DNS names as the front door reaches them.
//!
//! The test process lives in the node's sandbox, so it sees what a node's
//! own processes see: the pods' network through the cluster's DNS and
//! kube-proxy, their containers' processes, and their volumes' folders.

use std::path::PathBuf;

use crds::secret::InstallKey;
use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, Pod};
use kube::api::LogParams;
use kube::{Api, Client};
use serde_json::json;

use crate::Cluster;
use crate::wait::wait_until;

/// The tenant's port, as the operator's Service names it.
pub const PORT: u16 = 8080;

/// One namespace's tenants.
#[derive(Clone)]
pub struct Tenants {
    client: Client,
    namespace: String,
    install_key: InstallKey,
    http: reqwest::Client,
}

impl std::fmt::Debug for Tenants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tenants")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl Tenants {
    /// The tenants of the accounts in `namespace`, whose secrets derive
    /// from `install_key`.
    pub fn new(client: Client, namespace: &str, install_key: &str) -> Self {
        Self {
            client,
            namespace: namespace.to_owned(),
            install_key: InstallKey::new(install_key.as_bytes()).expect("install key"),
            http: reqwest::Client::new(),
        }
    }

    /// The front door's template for tenant URLs: the operator's Services.
    pub fn url_template() -> String {
        format!("http://{{name}}.{{namespace}}.svc:{PORT}")
    }

    /// The tenant secret of `account`, for its own endpoints.
    pub fn secret(&self, account: &str) -> String {
        self.install_key.tenant_secret(account)
    }

    /// The base URL of `account`'s tenant: its Service's DNS name.
    pub fn url(&self, account: &str) -> String {
        crds::naming::tenant_url(&Self::url_template(), account, &self.namespace)
    }

    /// Tells the fake WhatsApp behind `account` that its owner entered the
    /// pairing code, once its tenant is there to hear it.
    pub async fn enter_code(&self, account: &str) {
        self.control(account, "enter-code").await;
    }

    /// Tells the fake WhatsApp behind `account` that its owner logged this
    /// device out from the phone.
    pub async fn log_out_from_phone(&self, account: &str) {
        self.control(account, "log-out").await;
    }

    /// Posts a control action (`enter-code`, `log-out`, `ban`,
    /// `drop-connection`) to the fake WhatsApp behind `account`, once its
    /// tenant is there to take it.
    pub async fn control(&self, account: &str, action: &str) {
        let url = format!("{}/fake/{action}", self.url(account));
        wait_until(&format!("the fake's {action}"), || async {
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
        let url = format!("{}/fake/groups", self.url(account));
        let body = json!({"name": name, "admin": true}).to_string();
        wait_until("a group added", || async {
            let response = self
                .http
                .post(&url)
                .header(crds::secret::HEADER, self.secret(account))
                .body(body.clone())
                .send()
                .await
                .ok()?;
            response.status().is_success().then_some(())
        })
        .await;
    }

    /// The groups the fake WhatsApp behind `account` holds, as it lists
    /// them (`name`, `members`, …).
    pub async fn groups(&self, account: &str) -> Vec<serde_json::Value> {
        let url = format!("{}/fake/groups", self.url(account));
        wait_until("the fake's groups", || async {
            let response = self
                .http
                .get(&url)
                .header(crds::secret::HEADER, self.secret(account))
                .send()
                .await
                .ok()?;
            if !response.status().is_success() {
                return None;
            }
            serde_json::from_slice(&response.bytes().await.ok()?).ok()
        })
        .await
    }

    /// The name of `account`'s pod.
    pub fn pod_name(account: &str) -> String {
        format!("{account}-0")
    }

    /// `account`'s pod as it is now.
    pub async fn pod(&self, account: &str) -> Option<Pod> {
        Api::<Pod>::namespaced(self.client.clone(), &self.namespace)
            .get_opt(&Self::pod_name(account))
            .await
            .expect("read a pod")
    }

    /// The log of `account`'s tenant container so far: its earlier run's
    /// too, when it was restarted.
    pub async fn log(&self, account: &str) -> String {
        let pods = Api::<Pod>::namespaced(self.client.clone(), &self.namespace);
        let mut text = String::new();
        for previous in [true, false] {
            let params = LogParams {
                container: Some("tenant".to_owned()),
                previous,
                ..LogParams::default()
            };
            if let Ok(log) = pods.logs(&Self::pod_name(account), &params).await {
                text.push_str(&log);
            }
        }
        text
    }

    /// The ids of the processes in `account`'s tenant container, found by
    /// the container's id in their cgroups (the test process is on the
    /// node).
    pub async fn processes(&self, account: &str) -> Vec<i32> {
        let pod = self.pod(account).await.expect("the tenant's pod");
        let id = pod
            .status
            .and_then(|s| s.container_statuses)
            .and_then(|c| c.into_iter().find(|c| c.name == "tenant"))
            .and_then(|c| c.container_id)
            .and_then(|id| id.split("://").nth(1).map(str::to_owned))
            .expect("the tenant's container id");
        container_processes(&id)
    }

    /// Sends `signal` to every process of `account`'s tenant container.
    pub async fn signal(&self, account: &str, signal: nix::sys::signal::Signal) {
        let processes = self.processes(account).await;
        assert!(!processes.is_empty(), "{account}: no tenant process");
        for pid in processes {
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal)
                .unwrap_or_else(|e| panic!("{signal} to {pid}: {e}"));
        }
    }

    /// Makes `account`'s tenant hang (SIGSTOP): the kernel still takes
    /// connections and requests for it, and nothing answers them.
    pub async fn hold(&self, account: &str) {
        self.signal(account, nix::sys::signal::Signal::SIGSTOP)
            .await;
    }

    /// Lets a held tenant go on (SIGCONT).
    pub async fn release(&self, account: &str) {
        self.signal(account, nix::sys::signal::Signal::SIGCONT)
            .await;
    }

    /// How many requests wait unread on `account`'s tenant port: connections
    /// whose received bytes nobody has read (the tenant's view of its own
    /// network namespace, `/proc/<pid>/net/tcp`).
    pub async fn unread_requests(&self, account: &str) -> usize {
        let Some(pid) = self.processes(account).await.first().copied() else {
            return 0;
        };
        let table = std::fs::read_to_string(format!("/proc/{pid}/net/tcp")).unwrap_or_default();
        table
            .lines()
            .skip(1)
            .filter(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let local_port = fields
                    .get(1)
                    .and_then(|a| a.split(':').nth(1))
                    .and_then(|p| u16::from_str_radix(p, 16).ok());
                let established = fields.get(3) == Some(&"01");
                let unread = fields
                    .get(4)
                    .and_then(|q| q.split(':').nth(1))
                    .and_then(|n| usize::from_str_radix(n, 16).ok())
                    .unwrap_or(0);
                local_port == Some(PORT) && established && unread > 0
            })
            .count()
    }

    /// The node's folder behind `account`'s volume (its PersistentVolume's
    /// host path), once the claim is bound.
    pub async fn volume_dir(&self, account: &str) -> PathBuf {
        let claims = Api::<PersistentVolumeClaim>::namespaced(self.client.clone(), &self.namespace);
        let volumes = Api::<PersistentVolume>::all(self.client.clone());
        wait_until("the volume bound", || async {
            let claim = claims.get_opt(account).await.ok()??;
            let bound = claim.status.as_ref()?.phase.as_deref() == Some("Bound");
            let volume = claim.spec?.volume_name?;
            if !bound {
                return None;
            }
            let spec = volumes.get(&volume).await.ok()?.spec?;
            let path = spec
                .host_path
                .map(|h| h.path)
                .or_else(|| spec.local.map(|l| l.path))?;
            Some(PathBuf::from(path))
        })
        .await
    }

    /// Fails the test if the tenant's log so far shows a secret or a full
    /// number.
    pub async fn assert_log_clean(&self, account: &str) {
        let log = self.log(account).await;
        crate::hygiene::assert_clean(account, &log, &[&self.secret(account)]);
    }
}

/// The processes whose cgroup path names the container `id`.
pub fn container_processes(id: &str) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
                .is_ok_and(|cgroups| cgroups.contains(id))
        })
        .collect()
}

/// The cluster's tenants' image name, for tests that set it.
pub fn image() -> String {
    crate::cluster::tenant_image()
}

impl Cluster {
    /// The address pods reach this test process's servers at.
    pub fn node_ip(&self) -> &'static str {
        crate::cluster::NODE_IP
    }
}
