//! The local cluster as the tests see it: one per test binary, a fresh
//! namespace per test.
//!
//! The first test to ask starts `controlplane/cluster.sh` with a pipe on its
//! standard input. The pipe's writing end lives in a static, so it closes
//! only when the test process ends, however it ends; the script then stops
//! every process and removes its state.
//!
//! [`Cluster::shared`] has a node: pods really run, from the images built
//! here (`make image-dev`). The node lives in the test binary's sandbox
//! (`controlplane/sandbox.sh`, which `make e2e` runs every test binary
//! in), so the test process reaches pods, Services and the cluster's DNS
//! as a node's own processes do. [`Cluster::control_plane`] has none, for
//! benchmarks that need many accounts and no pods, and say so. Set
//! `PAWANG_KUBECONFIG` to run the tests against a cluster that is already
//! up (`make cluster`, joined with `sandbox.sh --join`). A test that stops
//! and starts the API server takes one of its own ([`Cluster::own`]).

use std::io::Write;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ObjectMeta, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::wait::{await_condition, conditions};
use kube::{Client, Config, CustomResourceExt};

/// Field manager of everything the tests apply.
pub const FIELD_MANAGER: &str = "pawang-tests";

/// How long a test waits for the control plane to reach a state.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// What can go wrong while preparing a test's cluster state.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The kubeconfig could not be read or turned into a client config.
    #[error("cannot load kubeconfig {path}")]
    Kubeconfig {
        path: PathBuf,
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// The API server refused or failed a request.
    #[error("API request failed")]
    Api(#[from] kube::Error),
    /// A wait for a condition failed before its deadline.
    #[error("waiting for {what} failed")]
    Wait {
        what: String,
        #[source]
        source: kube::runtime::wait::Error,
    },
    /// A condition did not hold before the deadline.
    #[error("{what} did not happen within {DEADLINE:?}")]
    Timeout { what: String },
}

/// Result of the harness' helpers.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The node's address: its bridge, the pods' gateway. The test process's
/// own servers (the front door's gateway, say) are reached there by pods.
pub const NODE_IP: &str = "10.88.0.1";

/// A control plane the tests can reach, with or without a node.
#[derive(Debug)]
pub struct Cluster {
    kubeconfig: PathBuf,
    bin_dir: PathBuf,
    node: bool,
    /// Whether the Prometheus Operator's CRDs are installed.
    monitoring_crds: OnceLock<()>,
    /// The script's pipes: commands go in, answers come out, and closing
    /// the input tells it to tear down.
    lifeline: Option<Mutex<Lifeline>>,
}

#[derive(Debug)]
struct Lifeline {
    _child: Child,
    commands: ChildStdin,
    answers: std::io::Lines<BufReader<ChildStdout>>,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static CONTROL_PLANE: OnceLock<Cluster> = OnceLock::new();
static NAMESPACES: AtomicU32 = AtomicU32::new(0);

/// The control plane scripts of this checkout: where Cargo runs the tests
/// from, not where they were compiled (a cached build may come from a
/// checkout elsewhere).
fn controlplane_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
        .join("controlplane")
}

impl Cluster {
    /// The cluster of this test binary, with its node, started on first
    /// use.
    ///
    /// # Panics
    /// When the cluster cannot be built or started, or the test does not
    /// run in a sandbox: no test can run without it, and the panic carries
    /// the reason.
    pub fn shared() -> &'static Self {
        CLUSTER.get_or_init(|| match Self::start(true) {
            Ok(cluster) => cluster,
            Err(reason) => panic!("local cluster unavailable: {reason}"),
        })
    }

    /// A control plane without a node, started on first use: for tests
    /// and benchmarks whose subject is the operator's work on many
    /// accounts, where running every account's pod would cost minutes and
    /// show nothing more.
    ///
    /// # Panics
    /// When the control plane cannot be built or started.
    pub fn control_plane() -> &'static Self {
        CONTROL_PLANE.get_or_init(|| match Self::start(false) {
            Ok(cluster) => cluster,
            Err(reason) => panic!("local control plane unavailable: {reason}"),
        })
    }

    /// A cluster of the caller's own, with its node, never one already up
    /// (`PAWANG_KUBECONFIG` is not looked at), for a test that stops and
    /// starts its parts; torn down when dropped. The sandbox holds one node
    /// at a time: a test binary that takes its own cluster uses no shared
    /// one.
    ///
    /// # Panics
    /// As [`Cluster::shared`].
    pub fn own() -> Self {
        let started = build_controlplane().and_then(|bin| Self::start_in(bin, true));
        started.unwrap_or_else(|reason| panic!("local cluster unavailable: {reason}"))
    }

    fn start(node: bool) -> std::result::Result<Self, String> {
        let bin_dir = build_controlplane()?;
        if let Some(kubeconfig) = std::env::var_os("PAWANG_KUBECONFIG") {
            return Ok(Self {
                kubeconfig: kubeconfig.into(),
                bin_dir,
                node,
                monitoring_crds: OnceLock::new(),
                lifeline: None,
            });
        }
        Self::start_in(bin_dir, node)
    }

    fn start_in(bin_dir: PathBuf, node: bool) -> std::result::Result<Self, String> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let state =
            std::env::temp_dir().join(format!("pawang-cluster-{}-{nanos}", std::process::id()));
        let mut script = Command::new(controlplane_dir().join("cluster.sh"));
        if node {
            if std::env::var_os("PAWANG_SANDBOX").is_none() {
                return Err(
                    "the node runs in a sandbox of its own: run the end-to-end tests with \
                     `make e2e`, or as root with \
                     CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER=tests/controlplane/sandbox.sh"
                        .to_owned(),
                );
            }
            let image = tenant_image_archive();
            if !image.exists() {
                return Err(format!(
                    "no image at {}: build it with `make image-dev`",
                    image.display()
                ));
            }
            script.arg("--node").arg("--image").arg(image);
        }
        let mut child = script
            .arg(&state)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot run cluster.sh: {e}"))?;
        let stdin = child.stdin.take().ok_or("cluster.sh has no stdin")?;
        let stdout = child.stdout.take().ok_or("cluster.sh has no stdout")?;

        // The script prints `ready <kubeconfig>` once everything is up, or
        // exits with its reason on stderr.
        let mut lines = BufReader::new(stdout).lines();
        let kubeconfig = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(path) = line.strip_prefix("ready ") {
                        break PathBuf::from(path);
                    }
                }
                Some(Err(e)) => return Err(format!("reading cluster.sh output: {e}")),
                None => {
                    let status = child.wait().map_err(|e| e.to_string())?;
                    return Err(format!(
                        "cluster.sh exited with {status} before it was ready"
                    ));
                }
            }
        };
        Ok(Self {
            kubeconfig,
            bin_dir,
            node,
            monitoring_crds: OnceLock::new(),
            lifeline: Some(Mutex::new(Lifeline {
                _child: child,
                commands: stdin,
                answers: lines,
            })),
        })
    }

    /// Kills the API server and etcd (SIGKILL, as in a crash) and returns
    /// once both are gone.
    ///
    /// # Panics
    /// On a control plane this process did not start, or one whose script
    /// does not answer.
    pub fn stop_api_server(&self) {
        self.tell("stop", "stopped");
    }

    /// Starts the API server and etcd again on the same ports with the
    /// same data, and returns once the API server is ready.
    ///
    /// # Panics
    /// As [`Cluster::stop_api_server`].
    pub fn start_api_server(&self) {
        self.tell("start", "started");
    }

    /// Kills containerd alone (SIGKILL); containers keep running.
    ///
    /// # Panics
    /// As [`Cluster::stop_api_server`], and on a cluster without a node.
    pub fn stop_containerd(&self) {
        self.tell("stop-containerd", "containerd-stopped");
    }

    /// Starts containerd again on its data.
    ///
    /// # Panics
    /// As [`Cluster::stop_containerd`].
    pub fn start_containerd(&self) {
        self.tell("start-containerd", "containerd-started");
    }

    /// Stops the whole node as in a power cut: the kubelet, kube-proxy,
    /// containerd and every container are killed, and what a reboot takes
    /// (runtime state, pods' network namespaces) is gone. Data stays.
    ///
    /// # Panics
    /// As [`Cluster::stop_containerd`].
    pub fn stop_node(&self) {
        self.tell("stop-node", "node-stopped");
    }

    /// Starts the node again on its data, and returns once it is Ready.
    ///
    /// # Panics
    /// As [`Cluster::stop_containerd`].
    pub fn start_node(&self) {
        self.tell("start-node", "node-started");
    }

    /// Gives the node's image `source` a second name, `target`, as a push
    /// of a new version to a registry would.
    ///
    /// # Panics
    /// As [`Cluster::stop_containerd`].
    pub fn tag_image(&self, source: &str, target: &str) {
        self.tell(&format!("tag-image {source} {target}"), "image-tagged");
    }

    /// Enforces NetworkPolicy on the node from now on (kube-router's
    /// firewall), also after the node restarts. Off by default: most tests
    /// run the front door and the operator as processes of the node, which
    /// the product's policies, written for pods, would shut out.
    ///
    /// # Panics
    /// As [`Cluster::stop_containerd`].
    pub fn enforce_network_policies(&self) {
        self.tell("enforce-network-policies", "network-policies-enforced");
    }

    /// Whether pods run on this cluster.
    pub fn has_node(&self) -> bool {
        self.node
    }

    fn tell(&self, command: &str, answer: &str) {
        let lifeline = self
            .lifeline
            .as_ref()
            .expect("only a control plane this process started can be stopped and started");
        let mut lifeline = lifeline.lock().unwrap_or_else(|e| e.into_inner());
        writeln!(lifeline.commands, "{command}").expect("cluster.sh takes commands");
        lifeline
            .commands
            .flush()
            .expect("cluster.sh takes commands");
        loop {
            match lifeline.answers.next() {
                Some(Ok(line)) if line == answer => return,
                Some(Ok(_)) => {}
                other => panic!("cluster.sh did not answer {command:?}: {other:?}"),
            }
        }
    }

    /// Path of the admin kubeconfig.
    pub fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// Path of the kubeconfig of the operator's identity
    /// (`pawang-operator`, a cluster admin told apart in the audit log).
    pub fn operator_kubeconfig(&self) -> PathBuf {
        self.state_dir().join("operator.kubeconfig")
    }

    /// Path of the API server's audit log.
    pub fn audit_log(&self) -> PathBuf {
        self.state_dir().join("logs/audit.log")
    }

    fn state_dir(&self) -> &Path {
        self.kubeconfig.parent().unwrap_or(Path::new("."))
    }

    /// A client for the caller's runtime (a client must not outlive the
    /// runtime it was made on, and each test has its own).
    pub async fn client(&self) -> Result<Client> {
        let kubeconfig_error = |source| Error::Kubeconfig {
            path: self.kubeconfig.clone(),
            source,
        };
        let kubeconfig = Kubeconfig::read_from(&self.kubeconfig).map_err(kubeconfig_error)?;
        let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
            .await
            .map_err(kubeconfig_error)?;
        Ok(Client::try_from(config)?)
    }

    /// Where the control plane's binaries (`kubectl`, `helm`, …) are.
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// A command for one of the control plane's binaries (`kubectl`,
    /// `helm`, …) that talks to this cluster.
    pub fn command(&self, binary: &str) -> Command {
        let mut command = Command::new(self.bin_dir.join(binary));
        command.env("KUBECONFIG", &self.kubeconfig);
        command
    }

    /// Creates a fresh namespace for one test, enforcing Pod Security
    /// "restricted" as Pawang's namespaces do. Namespaces go with the
    /// cluster when the test binary ends.
    pub async fn namespace(&self, client: &Client, test: &str) -> Result<String> {
        let n = NAMESPACES.fetch_add(1, Ordering::Relaxed);
        let mut slug: String = test
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        slug.truncate(45);
        // The process id keeps names apart across runs on one cluster.
        let name = format!("{}-{n}-{}", slug.trim_matches('-'), std::process::id());
        let namespace = Namespace {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: Some(
                    [
                        ("pod-security.kubernetes.io/enforce", "restricted"),
                        ("pawang.dev/test", "true"),
                    ]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
                ),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        };
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &namespace)
            .await?;
        Ok(name)
    }

    /// Installs the Prometheus Operator's CRDs (ServiceMonitor, PodMonitor,
    /// PrometheusRule), once per cluster, and waits until they are served.
    ///
    /// # Panics
    /// When they cannot be found or installed.
    pub fn install_monitoring_crds(&self) {
        self.monitoring_crds.get_or_init(|| {
            let script = controlplane_dir().join("monitoring-crds.sh");
            let dir = crate::cli::ok(
                crate::cli::run(Command::new(script), None),
                "monitoring-crds.sh",
            );
            let dir = PathBuf::from(dir.trim());
            for kind in ["servicemonitors", "podmonitors", "prometheusrules"] {
                let file = dir.join(format!("monitoring.coreos.com_{kind}.yaml"));
                let mut apply = self.command("kubectl");
                apply.args(["apply", "--server-side", "-f"]).arg(file);
                crate::cli::ok(crate::cli::run(apply, None), "install a monitoring CRD");
                let mut wait = self.command("kubectl");
                wait.args(["wait", "--for=condition=Established", "--timeout=60s"])
                    .arg(format!("crd/{kind}.monitoring.coreos.com"));
                crate::cli::ok(crate::cli::run(wait, None), "a monitoring CRD established");
            }
        });
    }

    /// Installs the `WhatsAppAccount` CRD generated from the types and
    /// waits until the API server serves it.
    pub async fn install_crd(&self, client: &Client) -> Result<()> {
        let crd = crds::WhatsAppAccount::crd();
        let name = crd.metadata.name.clone().unwrap_or_default();
        let api = Api::<CustomResourceDefinition>::all(client.clone());
        api.patch(
            &name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&crd),
        )
        .await?;
        let what = format!("CRD {name} established");
        tokio::time::timeout(
            DEADLINE,
            await_condition(api, &name, conditions::is_crd_established()),
        )
        .await
        .map_err(|_| Error::Timeout { what: what.clone() })?
        .map_err(|source| Error::Wait { what, source })?;
        Ok(())
    }
}

