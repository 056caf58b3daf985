//! The operator as a real process, started from the workspace's build
//! (`cargo build -p operator`, which `make e2e` runs first).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::Cluster;
use crate::process::{free_address, workspace_binary};
use crate::wait::wait_until;

/// The install key every test operator derives tenant secrets from.
pub const INSTALL_KEY: &str = "pawang-test-install-key-0123456789abcdef";

static STARTED: AtomicU32 = AtomicU32::new(0);

/// A running operator process; killed when dropped.
#[derive(Debug)]
pub struct Operator {
    child: Child,
    /// Where `/metrics`, `/healthz` and `/readyz` are served.
    pub address: SocketAddr,
    dir: PathBuf,
    http: reqwest::Client,
}

impl Operator {
    /// Starts an operator serving `namespace` with the test cluster's
    /// operator identity; `extra` flags are appended.
    pub fn start(cluster: &Cluster, namespace: &str, extra: &[&str]) -> Self {
        Self::start_as(&cluster.operator_kubeconfig(), namespace, extra)
    }

    /// Starts an operator serving `namespace` as whoever `kubeconfig`
    /// authenticates (a ServiceAccount with the chart's rules, say).
    pub fn start_as(kubeconfig: &Path, namespace: &str, extra: &[&str]) -> Self {
        let n = STARTED.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("pawang-operator-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("operator dir");
        let key = dir.join("install-key");
        std::fs::File::create(&key)
            .and_then(|mut f| f.write_all(INSTALL_KEY.as_bytes()))
            .expect("install key");
        let address = free_address();
        let log = std::fs::File::create(dir.join("operator.log")).expect("log file");
        let mut command = Command::new(workspace_binary("operator"));
        // What the product logs by default, unless asked for more.
        match std::env::var("PAWANG_OPERATOR_LOG") {
            Ok(filter) => command.env("RUST_LOG", filter),
            Err(_) => command.env_remove("RUST_LOG"),
        };
        let child = command
            .env("KUBECONFIG", kubeconfig)
            .env_remove("POD_NAME")
            .args(["--namespace", namespace])
            .arg("--install-key-file")
            .arg(&key)
            .args(["--listen", &address.to_string()])
            .args(["--identity", &format!("operator-{n}")])
            .args(["--lease-duration", "3s"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("start the operator");
        Self {
            child,
            address,
            dir,
            http: reqwest::Client::new(),
        }
    }

    /// This operator's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("operator.log")).unwrap_or_default()
    }

    /// GETs one of the operator's endpoints; `None` while it does not
    /// answer.
    pub async fn get(&self, path: &str) -> Option<(u16, String)> {
        let response = self
            .http
            .get(format!("http://{}{path}", self.address))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .ok()?;
        let status = response.status().as_u16();
        Some((status, response.text().await.ok()?))
    }

    /// Waits until `/readyz` answers 200.
    pub async fn ready(&self) {
        wait_until("operator ready", || async {
            matches!(self.get("/readyz").await, Some((200, _))).then_some(())
        })
        .await;
    }

    /// The value of one metric sample, e.g.
    /// `pawang_operator_reconciles_total{result="ok"}`.
    pub async fn metric(&self, sample: &str) -> Option<f64> {
        let (_, text) = self.get("/metrics").await?;
        text.lines().find_map(|line| {
            let value = line.strip_prefix(sample)?.strip_prefix(' ')?;
            value.trim().parse().ok()
        })
    }

    /// Fails the test if the log so far contains any of `secrets` (full
    /// phone numbers, tenant secrets, the install key).
    pub fn assert_log_hides(&self, secrets: &[&str]) {
        let log = self.log();
        assert!(!log.is_empty(), "the operator logged nothing");
        for secret in secrets.iter().chain([&INSTALL_KEY]) {
            if let Some(line) = log.lines().find(|l| l.contains(secret)) {
                panic!("the operator logged a secret or full number: {line}");
            }
        }
    }

    /// Kills the process with SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Asks the process to stop (SIGTERM) and waits for it; its exit code.
    pub fn terminate(&mut self) -> Option<i32> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().ok().and_then(|s| s.code())
    }

    /// Whether the process has exited (on its own: an operator that
    /// cannot renew its lease stops, and its Deployment starts another).
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            crate::process::print_tail(self.dir.display(), &self.log());
        }
        crate::hygiene::assert_clean("the operator", &self.log(), &[]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
