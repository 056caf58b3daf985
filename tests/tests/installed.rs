//! The product installed onto the node as a cluster admin installs it:
//! `helm install` of charts/pawang with the image built here, in a
//! namespace that enforces Pod Security "restricted". The operator (two
//! replicas electing a leader on a Lease) and the front door run as the
//! chart's pods, and the operator they run makes the tenants' pods; only
//! Telegram and WhatsApp are stand-ins (the fake Bot API on the node's
//! address, the tenants' fake WhatsApp backend).
//!
//! One install per cluster (the CRD belongs to one release), so one test
//! walks through what an install lives through, in order: owners pair; a
//! real Prometheus scrapes what the chart's monitors select and every
//! dashboard query has data; the leader hangs and the standby takes over;
//! the front door is replaced while updates flow; the node is drained and
//! uncordoned; the release is upgraded to a new image tag; the whole node
//! stops and starts again on its data; what each pod may see and do is
//! checked, and every pod's log; the release is uninstalled and keeps what
//! the README says it keeps.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crds::Phase;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Pod, Service};
use kube::api::ListParams;
use kube::{Api, ResourceExt};
use nix::sys::signal::Signal;
use tests::Cluster;
use tests::chat::{create_groups, press, said_after, text};
use tests::cli::{ok, run};
use tests::fake_telegram::FakeTelegram;
use tests::front_door::BOT_TOKEN;
use tests::owner::text_of;
use tests::prometheus::Prometheus;
use tests::release::{FRONT_DOOR, NAME as RELEASE, OPERATOR, Release, chart, helm, kubectl};
use tests::stack::{Env, link_in, phase_is, status_where};
use tests::tenants::{Tenants, container_processes};
use tests::wait::{wait_until, wait_until_for, wait_until_for_or};

const NODE: &str = "pawang-node";
/// Long enough for a pod to be replaced and start on the node.
const ROLLOUT: Duration = Duration::from_secs(180);

/// The release, as its test sees it.
struct Installed {
    env: Env,
    telegram: FakeTelegram,
    tenants: Tenants,
    install_key: String,
    pods: Api<Pod>,
}

impl Installed {
    /// `helm install`, waiting until every Deployment is available.
    async fn install() -> Self {
        let cluster = Cluster::shared();
        // Pods reach the test's servers on the node's address; 443 is the
        // port the front door's NetworkPolicy lets it call Telegram on.
        let address = SocketAddr::new(cluster.node_ip().parse().unwrap(), 443);
        let telegram = FakeTelegram::start_on(address, &[BOT_TOKEN]).await;
        let values = serde_json::json!({
            "telegram": {"botToken": BOT_TOKEN, "apiUrl": telegram.url()},
            "tenant": {"whatsappBackend": "fake"},
        });
        let client = cluster.client().await.unwrap();
        let ns = cluster.namespace(&client, "installed").await.unwrap();
        let release = Release::install(cluster, &ns, &values.to_string(), &[]).await;
        let tenants = Tenants::new(client.clone(), &ns, &release.install_key);
        let pods = Api::namespaced(client.clone(), &ns);
        let env = Env {
            cluster,
            accounts: Api::namespaced(client.clone(), &ns),
            client,
            ns,
        };
        Self {
            env,
            telegram,
            tenants,
            install_key: release.install_key,
            pods,
        }
    }

    /// The pods of one of the chart's components (`operator`,
    /// `front-door`, `tenant`).
    async fn pods_of(&self, component: &str) -> Vec<Pod> {
        let selector =
            format!("app.kubernetes.io/name=pawang,app.kubernetes.io/component={component}");
        self.pods
            .list(&ListParams::default().labels(&selector))
            .await
            .unwrap()
            .items
    }

    /// The operator replica holding the Lease, once one does.
    async fn leader(&self) -> String {
        let leases = Api::<Lease>::namespaced(self.env.client.clone(), &self.env.ns);
        wait_until("an operator replica leads", || async {
            let lease = leases.get_opt(OPERATOR).await.ok()??;
            lease.spec?.holder_identity
        })
        .await
    }

    /// Waits until `deployment` has `replicas` pods ready, all from the
    /// current template, and none other.
    async fn rolled_out(&self, deployment: &str, replicas: i32) {
        let deployments = Api::<Deployment>::namespaced(self.env.client.clone(), &self.env.ns);
        wait_until_for(&format!("{deployment} rolled out"), ROLLOUT, || async {
            let d = deployments.get(deployment).await.ok()?;
            let generation = d.metadata.generation;
            let status = d.status?;
            (status.observed_generation == generation
                && status.updated_replicas == Some(replicas)
                && status.ready_replicas == Some(replicas)
                && status.replicas == Some(replicas))
            .then_some(())
        })
        .await;
    }

