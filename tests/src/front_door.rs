//! The front door as a real process, with its own least-privilege
//! identity in the test namespace.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, Client};

use crate::Cluster;
use crate::operator::INSTALL_KEY;
use crate::process::{free_address, workspace_binary};

/// The bot token the fake Telegram server accepts in tests.
pub const BOT_TOKEN: &str = "123456:TEST-TOKEN-not-a-real-one";

/// The front door's name for its ServiceAccount, Role and RoleBinding.
const NAME: &str = "pawang-front-door";

static STARTED: AtomicU32 = AtomicU32::new(0);

/// Creates the front door's ServiceAccount with exactly the permissions
/// it needs, and returns a kubeconfig that authenticates as it.
pub async fn identity(client: &Client, namespace: &str) -> PathBuf {
    identity_in(Cluster::shared(), client, namespace).await
}

/// [`identity`] on `cluster`.
pub async fn identity_in(cluster: &Cluster, client: &Client, namespace: &str) -> PathBuf {
    let meta = ObjectMeta {
        name: Some(NAME.to_owned()),
        namespace: Some(namespace.to_owned()),
        ..ObjectMeta::default()
    };
    let params = PostParams::default();
    Api::<ServiceAccount>::namespaced(client.clone(), namespace)
        .create(
            &params,
            &ServiceAccount {
                metadata: meta.clone(),
                ..ServiceAccount::default()
            },
        )
        .await
        .expect("front door ServiceAccount");
    let role = Role {
        metadata: meta.clone(),
        rules: Some(vec![PolicyRule {
            api_groups: Some(vec!["pawang.dev".to_owned()]),
            resources: Some(vec!["whatsappaccounts".to_owned()]),
            verbs: ["create", "get", "list", "watch", "patch", "delete"]
                .map(str::to_owned)
                .to_vec(),
            ..PolicyRule::default()
        }]),
    };
    Api::<Role>::namespaced(client.clone(), namespace)
        .create(&params, &role)
        .await
        .expect("front door Role");
    let binding = RoleBinding {
        metadata: meta,
        role_ref: RoleRef {
            api_group: Some("rbac.authorization.k8s.io".to_owned()),
            kind: "Role".to_owned(),
            name: NAME.to_owned(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".to_owned(),
            name: NAME.to_owned(),
            namespace: Some(namespace.to_owned()),
            ..Subject::default()
        }]),
    };
    Api::<RoleBinding>::namespaced(client.clone(), namespace)
        .create(&params, &binding)
        .await
        .expect("front door RoleBinding");
    let output = cluster
        .command("kubectl")
        .args([
            "create",
            "token",
            NAME,
            "--namespace",
            namespace,
            "--duration",
            "2h",
        ])
        .output()
        .expect("kubectl create token");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let path = std::env::temp_dir().join(format!("pawang-front-door-{namespace}.kubeconfig"));
    crate::cluster::kubeconfig_with_token(cluster.kubeconfig(), &token, path)
}

/// How a test front door is started.
#[derive(Debug, Clone)]
pub struct Options {
    /// Namespace of the accounts.
    pub namespace: String,
    /// Kubeconfig of its identity.
    pub kubeconfig: PathBuf,
    /// The fake Telegram server.
    pub telegram_url: String,
    /// Where tenants are.
    pub tenant_url_template: String,
    /// Address of the gateway (chosen before, so tenants can be told).
    pub gateway: SocketAddr,
    /// Further flags.
    pub extra: Vec<String>,
    /// The bot token; [`BOT_TOKEN`] when `None`.
    pub token: Option<String>,
}

/// A running front door; killed when dropped.
#[derive(Debug)]
pub struct FrontDoor {
    child: Child,
    /// Health and metrics.
    pub address: SocketAddr,
    /// How it was started, for a restart.
    pub options: Options,
    log: PathBuf,
    /// Its token, install key and log; removed when dropped, unless a
    /// test is failing (the log then tells why).
    dir: PathBuf,
}

impl FrontDoor {
    /// Starts a front door and waits until it is ready.
    pub async fn start(options: Options) -> Self {
        let n = STARTED.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("pawang-front-door-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let token = dir.join("token");
        let secret = options.token.as_deref().unwrap_or(BOT_TOKEN);
        std::fs::write(&token, format!("{secret}\n")).expect("token");
        std::fs::set_permissions(&token, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .expect("token file mode");
        let key = dir.join("install-key");
        std::fs::write(&key, INSTALL_KEY).expect("install key");
        let address = free_address();
        let log = dir.join("front-door.log");
        let out = std::fs::File::create(&log).expect("log");
        let mut command = Command::new(workspace_binary("tenant-bot"));
        // What the product logs by default, unless asked for more.
        match std::env::var("PAWANG_FRONT_DOOR_LOG") {
            Ok(filter) => command.env("RUST_LOG", filter),
            Err(_) => command.env_remove("RUST_LOG"),
        };
        let child = command
            .arg("front-door")
            .env("KUBECONFIG", &options.kubeconfig)
            .arg("--bot-token-file")
            .arg(&token)
            .arg("--install-key-file")
            .arg(&key)
            .args(["--namespace", &options.namespace])
            .args(["--telegram-api-url", &options.telegram_url])
            .args(["--tenant-url-template", &options.tenant_url_template])
            .args(["--listen", &address.to_string()])
            .args(["--gateway-listen", &options.gateway.to_string()])
            .args(&options.extra)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log"))
            .stderr(out)
            .spawn()
            .expect("start the front door");
        let door = Self {
            child,
            address,
            options,
            log,
            dir,
        };
        crate::wait::ready("the front door ready", address).await;
        door
    }

    /// The process's peak resident memory so far, in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        crate::process::peak_rss_kib(self.child.id())
    }

    /// Where it logs.
    pub fn log_path(&self) -> &std::path::Path {
        &self.log
    }

    /// The log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills the process (SIGKILL: nothing is let finish) and waits until
    /// it is gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills the process, if still running, and starts another with the
    /// same options.
    pub async fn restart(&mut self) {
        self.kill();
        *self = Self::start(self.options.clone()).await;
    }

    /// One sample of `/metrics`, e.g. `pawang_front_door_updates_total{outcome="routed"}`.
    pub async fn metric(&self, sample: &str) -> Option<f64> {
        let text = reqwest::get(format!("http://{}/metrics", self.address))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        text.lines()
            .find_map(|line| line.strip_prefix(sample)?.trim().parse().ok())
    }
}

impl Drop for FrontDoor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(self.dir.join("token"));
        if std::thread::panicking() {
            crate::process::print_tail(self.log.display(), &self.log());
        }
        crate::hygiene::assert_clean("the front door", &self.log(), &[]);
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
