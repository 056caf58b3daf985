//! The local control plane as the tests see it: one per test binary, a
//! fresh namespace per test.
//!
//! The first test to ask starts `controlplane/cluster.sh` with a pipe on its
//! standard input. The pipe's writing end lives in a static, so it closes
//! only when the test process ends, however it ends; the script then stops
//! every process and removes its state. Set `PAWANG_KUBECONFIG` to run the
//! tests against a control plane that is already up (`make cluster`).
//! A test that stops and starts the API server takes one of its own
//! ([`Cluster::own`]).

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

/// A control plane the tests can reach.
#[derive(Debug)]
pub struct Cluster {
    kubeconfig: PathBuf,
    bin_dir: PathBuf,
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
    /// The control plane of this test binary, started on first use.
    ///
    /// # Panics
    /// When the control plane cannot be built or started: no test can run
    /// without it, and the panic carries the script's reason.
    pub fn shared() -> &'static Self {
        CLUSTER.get_or_init(|| match Self::start() {
            Ok(cluster) => cluster,
            Err(reason) => panic!("local control plane unavailable: {reason}"),
        })
    }

    /// A control plane of the caller's own, never one already up
    /// (`PAWANG_KUBECONFIG` is not looked at), for a test that stops and
    /// starts it; torn down when dropped.
    ///
    /// # Panics
    /// When the control plane cannot be built or started.
    pub fn own() -> Self {
        let started = build_controlplane().and_then(Self::start_in);
        started.unwrap_or_else(|reason| panic!("local control plane unavailable: {reason}"))
    }

    fn start() -> std::result::Result<Self, String> {
        let bin_dir = build_controlplane()?;
        if let Some(kubeconfig) = std::env::var_os("PAWANG_KUBECONFIG") {
            return Ok(Self {
                kubeconfig: kubeconfig.into(),
                bin_dir,
                lifeline: None,
            });
        }
        Self::start_in(bin_dir)
    }

    fn start_in(bin_dir: PathBuf) -> std::result::Result<Self, String> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let state =
            std::env::temp_dir().join(format!("pawang-cluster-{}-{nanos}", std::process::id()));
        let mut child = Command::new(controlplane_dir().join("cluster.sh"))
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

/// Builds the control plane binaries, or finds them in the cache, and
/// returns their directory.
fn build_controlplane() -> std::result::Result<PathBuf, String> {
    let output = Command::new(controlplane_dir().join("build.sh"))
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run build.sh: {e}"))?;
    if !output.status.success() {
        return Err(format!("build.sh failed with {}", output.status));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .map(PathBuf::from)
        .ok_or_else(|| "build.sh printed no directory".to_owned())
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