/// The name of Pawang's image on the node, which the operator runs tenants
/// from by default.
pub fn tenant_image() -> String {
    format!("localhost/pawang:{}", env!("CARGO_PKG_VERSION"))
}

/// The image archive the node imports: `PAWANG_TEST_IMAGE`, or what
/// `make image-dev` builds next to this test binary's target directory.
fn tenant_image_archive() -> PathBuf {
    if let Some(path) = std::env::var_os("PAWANG_TEST_IMAGE") {
        return path.into();
    }
    let exe = std::env::current_exe().unwrap_or_default();
    // <target>/debug/deps/<test> or <target>/debug/<binary>
    let profile = exe
        .ancestors()
        .find(|dir| {
            dir.file_name()
                .is_some_and(|n| n == "debug" || n == "release")
        })
        .unwrap_or(Path::new("."));
    profile
        .parent()
        .unwrap_or(Path::new("."))
        .join("image")
        .join(format!("pawang-{}-dev.oci.tar", env!("CARGO_PKG_VERSION")))
}

/// Builds the control plane binaries, or finds them in the cache, and
/// returns their directory.
fn build_controlplane() -> std::result::Result<PathBuf, String> {
    built_by("build.sh")
}

/// The directory of the control plane's binaries (`helm`, `kubectl`, …),
/// built or found in the cache, for a test that runs them without a
/// cluster.
///
/// # Panics
/// When they cannot be built.
pub fn controlplane_bin() -> PathBuf {
    build_controlplane().unwrap_or_else(|e| panic!("control plane binaries: {e}"))
}