    /// The account's tenant pod, once it runs, is ready and satisfies
    /// `check`.
    async fn tenant_where(&self, account: &str, what: &str, check: impl Fn(&Pod) -> bool) -> Pod {
        wait_until_for(&format!("{account}: {what}"), ROLLOUT, || async {
            let pod = self.tenants.pod(account).await?;
            (ready(&pod) && check(&pod)).then_some(pod)
        })
        .await
    }

    /// The owner asks for the menu and gets it, from their tenant.
    async fn served(&self, owner: i64) {
        let calls = self.telegram.calls().len();
        self.telegram.push_update(text(owner, "/menu"));
        said_after(&self.telegram, calls, owner, "Dashboard").await;
    }

    /// How many pairing codes were sent after the first `skip` calls.
    fn pairing_codes_since(&self, skip: usize) -> usize {
        let (calls, _) = self.telegram.calls_since(skip);
        calls
            .iter()
            .filter(|c| c.method == "sendMessage" && text_of(c).contains("Pairing code"))
            .count()
    }

    /// The account's linked device, once it is connected.
    async fn connected(&self, account: &str) -> String {
        let account =
            status_where(&self.env, account, "connected", phase_is(Phase::Connected)).await;
        account.status.and_then(|s| s.jid).expect("a linked device")
    }
}

impl Drop for Installed {
    /// A failed test shows every pod's log.
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let names = kubectl(&["get", "pods", "--namespace", &self.env.ns, "-o", "name"]);
        for name in String::from_utf8_lossy(&names.stdout).lines() {
            let log = kubectl(&[
                "logs",
                "--namespace",
                &self.env.ns,
                name,
                "--all-containers",
            ]);
            eprintln!("--- {name}\n{}", String::from_utf8_lossy(&log.stdout));
        }
    }
}

/// Whether `pod` is Running with every container ready.
fn ready(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_none()
        && pod.status.as_ref().is_some_and(|s| {
            s.phase.as_deref() == Some("Running")
                && s.conditions
                    .iter()
                    .flatten()
                    .any(|c| c.type_ == "Ready" && c.status == "True")
        })
}

fn image_of(pod: &Pod) -> String {
    pod.spec.as_ref().unwrap().containers[0]
        .image
        .clone()
        .unwrap_or_default()
}

fn container_id(pod: &Pod) -> Option<String> {
    let status = pod.status.as_ref()?.container_statuses.as_ref()?.first()?;
    let id = status.container_id.as_ref()?;
    Some(id.split("://").nth(1)?.to_owned())
}

/// Sends `signal` to every process of `pod`.
fn signal(pod: &Pod, signal: Signal) {
    let processes = processes(pod);
    assert!(!processes.is_empty(), "{}: no process", pod.name_any());
    for pid in processes {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal).unwrap();
    }
}

/// The ids of the processes of every running container of `pod`.
fn processes(pod: &Pod) -> Vec<i32> {
    pod.status
        .iter()
        .flat_map(|s| s.container_statuses.iter().flatten())
        .filter_map(|c| {
            c.container_id
                .as_ref()?
                .split("://")
                .nth(1)
                .map(str::to_owned)
        })
        .flat_map(|id| container_processes(&id))
        .collect()
}

