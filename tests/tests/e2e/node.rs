//! Tenants as real pods on the node: the operator's StatefulSet run by a
//! kubelet, containerd and runc from the image built here, in a namespace
//! that enforces Pod Security "restricted"; its volume provisioned and
//! written by the tenant's own user; the front door reaching it through
//! the cluster's DNS; and what happens when the pod, its process,
//! containerd or the whole node go away.

use std::os::unix::fs::MetadataExt as _;
use std::time::Duration;

use crds::{Phase, WhatsAppAccount};
use futures::StreamExt;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{
    Event, Namespace, PersistentVolume, PersistentVolumeClaim, Pod, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use tests::Cluster;
use tests::chat::{create_groups, said, said_after, text};
use tests::cluster::DEADLINE;
use tests::tenants::Tenants;
use tests::wait::{wait_until, wait_until_for};

use tests::stack::{
    Env, Stack, env, failed_because, link, phase_is, ready_condition, stack, status_where,
};

use crate::operator::OWNER;

/// The tenants' user and group, as the operator sets them.
const TENANT_UID: u32 = 65532;

/// Whether `pod` is Running and Ready by its own probes.
fn running_and_ready(pod: &Pod) -> bool {
    let Some(status) = &pod.status else {
        return false;
    };
    status.phase.as_deref() == Some("Running")
        && status
            .conditions
            .iter()
            .flatten()
            .any(|c| c.type_ == "Ready" && c.status == "True")
}

/// Waits until `account`'s pod is Running and Ready, and returns it.
async fn pod_ready(stack: &Stack, account: &str) -> Pod {
    wait_until("the tenant's pod running and ready", || async {
        stack.tenants.pod(account).await.filter(running_and_ready)
    })
    .await
}

/// The tenant container's status in `pod`.
fn tenant_container(pod: &Pod) -> k8s_openapi::api::core::v1::ContainerStatus {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .and_then(|c| c.iter().find(|c| c.name == "tenant"))
        .cloned()
        .expect("the tenant's container status")
}

/// The events the kubelet recorded for `pod`.
async fn pod_events(client: &Client, namespace: &str, pod: &str) -> Vec<Event> {
    Api::<Event>::namespaced(client.clone(), namespace)
        .list(&ListParams::default().fields(&format!("involvedObject.name={pod}")))
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn an_owner_pairs_and_the_tenant_runs_as_a_restricted_pod_on_its_own_volume() {
    let stack = stack("node-pair", &[]).await;
    let owner = 7_201;
    let (digits, account) = ("6281200000201", "wa-6281200000201");
    stack.telegram.push_update(text(owner, "/start"));
    said(&stack.telegram, owner, "Welcome to Pawang").await;
    // The pairing code comes from the tenant in its pod, through the
    // front door, which found the pod by its Service's DNS name.
    link(&stack, owner, "0812-0000-0201", account).await;

    let pod = pod_ready(&stack, account).await;
    let container = tenant_container(&pod);
    assert_eq!(container.restart_count, 0, "{container:?}");
    assert!(
        container.image.ends_with(&tests::tenants::image()),
        "{}",
        container.image
    );
    // Admitted and run under "restricted", as its own user.
    let namespace = Api::<Namespace>::all(stack.env.client.clone())
        .get(&stack.env.ns)
        .await
        .unwrap();
    assert_eq!(
        namespace.labels()["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
    let processes = stack.tenants.processes(account).await;
    assert!(!processes.is_empty());
    for pid in &processes {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let uid = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
        assert!(
            uid.split_whitespace().skip(1).all(|id| id == "65532"),
            "{uid}"
        );
        let effective = status.lines().find(|l| l.starts_with("CapEff:")).unwrap();
        assert!(effective.ends_with("0000000000000000"), "{effective}");
        let seccomp = status.lines().find(|l| l.starts_with("Seccomp:")).unwrap();
        assert!(seccomp.ends_with('2'), "seccomp filtering: {seccomp}");
        let no_new = status
            .lines()
            .find(|l| l.starts_with("NoNewPrivs:"))
            .unwrap();
        assert!(no_new.ends_with('1'), "{no_new}");
    }
    // Started without a failed probe: liveness and readiness wait for the
    // startup probe.
    let unhealthy: Vec<String> = pod_events(&stack.env.client, &stack.env.ns, &pod.name_any())
        .await
        .into_iter()
        .filter(|e| e.reason.as_deref() == Some("Unhealthy"))
        .filter_map(|e| e.message)
        .filter(|m| !m.starts_with("Startup probe"))
        .collect();
    assert!(unhealthy.is_empty(), "{unhealthy:?}");

    // Its claim is bound; both files sit on the volume under their names,
    // SQLite databases of the tenant's own user.
    let claim = Api::<PersistentVolumeClaim>::namespaced(stack.env.client.clone(), &stack.env.ns)
        .get(account)
        .await
        .unwrap();
    assert_eq!(claim.status.and_then(|s| s.phase).as_deref(), Some("Bound"));
    let volume = stack.tenants.volume_dir(account).await;
    for name in [
        format!("whatsmeow-{owner}-{digits}.db"),
        format!("bot_data-{owner}-{digits}.db"),
    ] {
        let path = volume.join(&name);
        let meta = std::fs::metadata(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((meta.uid(), meta.gid()), (TENANT_UID, TENANT_UID), "{name}");
        let head = std::fs::read(&path).unwrap();
        assert!(head.starts_with(b"SQLite format 3\0"), "{name}");
    }

    stack.telegram.push_update(text(owner, "/menu"));
    said(&stack.telegram, owner, "Dashboard").await;
    stack.tenants.assert_log_clean(account).await;

    // Nothing leaves the sandbox: neither the node (this process is on
    // it) nor the pod, whose way out is the node, has a route out.
    let outside: std::net::SocketAddr = "203.0.113.1:443".parse().unwrap();
    let refused = std::net::TcpStream::connect_timeout(&outside, Duration::from_secs(5))
        .expect_err("a connection out of the sandbox");
    assert_eq!(
        refused.kind(),
        std::io::ErrorKind::NetworkUnreachable,
        "{refused}"
    );
    let pid = processes[0];
    let from_pod = std::process::Command::new("nsenter")
        .arg(format!("--net=/proc/{pid}/ns/net"))
        .args(["--", "bash", "-c", "exec 3<>/dev/tcp/203.0.113.1/443"])
        .output()
        .unwrap();
    assert!(!from_pod.status.success());
    let said = String::from_utf8_lossy(&from_pod.stderr);
    assert!(said.contains("unreachable"), "{said}");
}

#[tokio::test]
async fn a_killed_tenant_and_a_deleted_pod_come_back_paired_and_the_job_goes_on() {
    let stack = stack("node-restarts", &[]).await;
    let owner = 7_202;
    let account = "wa-6281200000202";
    link(&stack, owner, "0812-0000-0202", account).await;
    let paired = stack.env.accounts.get(account).await.unwrap();
    let jid = paired.status.as_ref().and_then(|s| s.jid.clone());
    assert!(jid.is_some());
    let codes = |stack: &Stack| {
        stack
            .telegram
            .calls()
            .iter()
            .filter(|c| {
                c.method == "sendMessage" && tests::owner::text_of(c).contains("Pairing code")
            })
            .count()
    };
    let codes_before = codes(&stack);

    // Six groups, two seconds apart: the job runs across both.
    const COUNT: usize = 6;
    create_groups(&stack.telegram, owner, account, "Shop x 6", COUNT).await;
    said(&stack.telegram, owner, "Create groups: 1/6").await;

    // The process dies without a word; the kubelet starts it again.
    stack
        .tenants
        .signal(account, nix::sys::signal::Signal::SIGKILL)
        .await;
    wait_until("the container restarted", || async {
        let pod = stack.tenants.pod(account).await?;
        (running_and_ready(&pod) && tenant_container(&pod).restart_count == 1).then_some(())
    })
    .await;

    // The pod is deleted; its StatefulSet makes another on the same
    // volume.
    let pods = Api::<Pod>::namespaced(stack.env.client.clone(), &stack.env.ns);
    let first = stack.tenants.pod(account).await.unwrap().uid();
    pods.delete(&Tenants::pod_name(account), &DeleteParams::default())
        .await
        .unwrap();
    wait_until("a new pod running and ready", || async {
        let pod = stack.tenants.pod(account).await?;
        (pod.uid() != first && running_and_ready(&pod)).then_some(())
    })
    .await;

    let done = format!("Create groups: ✅ {COUNT} done, ❌ 0 failed.");
    said(&stack.telegram, owner, &done).await;
    let groups = stack.tenants.groups(account).await;
    let mut made: Vec<&str> = groups.iter().filter_map(|g| g["name"].as_str()).collect();
    made.sort_unstable();
    let wanted: Vec<String> = (1..=COUNT).map(|n| format!("Shop {n}")).collect();
    assert_eq!(made, wanted, "each group made once");

    // The same session, never paired again.
    let account_now =
        status_where(&stack.env, account, "connected", phase_is(Phase::Connected)).await;
    assert_eq!(account_now.status.and_then(|s| s.jid), jid);
    assert_eq!(
        codes(&stack),
        codes_before,
        "no pairing code after a restart"
    );
    let calls = stack.telegram.calls().len();
    stack.telegram.push_update(text(owner, "/menu"));
    said_after(&stack.telegram, calls, owner, "Dashboard").await;
}

#[tokio::test]
async fn a_stopping_tenant_ends_on_its_own_even_while_telegram_is_away() {
    let mut stack = stack("node-sigterm", &[]).await;
    let owner = 7_203;
    let account = "wa-6281200000203";
    link(&stack, owner, "0812-0000-0203", account).await;
    pod_ready(&stack, account).await;

    // The front door is gone: the tenant's message about its job finds
    // no gateway, and it tries again for up to a minute.
    create_groups(&stack.telegram, owner, account, "Toko x 3", 3).await;
    said(&stack.telegram, owner, "Create groups: 1/3").await;
    stack.door.kill();

    // Asked to stop, it stops by itself (exit code 0) well before the
    // kubelet's 30 s would force it.
    let pods = Api::<Pod>::namespaced(stack.env.client.clone(), &stack.env.ns);
    let name = Tenants::pod_name(account);
    let asked = tokio::time::Instant::now();
    pods.delete(&name, &DeleteParams::default()).await.unwrap();
    let mut events = std::pin::pin!(
        watcher(
            pods.clone(),
            watcher::Config::default().fields(&format!("metadata.name={name}"))
        )
        .applied_objects()
    );
    let ended = tokio::time::timeout(DEADLINE, async {
        while let Some(Ok(pod)) = events.next().await {
            let terminated = pod
                .status
                .as_ref()
                .and_then(|s| s.container_statuses.as_ref())
                .and_then(|c| c.iter().find(|c| c.name == "tenant"))
                .and_then(|c| c.state.as_ref())
                .and_then(|s| s.terminated.clone());
            if let Some(terminated) = terminated {
                return terminated;
            }
        }
        panic!("the pod's watch ended");
    })
    .await
    .expect("the tenant's end seen");
    let took = asked.elapsed();
    assert_eq!(ended.exit_code, 0, "{ended:?}");
    assert!(took < Duration::from_secs(25), "{took:?}");
    stack.door.restart().await;
}

#[tokio::test]
async fn deleting_an_account_removes_its_pod_children_and_volume() {
    let stack = stack("node-delete", &[]).await;
    let owner = 7_204;
    let account = "wa-6281200000204";
    link(&stack, owner, "0812-0000-0204", account).await;
    pod_ready(&stack, account).await;
    let volume = stack.tenants.volume_dir(account).await;
    assert!(volume.is_dir());
    let claim = Api::<PersistentVolumeClaim>::namespaced(stack.env.client.clone(), &stack.env.ns)
        .get(account)
        .await
        .unwrap();
    let pv = claim.spec.and_then(|s| s.volume_name).unwrap();

    stack
        .env
        .accounts
        .delete(account, &DeleteParams::default())
        .await
        .unwrap();
    let env = &stack.env;
    gone::<WhatsAppAccount>(env, account).await;
    gone::<Pod>(env, &Tenants::pod_name(account)).await;
    gone::<StatefulSet>(env, account).await;
    gone::<Service>(env, account).await;
    gone::<Secret>(env, account).await;
    gone::<ServiceAccount>(env, account).await;
    gone::<Role>(env, account).await;
    gone::<RoleBinding>(env, account).await;
    gone::<NetworkPolicy>(env, account).await;
    gone::<PersistentVolumeClaim>(env, account).await;
    // The tenant logged out of WhatsApp before its pod went.
    let log = stack.operator.log();
    assert!(log.contains("tenant logged out"), "{log}");
    let volumes = Api::<PersistentVolume>::all(env.client.clone());
    wait_until("the volume released and removed", || async {
        volumes.get_opt(&pv).await.ok()?.is_none().then_some(())
    })
    .await;
    wait_until("the volume's folder removed from the node", || async {
        (!volume.exists()).then_some(())
    })
    .await;
}

/// Waits until the object `name` of kind `K` is gone.
async fn gone<K: tests::Object>(env: &Env, name: &str) {
    let api = Api::<K>::namespaced(env.client.clone(), &env.ns);
    wait_until(&format!("{} {name} gone", K::kind(&())), || async {
        api.get_opt(name).await.ok()?.is_none().then_some(())
    })
    .await;
}

/// An account of `owner`'s, made directly.
async fn create_account(env: &Env, digits: &str, storage_class: Option<&str>) -> String {
    let mut account =
        WhatsAppAccount::for_phone(&digits.parse().unwrap(), OWNER, crds::Language::En);
    account.spec.storage.storage_class_name = storage_class.map(str::to_owned);
    env.accounts
        .create(&PostParams::default(), &account)
        .await
        .unwrap()
        .name_any()
}

#[tokio::test]
async fn an_image_that_is_not_there_is_told_on_the_account() {
    let env = env("node-no-image").await;
    let operator = tests::Operator::start(
        Cluster::shared(),
        &env.ns,
        &["--tenant-image", "localhost/pawang:0.0.0-not-built"],
    );
    let name = create_account(&env, "6281200000205", None).await;
    let account = status_where(
        &env,
        &name,
        "failed for its image",
        failed_because("ImageUnavailable"),
    )
    .await;
    let ready = ready_condition(&account).unwrap();
    assert!(
        ready.message.contains("localhost/pawang:0.0.0-not-built"),
        "{}",
        ready.message
    );

    // Fixed by the install (its operator told the right image), it runs.
    drop(operator);
    let _operator = tests::Operator::start(Cluster::shared(), &env.ns, &[]);
    wait_until_for("the tenant ready", DEADLINE * 2, || async {
        let pod = Api::<Pod>::namespaced(env.client.clone(), &env.ns)
            .get_opt(&Tenants::pod_name(&name))
            .await
            .ok()??;
        running_and_ready(&pod).then_some(())
    })
    .await;
    status_where(&env, &name, "no longer failed", |a| {
        a.status
            .as_ref()
            .is_some_and(|s| s.phase == Some(Phase::AwaitingPairing))
    })
    .await;
}

#[tokio::test]
async fn a_volume_the_tenant_cannot_write_is_told_on_the_account() {
    let env = env("node-root-volume").await;
    let _operator = tests::Operator::start(
        Cluster::shared(),
        &env.ns,
        &["--tenant-whatsapp-backend", "fake"],
    );
    // kube-controller-manager's hostpath provisioner makes root's folders,
    // and ignores fsGroup.
    let name = create_account(&env, "6281200000206", Some("hostpath-root")).await;
    let account = status_where(
        &env,
        &name,
        "failed for its volume",
        failed_because("TenantCrashLooping"),
    )
    .await;
    let ready = ready_condition(&account).unwrap();
    for said in ["/data is not writable", "uid 65532", "belongs to uid 0"] {
        assert!(ready.message.contains(said), "{said}: {}", ready.message);
    }
    assert!(
        !ready.message.contains("6281200000206"),
        "{}",
        ready.message
    );
}