/// The directory of `prometheus` and `promtool`, built or found in the
/// cache.
///
/// # Panics
/// When they cannot be built.
pub fn monitoring_bin() -> PathBuf {
    built_by("build-monitoring.sh").unwrap_or_else(|e| panic!("Prometheus binaries: {e}"))
}

/// Runs one of the build scripts, which prints the directory of what it
/// built (or found in the cache) on its last line.
fn built_by(script: &str) -> std::result::Result<PathBuf, String> {
    let output = Command::new(controlplane_dir().join(script))
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {script}: {e}"))?;
    if !output.status.success() {
        return Err(format!("{script} failed with {}", output.status));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .map(PathBuf::from)
        .ok_or_else(|| format!("{script} printed no directory"))
}

/// Writes to `path` a copy of the kubeconfig at `admin` that authenticates
/// with `token` (a ServiceAccount's) instead, and returns `path`.
pub fn kubeconfig_with_token(admin: &Path, token: &str, path: PathBuf) -> PathBuf {
    let mut kubeconfig = kube::config::Kubeconfig::read_from(admin).expect("admin kubeconfig");
    let auth: kube::config::AuthInfo =
        serde_json::from_value(serde_json::json!({ "token": token })).expect("auth info");
    for named in &mut kubeconfig.auth_infos {
        named.auth_info = Some(auth.clone());
    }
    let yaml = serde_yaml::to_string(&kubeconfig).expect("kubeconfig YAML");
    std::fs::write(&path, yaml).expect("write a kubeconfig");
    path
}