#[tokio::test]
async fn the_chart_installed_on_the_node_lives_through_a_cluster_admins_week() {
    let installed = Installed::install().await;
    let env = &installed.env;

    // -- The install: two operator replicas, one leading; the front door.
    installed.rolled_out(OPERATOR, 2).await;
    installed.rolled_out(FRONT_DOOR, 1).await;
    let operators: BTreeSet<String> = installed
        .pods_of("operator")
        .await
        .iter()
        .map(ResourceExt::name_any)
        .collect();
    assert_eq!(operators.len(), 2, "{operators:?}");
    let leader = installed.leader().await;
    assert!(
        operators.contains(&leader),
        "{leader} leads, not one of {operators:?}"
    );

    // -- Owners pair; the installed operator makes their tenants.
    let first = (7_401, "0812-0000-0401", "wa-6281200000401");
    let before = installed.telegram.calls().len();
    installed.telegram.push_update(text(first.0, "/start"));
    said_after(&installed.telegram, before, first.0, "Welcome to Pawang").await;
    link_in(
        env,
        &installed.telegram,
        &installed.tenants,
        first.0,
        first.1,
        first.2,
    )
    .await;
    let first_jid = installed.connected(first.2).await;
    let tenant = installed.tenant_where(first.2, "running", |_| true).await;
    assert_eq!(image_of(&tenant), tests::tenants::image());

    // -- Prometheus scrapes what the chart's monitors select; after the
    // owner runs a job, every panel of the dashboard has data.
    let prometheus = Prometheus::start(&env.client, &env.ns, env.cluster.kubeconfig()).await;
    create_groups(&installed.telegram, first.0, first.2, "Shop x 3", 3).await;
    said_after(
        &installed.telegram,
        before,
        first.0,
        "Create groups: ✅ 3 done, ❌ 0 failed",
    )
    .await;
    every_panel_has_data(&prometheus).await;

    // -- The leader hangs: the standby takes the Lease once it expires and
    // serves; the old leader, going on, finds it lost and steps down.
    let leading = installed.pods.get(&leader).await.unwrap();
    let standby = operators.iter().find(|p| **p != leader).unwrap().clone();
    signal(&leading, Signal::SIGSTOP);
    wait_until_for("the standby leads", ROLLOUT, || async {
        (installed.leader().await == standby).then_some(())
    })
    .await;
    signal(&leading, Signal::SIGCONT);
    wait_until_for("the old leader steps down and waits", ROLLOUT, || async {
        let pod = installed.pods.get(&leader).await.ok()?;
        let restarts = pod.status.as_ref()?.container_statuses.as_ref()?[0].restart_count;
        (restarts > 0 && ready(&pod)).then_some(())
    })
    .await;
    assert_eq!(installed.leader().await, standby, "one leader");
    let second = (7_402, "0812-0000-0402", "wa-6281200000402");
    link_in(
        env,
        &installed.telegram,
        &installed.tenants,
        second.0,
        second.1,
        second.2,
    )
    .await;
    let second_jid = installed.connected(second.2).await;
    installed.rolled_out(OPERATOR, 2).await;

    // -- The front door's pod is deleted while updates flow: every update
    // Telegram had is answered once a new front door runs.
    front_door_replaced_while_updates_flow(&installed, first.0).await;

    // -- The node is drained of tenants, then uncordoned: each tenant
    // comes back on its volume, paired.
    let codes = installed.telegram.calls().len();
    let old = container_id(&installed.tenant_where(first.2, "running", |_| true).await);
    ok(
        kubectl(&[
            "drain",
            NODE,
            "--pod-selector=app.kubernetes.io/component=tenant",
            "--ignore-daemonsets",
            // Tenants keep only scratch files (/tmp) outside their volume.
            "--delete-emptydir-data",
            "--timeout=120s",
        ]),
        "drain the node of tenants",
    );
    // Nowhere to go while the node is cordoned.
    wait_until_for("the tenant waits for a node", ROLLOUT, || async {
        let pod = installed.tenants.pod(first.2).await?;
        let status = pod.status?;
        (status.phase.as_deref() == Some("Pending") && pod.metadata.deletion_timestamp.is_none())
            .then_some(())
    })
    .await;
    ok(kubectl(&["uncordon", NODE]), "uncordon the node");
    for (owner, _, account) in [first, second] {
        installed
            .tenant_where(account, "back after the drain", |p| container_id(p) != old)
            .await;
        installed.served(owner).await;
    }
    assert_eq!(installed.connected(first.2).await, first_jid);
    assert_eq!(installed.connected(second.2).await, second_jid);

    // -- An upgrade to a new image tag: the operator and the front door
    // roll, and so does every tenant, still paired.
    let next_tag = format!("{}-next", env!("CARGO_PKG_VERSION"));
    let next_image = format!("localhost/pawang:{next_tag}");
    env.cluster.tag_image(&tests::tenants::image(), &next_image);
    let chart = chart();
    ok(
        helm(&[
            "upgrade",
            RELEASE,
            chart.to_str().unwrap(),
            "--namespace",
            &env.ns,
            "--reuse-values",
            "--set",
            &format!("image.tag={next_tag}"),
            "--wait",
            "--timeout",
            "5m",
        ]),
        "helm upgrade",
    );
    installed.rolled_out(OPERATOR, 2).await;
    installed.rolled_out(FRONT_DOOR, 1).await;
    for component in ["operator", "front-door"] {
        for pod in installed.pods_of(component).await {
            if pod.metadata.deletion_timestamp.is_none() {
                assert_eq!(image_of(&pod), next_image, "{}", pod.name_any());
            }
        }
    }
    for (owner, _, account) in [first, second] {
        installed
            .tenant_where(account, "on the new image", |p| image_of(p) == next_image)
            .await;
        installed.served(owner).await;
    }
    assert_eq!(installed.connected(first.2).await, first_jid);
    assert_eq!(installed.connected(second.2).await, second_jid);
    assert_eq!(
        installed.pairing_codes_since(codes),
        0,
        "nobody is asked to pair again after a drain or an upgrade"
    );

    // -- The node and everything on it stop as in a power cut and start
    // again on their data: the chart's pods and the tenants come back,
    // routing and every account's status intact, nobody pairs again.
    let codes = installed.telegram.calls().len();
    env.cluster.stop_node();
    env.cluster.start_node();
    installed.rolled_out(OPERATOR, 2).await;
    installed.rolled_out(FRONT_DOOR, 1).await;
    for (owner, _, account) in [first, second] {
        installed
            .tenant_where(account, "back after the node restarted", |_| true)
            .await;
        installed.served(owner).await;
    }
    assert_eq!(installed.connected(first.2).await, first_jid);
    assert_eq!(installed.connected(second.2).await, second_jid);
    assert_eq!(
        installed.pairing_codes_since(codes),
        0,
        "nobody is asked to pair again after the node restarted"
    );

    // -- What each pod may see and do.
    every_pod_has_its_own_identity(&installed).await;
    a_tenant_may_only_report_its_own_status(&installed, first.2, second.2).await;
    the_bot_token_is_in_the_front_door_alone(&installed).await;
    every_log_is_clean(&installed, &[first.2, second.2]).await;

    // -- Who may talk to whom, as the node enforces the NetworkPolicies.
    the_network_policies_hold(&installed, first.2, second.2).await;

    // -- An owner deletes their account: the operator, through the
    // tenant's admin port, logs it out of WhatsApp before it goes.
    an_owner_deletes_their_account(&installed, second.0, second.2).await;

    // -- Uninstall keeps the CRD, the accounts, their volumes and the key.
    ok(
        helm(&["uninstall", RELEASE, "--namespace", &env.ns, "--wait"]),
        "helm uninstall",
    );
    for gone in [
        format!("deployment/{OPERATOR}"),
        format!("deployment/{FRONT_DOOR}"),
        "secret/pawang-bot-token".to_owned(),
    ] {
        wait_until(&format!("{gone} removed"), || async {
            (!exists(&env.ns, &gone)).then_some(())
        })
        .await;
    }
    for kept in [
        "crd/whatsappaccounts.pawang.dev".to_owned(),
        format!("whatsappaccount/{}", first.2),
        format!("persistentvolumeclaim/{}", first.2),
        "secret/pawang-install-key".to_owned(),
    ] {
        assert!(exists(&env.ns, &kept), "{kept} was removed by uninstall");
    }
}

