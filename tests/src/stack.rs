//! The whole product on a test cluster, for one test: a fresh namespace
//! ([`Env`]), and in it the operator, the front door with its
//! least-privilege identity, the fake Telegram server in front, and the
//! accounts' tenants as pods on the node with the fake WhatsApp
//! ([`Stack`]).

use std::net::SocketAddr;

use crds::{Phase, WhatsAppAccount};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::runtime::wait::await_condition;
use kube::{Api, Client};

use crate::chat::{said_after, text, to};
use crate::cluster::DEADLINE;
use crate::fake_telegram::FakeTelegram;
use crate::front_door::{self, BOT_TOKEN, FrontDoor};
use crate::operator::INSTALL_KEY;
use crate::process::free_address;
use crate::tenants::Tenants;
use crate::{Cluster, Operator};

/// A fresh namespace with the CRD; removed with everything in it when
/// the test ends, so that its pods do not pile up on the node.
pub struct Env {
    /// The cluster it is on.
    pub cluster: &'static Cluster,
    /// An admin's client.
    pub client: Client,
    /// The namespace.
    pub ns: String,
    /// Its accounts.
    pub accounts: Api<WhatsAppAccount>,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("ns", &self.ns)
            .finish_non_exhaustive()
    }
}

/// A namespace for `test` on the shared cluster, with its node.
pub async fn env(test: &str) -> Env {
    env_on(Cluster::shared(), test).await
}

/// A namespace for `test` on `cluster`.
pub async fn env_on(cluster: &'static Cluster, test: &str) -> Env {
    let client = cluster.client().await.expect("a client");
    cluster.install_crd(&client).await.expect("the CRD");
    let ns = cluster.namespace(&client, test).await.expect("a namespace");
    let accounts = Api::namespaced(client.clone(), &ns);
    Env {
        cluster,
        client,
        ns,
        accounts,
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        // Not waited for: the namespace controller removes the pods while
        // the next test runs.
        let _ = self
            .cluster
            .command("kubectl")
            .args(["delete", "namespace", &self.ns, "--wait=false"])
            .output();
    }
}

/// Waits until the account's status satisfies `check`.
pub async fn status_where(
    env: &Env,
    name: &str,
    what: &str,
    check: impl Fn(&WhatsAppAccount) -> bool,
) -> WhatsAppAccount {
    tokio::time::timeout(
        DEADLINE,
        await_condition(env.accounts.clone(), name, |a: Option<&WhatsAppAccount>| {
            a.is_some_and(&check)
        }),
    )
    .await
    .unwrap_or_else(|_| panic!("{name}: {what} not within {DEADLINE:?}"))
    .expect("a watch of the account")
    .expect("the account")
}

/// Whether an account is in `phase`.
pub fn phase_is(phase: Phase) -> impl Fn(&WhatsAppAccount) -> bool {
    move |a| a.status.as_ref().and_then(|s| s.phase) == Some(phase)
}

/// Whether an account failed, its Ready condition saying `reason`.
pub fn failed_because(reason: &'static str) -> impl Fn(&WhatsAppAccount) -> bool {
    move |a| phase_is(Phase::Failed)(a) && ready_condition(a).is_some_and(|c| c.reason == reason)
}

/// The account's Ready condition, as the operator last wrote it.
pub fn ready_condition(account: &WhatsAppAccount) -> Option<Condition> {
    account
        .status
        .as_ref()?
        .conditions
        .iter()
        .find(|c| c.type_ == crds::condition::READY)
        .cloned()
}

/// The product running for one test.
#[derive(Debug)]
pub struct Stack {
    /// Its namespace.
    pub env: Env,
    /// Telegram, as the front door sees it.
    pub telegram: FakeTelegram,
    /// The accounts' tenants.
    pub tenants: Tenants,
    /// The front door.
    pub door: FrontDoor,
    /// Where the front door's Telegram gateway listens (on the node's
    /// address, for pods).
    pub gateway: SocketAddr,
    /// The operator.
    pub operator: Operator,
}

