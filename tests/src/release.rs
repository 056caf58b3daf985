//! The chart installed as a cluster admin installs it: `helm install` of
//! charts/pawang with the image built here, into a namespace of the local
//! cluster that enforces Pod Security "restricted", with its
//! NetworkPolicies enforced on the node. The installed test and
//! `make run-cluster` both start the product this way.

use std::path::PathBuf;
use std::process::Output;

use k8s_openapi::api::core::v1::Secret;
use kube::Api;

use crate::Cluster;
use crate::cli::{ok, run};

/// The release's name, so the names of its objects.
pub const NAME: &str = "pawang";
/// The operator's Deployment (and its Lease).
pub const OPERATOR: &str = "pawang-operator";
/// The front door's Deployment.
pub const FRONT_DOOR: &str = "pawang-front-door";
/// The Secret holding the install key the tenants' secrets come from.
pub const INSTALL_KEY: &str = "pawang-install-key";

/// The chart in this repository.
pub fn chart() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
        .join("../charts/pawang")
}

/// Runs the shared cluster's `helm`.
pub fn helm(args: &[&str]) -> Output {
    let mut command = Cluster::shared().command("helm");
    command.args(args);
    run(command, None)
}

/// Runs the shared cluster's `kubectl`.
pub fn kubectl(args: &[&str]) -> Output {
    let mut command = Cluster::shared().command("kubectl");
    command.args(args);
    run(command, None)
}

/// An installed release.
pub struct Release {
    /// Where it is installed.
    pub namespace: String,
    /// The install key its operator derives tenants' secrets from.
    pub install_key: String,
}

impl std::fmt::Debug for Release {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Release")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl Release {
    /// Installs the chart into `namespace` (one [`Cluster::namespace`]
    /// made), with `values` (the YAML of a values file, given on helm's
    /// standard input so no secret shows in a process list) and `extra`
    /// arguments to `helm install`, waiting until every Deployment is
    /// available. The Prometheus Operator's kinds are served first, so the
    /// chart's monitors and alerts are installed too.
    ///
    /// # Panics
    /// When `helm install` fails or leaves no install key.
    pub async fn install(cluster: &Cluster, namespace: &str, values: &str, extra: &[&str]) -> Self {
        let client = cluster.client().await.expect("cluster client");
        cluster.install_monitoring_crds();
        cluster.enforce_network_policies();
        let chart = chart();
        let mut install = cluster.command("helm");
        install.args([
            "install",
            NAME,
            chart.to_str().expect("a UTF-8 path"),
            "--namespace",
            namespace,
            "--values",
            "-",
            "--wait",
            "--timeout",
            "5m",
        ]);
        install.args(extra);
        ok(run(install, Some(values)), "helm install");
        let key = Api::<Secret>::namespaced(client, namespace)
            .get(INSTALL_KEY)
            .await
            .expect("the install key's Secret");
        let key = key
            .data
            .and_then(|mut data| data.remove("key"))
            .expect("an install key");
        Self {
            namespace: namespace.to_owned(),
            install_key: String::from_utf8(key.0).expect("a UTF-8 key"),
        }
    }
}