/// Prometheus scrapes both operator replicas, the front door and the
/// tenant; every alert of the chart evaluates; every query of the Grafana
/// dashboard returns data.
async fn every_panel_has_data(prometheus: &Prometheus) {
    let want = [("pawang-operator", 2), ("pawang-front-door", 1)];
    let up = wait_until_for_or("every target scraped", ROLLOUT, || async {
        let targets = prometheus.targets().await;
        let up = |job: &str| {
            targets
                .iter()
                .filter(|(j, health)| j.ends_with(job) && health == "up")
                .count()
        };
        let all = want.iter().all(|(job, n)| up(job) == *n)
            && up("/pawang-tenants") == 1
            && targets.iter().all(|(_, health)| health == "up");
        all.then_some(())
    })
    .await;
    assert!(
        up.is_some(),
        "targets: {:?}\n{}",
        prometheus.targets().await,
        prometheus.log()
    );
    let rules = wait_until("every alert evaluated", || async {
        let rules = prometheus.alerting_rules().await;
        (!rules.is_empty() && rules.iter().all(|(_, health)| health != "unknown")).then_some(rules)
    })
    .await;
    for (name, health) in &rules {
        assert_eq!(health, "ok", "alert {name}");
    }

    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(chart().join("files/dashboard.json")).unwrap(),
    )
    .unwrap();
    let queries: Vec<(String, String)> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|panel| {
            let title = panel["title"].as_str().unwrap_or_default().to_owned();
            panel["targets"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter_map(move |t| Some((title.clone(), t["expr"].as_str()?.to_owned())))
        })
        .collect();
    assert!(!queries.is_empty());
    eprintln!(
        "prometheus: {} targets up, {} alerts evaluated, {} dashboard queries",
        prometheus.targets().await.len(),
        rules.len(),
        queries.len()
    );
    for (title, expr) in queries {
        let found = wait_until_for_or(&format!("data for {title}"), ROLLOUT, || async {
            prometheus.query(&expr).await.filter(|r| !r.is_empty())
        })
        .await;
        assert!(found.is_some(), "the panel {title:?} has no data: {expr}");
    }
}

/// An address outside the cluster standing in for WhatsApp's servers
/// (TEST-NET-3, so never a real one), on the node.
const WHATSAPP: &str = "203.0.113.7";