impl Drop for Stack {
    /// Fails the test if a tenant logged what it must not (a secret, a full
    /// phone number), as the front door's and the operator's own checks do.
    fn drop(&mut self) {
        let selector = format!(
            "{}={}",
            crds::labels::COMPONENT,
            crds::labels::COMPONENT_TENANT
        );
        let Ok(output) = self
            .env
            .cluster
            .command("kubectl")
            .args(["logs", "--namespace", &self.env.ns, "--selector", &selector])
            .args(["--tail=-1", "--max-log-requests=50"])
            .output()
        else {
            return;
        };
        // A pod deleted during the test has no log left; the kubelet says
        // so, naming the container by its id.
        let logs: String = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter(|l| !l.starts_with("unable to retrieve container logs for "))
            .map(|l| format!("{l}\n"))
            .collect();
        if std::thread::panicking() {
            crate::process::print_tail(format!("the tenants in {}", self.env.ns), &logs);
            return;
        }
        crate::hygiene::assert_clean(&format!("the tenants in {}", self.env.ns), &logs, &[]);
    }
}

/// The product in a fresh namespace of the shared cluster; `extra` flags
/// go to the front door.
pub async fn stack(test: &str, extra: &[&str]) -> Stack {
    stack_on(Cluster::shared(), test, extra).await
}

/// [`stack`] on `cluster`, which must have a node.
pub async fn stack_on(cluster: &'static Cluster, test: &str, extra: &[&str]) -> Stack {
    assert!(cluster.has_node(), "tenants need a node to run on");
    let env = env_on(cluster, test).await;
    let telegram = FakeTelegram::start(&[BOT_TOKEN]).await;
    // Tenants in pods reach the gateway on the node's address.
    let gateway = node_address(cluster);
    let tenants = Tenants::new(env.client.clone(), &env.ns, INSTALL_KEY);
    let operator = Operator::start(
        cluster,
        &env.ns,
        &[
            "--tenant-whatsapp-backend",
            "fake",
            "--telegram-gateway-url",
            &format!("http://{gateway}"),
            "--telegram-gateway-port",
            &gateway.port().to_string(),
        ],
    );
    let kubeconfig = front_door::identity_in(cluster, &env.client, &env.ns).await;
    let door = FrontDoor::start(front_door::Options {
        namespace: env.ns.clone(),
        kubeconfig,
        telegram_url: telegram.url(),
        tenant_url_template: Tenants::url_template(),
        gateway,
        extra: extra.iter().map(|s| (*s).to_owned()).collect(),
        token: None,
    })
    .await;
    Stack {
        env,
        telegram,
        tenants,
        door,
        gateway,
        operator,
    }
}

/// An address on `cluster`'s node that nothing listens on yet, for a
/// server of the test process that pods must reach.
pub fn node_address(cluster: &Cluster) -> SocketAddr {
    let ip = cluster.node_ip().parse().expect("the node's address");
    SocketAddr::new(ip, free_address().port())
}

/// `/pair`s `number` for `owner` through Telegram, enters the code and
/// waits until the account is connected and the owner told so.
pub async fn link(stack: &Stack, owner: i64, number: &str, account: &str) {
    link_in(
        &stack.env,
        &stack.telegram,
        &stack.tenants,
        owner,
        number,
        account,
    )
    .await;
}

/// [`link`] for the product however it runs: its namespace, Telegram and
/// tenants.
pub async fn link_in(
    env: &Env,
    telegram: &FakeTelegram,
    tenants: &Tenants,
    owner: i64,
    number: &str,
    account: &str,
) {
    let before = telegram.calls().len();
    telegram.push_update(text(owner, &format!("/pair {number}")));
    let code = telegram
        .wait_for_call("a pairing code", before, |c| {
            c.method == "sendMessage" && to(owner, "Pairing code")(c)
        })
        .await;
    let button = &code.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"];
    assert_eq!(
        button.as_str(),
        Some(format!("{account}|pair:cancel").as_str()),
        "the tenant's buttons name their account"
    );
    tenants.enter_code(account).await;
    status_where(env, account, "connected", phase_is(Phase::Connected)).await;
    // Both say so, each in its own time: the tenant that it is connected,
    // the front door that the account is linked.
    said_after(telegram, before, owner, "is connected").await;
    said_after(telegram, before, owner, "is linked").await;
}