/// Whether a TCP connection made from inside `pod`'s network namespace to
/// `target` opens: the packets leave from the pod's own address, as its
/// process's would.
fn connects(pod: &Pod, target: SocketAddr) -> bool {
    let pid = *processes(pod).first().expect("a process of the pod");
    let namespace = std::fs::File::open(format!("/proc/{pid}/ns/net")).unwrap();
    std::thread::spawn(move || {
        nix::sched::setns(&namespace, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
        std::net::TcpStream::connect_timeout(&target, Duration::from_secs(3)).is_ok()
    })
    .join()
    .unwrap()
}

fn pod_address(pod: &Pod, port: u16) -> SocketAddr {
    let ip = pod.status.as_ref().unwrap().pod_ip.as_ref().unwrap();
    SocketAddr::new(ip.parse().unwrap(), port)
}

async fn service_address(client: &kube::Client, ns: &str, name: &str, port: u16) -> SocketAddr {
    let service = Api::<Service>::namespaced(client.clone(), ns)
        .get(name)
        .await
        .unwrap();
    let ip = service.spec.unwrap().cluster_ip.unwrap();
    SocketAddr::new(ip.parse().unwrap(), port)
}

/// Connection attempts from inside the pods, each allowed or denied path
/// a case: a policy that lets too much or too little through fails.
async fn the_network_policies_hold(installed: &Installed, own: &str, other: &str) {
    let env = &installed.env;
    let ready_one = |pods: Vec<Pod>| pods.into_iter().find(ready).expect("a ready pod");
    let tenant = installed.tenants.pod(own).await.unwrap();
    let neighbour = installed.tenants.pod(other).await.unwrap();
    let operator = ready_one(installed.pods_of("operator").await);
    let door = ready_one(installed.pods_of("front-door").await);
    let coredns = ready_one(
        Api::<Pod>::namespaced(env.client.clone(), "kube-system")
            .list(&ListParams::default().labels("k8s-app=kube-dns"))
            .await
            .unwrap()
            .items,
    );
    let dns = service_address(&env.client, "kube-system", "kube-dns", 53).await;
    let operator_service = service_address(&env.client, &env.ns, OPERATOR, 8080).await;
    let door_service = service_address(&env.client, &env.ns, FRONT_DOOR, 8080).await;
    let gateway_service = service_address(&env.client, &env.ns, FRONT_DOOR, 8081).await;
    // A tenant's Service is headless: its name is its pod's address.
    let neighbour_service = tokio::net::lookup_host(format!("{other}.{}.svc:8080", env.ns))
        .await
        .unwrap()
        .next()
        .unwrap();

    // WhatsApp's stand-in: HTTPS, and another port beside it.
    ok(
        run(
            {
                let mut ip = std::process::Command::new("ip");
                ip.args(["address", "replace", &format!("{WHATSAPP}/32"), "dev", "lo"]);
                ip
            },
            None,
        ),
        "an address for WhatsApp's stand-in",
    );
    let whatsapp = SocketAddr::new(WHATSAPP.parse().unwrap(), 443);
    let elsewhere = SocketAddr::new(WHATSAPP.parse().unwrap(), 8443);
    let _listeners = [
        std::net::TcpListener::bind(whatsapp).unwrap(),
        std::net::TcpListener::bind(elsewhere).unwrap(),
    ];

    let cases: [(&str, &Pod, SocketAddr, bool); 23] = [
        // What a tenant may reach.
        ("tenant -> cluster DNS", &tenant, dns, true),
        (
            "tenant -> front door gateway (Service)",
            &tenant,
            gateway_service,
            true,
        ),
        (
            "tenant -> front door gateway (pod)",
            &tenant,
            pod_address(&door, 8081),
            true,
        ),
        ("tenant -> WhatsApp (HTTPS)", &tenant, whatsapp, true),
        // What it may not.
        (
            "tenant -> another tenant's pod",
            &tenant,
            pod_address(&neighbour, 8080),
            false,
        ),
        (
            "tenant -> another tenant's Service",
            &tenant,
            neighbour_service,
            false,
        ),
        (
            "tenant -> operator admin (pod)",
            &tenant,
            pod_address(&operator, 8080),
            false,
        ),
        (
            "tenant -> operator admin (Service)",
            &tenant,
            operator_service,
            false,
        ),
        (
            "tenant -> front door admin (pod)",
            &tenant,
            pod_address(&door, 8080),
            false,
        ),
        (
            "tenant -> front door admin (Service)",
            &tenant,
            door_service,
            false,
        ),
        ("tenant -> outside, not HTTPS", &tenant, elsewhere, false),
        (
            "another tenant -> tenant",
            &neighbour,
            pod_address(&tenant, 8080),
            false,
        ),
        (
            "another tenant -> tenant admin",
            &neighbour,
            pod_address(&tenant, 8082),
            false,
        ),
        // Who may reach a tenant: updates from the front door alone,
        // admin calls from the operator alone.
        (
            "front door -> tenant updates",
            &door,
            pod_address(&tenant, 8080),
            true,
        ),
        (
            "front door -> tenant admin",
            &door,
            pod_address(&tenant, 8082),
            false,
        ),
        (
            "operator -> tenant admin",
            &operator,
            pod_address(&tenant, 8082),
            true,
        ),
        (
            "operator -> tenant updates",
            &operator,
            pod_address(&tenant, 8080),
            false,
        ),
        (
            "another namespace's pod -> tenant",
            &coredns,
            pod_address(&tenant, 8080),
            false,
        ),
        (
            "another namespace's pod -> tenant admin",
            &coredns,
            pod_address(&tenant, 8082),
            false,
        ),
        // The gateway is the tenants' alone.
        (
            "another namespace's pod -> gateway",
            &coredns,
            pod_address(&door, 8081),
            false,
        ),
        (
            "tenant -> another tenant's metrics",
            &tenant,
            pod_address(&neighbour, 9090),
            false,
        ),
        // Metrics are scraped from other namespaces.
        (
            "another namespace's pod -> tenant metrics",
            &coredns,
            pod_address(&tenant, 9090),
            true,
        ),
        (
            "another namespace's pod -> operator metrics",
            &coredns,
            pod_address(&operator, 8080),
            true,
        ),
    ];
    let mut wrong = Vec::new();
    for (what, from, to, allowed) in cases {
        let opened = connects(from, to);
        eprintln!(
            "policy: {what} ({to}): {}",
            if opened { "connects" } else { "refused" }
        );
        if opened != allowed {
            wrong.push(format!(
                "{what} ({to}) {}",
                if allowed { "refused" } else { "let through" }
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "the NetworkPolicies do not hold: {wrong:#?}"
    );
}

fn exists(ns: &str, object: &str) -> bool {
    kubectl(&["get", "--namespace", ns, object])
        .status
        .success()
}

/// The owner confirms the deletion of `account` from the front door's
/// accounts menu; the account, its tenant and its volume go, and the
/// leading operator logged the tenant out first (a tenant it cannot
/// reach is deleted anyway, so only its log tells the two apart).
async fn an_owner_deletes_their_account(installed: &Installed, owner: i64, account: &str) {
    let env = &installed.env;
    let leader = installed.leader().await;
    installed
        .telegram
        .push_update(press(owner, &format!("fd:delyes:{account}"), 1));
    wait_until_for(&format!("{account} deleted"), ROLLOUT, || async {
        let gone = env.accounts.get_opt(account).await.ok()?.is_none()
            && installed.tenants.pod(account).await.is_none()
            && !exists(&env.ns, &format!("persistentvolumeclaim/{account}"));
        gone.then_some(())
    })
    .await;
    let log = kubectl(&["logs", "--namespace", &env.ns, &leader]);
    let log = String::from_utf8_lossy(&log.stdout);
    let masked = crds::naming::Redacted(account).to_string();
    let about = |needle: &str| {
        log.lines()
            .any(|line| line.contains(&masked) && line.contains(needle))
    };
    assert!(
        about("tenant logged out") && !about("did not log out"),
        "{account} was not logged out by its tenant:\n{log}"
    );
}

/// Newcomers send /start and the owner asks for the menu, one update every
/// 100 ms, from before the front door's pod is deleted until a new one is
/// ready; then every newcomer has been welcomed and the owner has had one
/// menu per ask.
async fn front_door_replaced_while_updates_flow(installed: &Installed, owner: i64) {
    let door = installed.pods_of("front-door").await;
    let [door] = door.as_slice() else {
        panic!("one front door pod, not {}", door.len());
    };
    let old = door.name_any();
    // Its log to the end, for when something goes missing.
    let old_log = tempfile::NamedTempFile::new().unwrap();
    let mut following = installed.env.cluster.command("kubectl");
    following
        .args(["logs", "--follow", "--namespace", &installed.env.ns, &old])
        .stdout(old_log.reopen().unwrap())
        .stderr(std::process::Stdio::null());
    let mut following = following.spawn().unwrap();
    let before = installed.telegram.calls().len();
    let mut newcomers = Vec::new();
    let mut asks = 0;
    let mut pace = tokio::time::interval(Duration::from_millis(100));
    let deadline = tokio::time::Instant::now() + ROLLOUT;
    let mut deleted = false;
    loop {
        pace.tick().await;
        assert!(
            tokio::time::Instant::now() < deadline,
            "no new front door within {ROLLOUT:?}"
        );
        let n = i64::try_from(newcomers.len() + asks).unwrap();
        if n % 2 == 0 {
            let newcomer = 8_100 + n;
            installed.telegram.push_update(text(newcomer, "/start"));
            newcomers.push(newcomer);
        } else {
            installed.telegram.push_update(text(owner, "/menu"));
            asks += 1;
        }
        if n == 5 {
            ok(
                kubectl(&[
                    "delete",
                    "pod",
                    &old,
                    "--namespace",
                    &installed.env.ns,
                    "--wait=false",
                ]),
                "delete the front door's pod",
            );
            deleted = true;
        }
        if deleted && n > 10 {
            let doors = installed.pods_of("front-door").await;
            if doors.iter().any(|p| p.name_any() != old && ready(p)) {
                break;
            }
        }
    }
    for newcomer in &newcomers {
        said_after(&installed.telegram, before, *newcomer, "Welcome to Pawang").await;
    }
    let menus = || {
        installed
            .telegram
            .calls_since(before)
            .0
            .iter()
            .filter(|c| {
                c.method == "sendMessage"
                    && c.params["chat_id"].as_i64() == Some(owner)
                    && text_of(c).contains("Dashboard")
            })
            .count()
    };
    let all_answered = wait_until_for_or("one menu per ask", ROLLOUT, || async {
        let menus = menus();
        assert!(menus <= asks, "{menus} menus for {asks} asks");
        (menus == asks).then_some(())
    })
    .await;
    if all_answered.is_none() {
        let mut logs = String::new();
        for pod in installed.pods.list(&ListParams::default()).await.unwrap() {
            let name = pod.name_any();
            let log = kubectl(&[
                "logs",
                "--namespace",
                &installed.env.ns,
                &name,
                "--all-containers",
            ]);
            logs.push_str(&format!(
                "--- {name}\n{}",
                String::from_utf8_lossy(&log.stdout)
            ));
        }
        let old_log = std::fs::read_to_string(old_log.path()).unwrap_or_default();
        panic!(
            "{} menus for {asks} asks\n--- {old} (replaced)\n{old_log}{logs}",
            menus()
        );
    }
    let _ = following.kill();
    let _ = following.wait();
}

/// The operator, the front door and each tenant run as their own
/// ServiceAccount; no pod runs as the namespace's default one.
async fn every_pod_has_its_own_identity(installed: &Installed) {
    let pods = installed
        .pods
        .list(&ListParams::default())
        .await
        .unwrap()
        .items;
    assert!(!pods.is_empty());
    for pod in pods {
        let name = pod.name_any();
        let labels = pod.labels();
        let component = labels
            .get("app.kubernetes.io/component")
            .map(String::as_str)
            .unwrap_or_default();
        let account = labels.get(crds::labels::ACCOUNT).cloned();
        let expected = match component {
            "operator" => OPERATOR.to_owned(),
            "front-door" => FRONT_DOOR.to_owned(),
            "tenant" => account.expect("a tenant pod names its account"),
            other => panic!("{name}: a pod of no component of the chart ({other:?})"),
        };
        let spec = pod.spec.unwrap();
        assert_eq!(
            spec.service_account_name.as_deref(),
            Some(expected.as_str()),
            "{name}"
        );
    }
}

/// A tenant's own mounted token lets it read its account and report its
/// own status, and nothing else: `kubectl auth can-i` with it.
async fn a_tenant_may_only_report_its_own_status(installed: &Installed, own: &str, other: &str) {
    let pod = installed.tenants.pod(own).await.unwrap();
    let pid = *processes(&pod).first().expect("the tenant's process");
    let token = std::fs::read_to_string(format!(
        "/proc/{pid}/root/var/run/secrets/kubernetes.io/serviceaccount/token"
    ))
    .expect("the tenant's mounted token");
    let kubeconfig = tests::cluster::kubeconfig_with_token(
        installed.env.cluster.kubeconfig(),
        token.trim(),
        std::env::temp_dir().join(format!("pawang-installed-{own}.kubeconfig")),
    );
    let can_i = |args: &[&str]| {
        let mut command = installed.env.cluster.command("kubectl");
        command.env("KUBECONFIG", &kubeconfig);
        command.args(["auth", "can-i", "--namespace", &installed.env.ns]);
        command.args(args);
        String::from_utf8_lossy(&run(command, None).stdout)
            .trim()
            .to_owned()
    };
    let accounts = "whatsappaccounts.pawang.dev";
    for (args, want) in [
        (
            vec![
                "patch",
                &*format!("{accounts}/{own}"),
                "--subresource=status",
            ],
            "yes",
        ),
        (vec!["get", &*format!("{accounts}/{own}")], "yes"),
        (vec!["patch", &*format!("{accounts}/{own}")], "no"),
        (vec!["delete", &*format!("{accounts}/{own}")], "no"),
        (
            vec![
                "patch",
                &*format!("{accounts}/{other}"),
                "--subresource=status",
            ],
            "no",
        ),
        (vec!["get", &*format!("{accounts}/{other}")], "no"),
        (vec!["list", accounts], "no"),
        (vec!["get", "secrets"], "no"),
        (vec!["list", "pods"], "no"),
        (vec!["create", "pods"], "no"),
        (vec!["get", "configmaps"], "no"),
        (vec!["list", accounts, "--all-namespaces"], "no"),
    ] {
        assert_eq!(can_i(&args), want, "a tenant's token: can-i {args:?}");
    }
    // The whole list: what every identity may (the namespace's default
    // ServiceAccount, which nothing is granted to, shows it) and its own
    // account.
    let rules = |text: &str| -> BTreeSet<String> {
        text.lines()
            .skip(1)
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    };
    let everyone = rules(&ok(
        kubectl(&[
            "auth",
            "can-i",
            "--list",
            "--namespace",
            &installed.env.ns,
            "--as",
            &format!("system:serviceaccount:{}:default", installed.env.ns),
        ]),
        "what every identity may do",
    ));
    let own_rules: BTreeSet<String> = rules(&can_i(&["--list"]))
        .difference(&everyone)
        .cloned()
        .collect();
    let expected: BTreeSet<String> = [
        format!("{accounts} [] [{own}] [get watch]"),
        format!("{accounts}/status [] [{own}] [get patch]"),
    ]
    .into();
    assert_eq!(own_rules, expected, "what a tenant's token may do");
}

/// Every file a container has besides its image (volumes, secrets, the
/// files the kubelet writes), its environment and its command line: the
/// bot token is found in the front door's and nowhere else.
async fn the_bot_token_is_in_the_front_door_alone(installed: &Installed) {
    let pods = installed
        .pods
        .list(&ListParams::default())
        .await
        .unwrap()
        .items;
    let mut holders = BTreeSet::new();
    for pod in &pods {
        if !ready(pod) {
            continue;
        }
        for pid in processes(pod) {
            if holds(pid, BOT_TOKEN.as_bytes()) {
                holders.insert(pod.name_any());
            }
        }
    }
    let doors: BTreeSet<String> = installed
        .pods_of("front-door")
        .await
        .iter()
        .filter(|p| ready(p))
        .map(ResourceExt::name_any)
        .collect();
    assert_eq!(holders, doors, "the pods holding the bot token");
}

/// Whether process `pid`'s environment, command line or any file on its
/// mounts other than the image's root, /proc, /sys and /dev holds
/// `needle`.
fn holds(pid: i32, needle: &[u8]) -> bool {
    let contains = |bytes: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    for file in ["environ", "cmdline"] {
        if std::fs::read(format!("/proc/{pid}/{file}")).is_ok_and(|b| contains(&b)) {
            return true;
        }
    }
    let mounts = std::fs::read_to_string(format!("/proc/{pid}/mountinfo")).unwrap_or_default();
    let root = PathBuf::from(format!("/proc/{pid}/root"));
    mounts
        .lines()
        .filter_map(|line| line.split_whitespace().nth(4))
        .filter(|point| {
            *point != "/"
                && !["/proc", "/sys", "/dev"]
                    .iter()
                    .any(|skip| point == skip || point.starts_with(&format!("{skip}/")))
        })
        .any(|point| any_file_holds(&root.join(point.trim_start_matches('/')), &contains))
}

fn any_file_holds(path: &Path, contains: &dyn Fn(&[u8]) -> bool) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    if meta.is_dir() {
        std::fs::read_dir(path)
            .into_iter()
            .flatten()
            .flatten()
            .any(|entry| any_file_holds(&entry.path(), contains))
    } else if meta.is_file() {
        std::fs::read(path).is_ok_and(|b| contains(&b))
    } else {
        false
    }
}

/// `kubectl logs` of every container of every pod, their earlier runs
/// too: no bot token, install key, tenant secret, pairing code or full
/// phone number.
async fn every_log_is_clean(installed: &Installed, accounts: &[&str]) {
    let pods = installed
        .pods
        .list(&ListParams::default())
        .await
        .unwrap()
        .items;
    let mut secrets: Vec<String> = accounts
        .iter()
        .map(|a| installed.tenants.secret(a))
        .collect();
    secrets.push(installed.install_key.clone());
    let also: Vec<&str> = secrets.iter().map(String::as_str).collect();
    for pod in pods {
        let name = pod.name_any();
        let restarted = pod
            .status
            .iter()
            .flat_map(|s| s.container_statuses.iter().flatten())
            .any(|c| c.restart_count > 0);
        let mut log = String::new();
        for previous in [true, false] {
            if previous && !restarted {
                continue;
            }
            let mut args = vec![
                "logs",
                "--namespace",
                &installed.env.ns,
                &name,
                "--all-containers",
            ];
            if previous {
                args.push("--previous");
            }
            let output = kubectl(&args);
            if previous && !output.status.success() {
                // A run before the node restarted: its log went with it.
                continue;
            }
            log.push_str(&ok(output, &format!("the log of {name}")));
        }
        assert!(
            !log.is_empty() || name.starts_with("wa-"),
            "{name} logged nothing"
        );
        tests::hygiene::assert_clean(&name, &log, &also);
    }
}
