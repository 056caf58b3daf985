//! The node itself failing, under tenants that run on it: containerd
//! killed and started again, and the whole node stopped and started again
//! on its data. A binary of its own, so its cluster serves no other test
//! while its node goes away; its tests take turns.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use k8s_openapi::api::core::v1::Pod;
use tests::Cluster;
use tests::chat::{said_after, text};
use tests::stack::{Stack, link, phase_is, stack, status_where};
use tokio::sync::Mutex;

/// One fault at a time: each takes the node from under everything on it.
static NODE: Mutex<()> = Mutex::const_new(());

/// Whether `pod` is Running and Ready.
fn running_and_ready(pod: &Pod) -> bool {
    pod.status.as_ref().is_some_and(|s| {
        s.phase.as_deref() == Some("Running")
            && s.conditions
                .iter()
                .flatten()
                .any(|c| c.type_ == "Ready" && c.status == "True")
    })
}

/// The tenant container's id and restarts in `account`'s pod, once the
/// pod is Running and Ready.
async fn ready_container(stack: &Stack, account: &str) -> (String, i32) {
    tests::wait::wait_until("the tenant's pod running and ready", || async {
        let pod = stack.tenants.pod(account).await.filter(running_and_ready)?;
        let container = pod
            .status?
            .container_statuses?
            .into_iter()
            .find(|c| c.name == "tenant")?;
        Some((container.container_id?, container.restart_count))
    })
    .await
}

/// The owner asks for the menu and gets it.
async fn served(stack: &Stack, owner: i64) {
    let calls = stack.telegram.calls().len();
    stack.telegram.push_update(text(owner, "/menu"));
    said_after(&stack.telegram, calls, owner, "Dashboard").await;
}

#[tokio::test]
async fn tenants_keep_running_while_containerd_is_away() {
    let _turn = NODE.lock().await;
    let stack = stack("containerd", &[]).await;
    let owner = 7_301;
    let account = "wa-6281200000301";
    link(&stack, owner, "0812-0000-0301", account).await;
    let before = ready_container(&stack, account).await;
    let processes = stack.tenants.processes(account).await;

    Cluster::shared().stop_containerd();
    // Its shim holds the container: the owner is served meanwhile.
    served(&stack, owner).await;
    Cluster::shared().start_containerd();

    // The same container and process, never restarted; and the node
    // starts new pods again.
    assert_eq!(ready_container(&stack, account).await, before);
    assert_eq!(stack.tenants.processes(account).await, processes);
    served(&stack, owner).await;
    let second = "wa-6281200000302";
    link(&stack, owner, "0812-0000-0302", second).await;
    ready_container(&stack, second).await;
}

#[tokio::test]
async fn every_tenant_comes_back_paired_after_the_node_restarts() {
    let _turn = NODE.lock().await;
    let stack = stack("node-restart", &[]).await;
    let accounts = [
        (7_311, "0812-0000-0311", "wa-6281200000311"),
        (7_312, "0812-0000-0312", "wa-6281200000312"),
    ];
    let mut before = Vec::new();
    for (owner, number, account) in accounts {
        link(&stack, owner, number, account).await;
        let status = stack.env.accounts.get(account).await.unwrap().status;
        let jid = status.and_then(|s| s.jid).expect("a linked device");
        before.push((jid, ready_container(&stack, account).await.0));
    }
    let codes = stack.telegram.calls_of("sendMessage").len();

    Cluster::shared().stop_node();
    Cluster::shared().start_node();

    for ((owner, _, account), (jid, container)) in accounts.into_iter().zip(before) {
        // A new container: the old one died with the node.
        tests::wait::wait_until("the tenant started again", || async {
            let (now, _) = ready_container(&stack, account).await;
            (now != container).then_some(())
        })
        .await;
        served(&stack, owner).await;
        let back = status_where(
            &stack.env,
            account,
            "connected again",
            phase_is(crds::Phase::Connected),
        )
        .await;
        assert_eq!(back.status.and_then(|s| s.jid), Some(jid), "{account}");
    }
    let pairing_codes = stack
        .telegram
        .calls_of("sendMessage")
        .iter()
        .skip(codes)
        .filter(|c| tests::owner::text_of(c).contains("Pairing code"))
        .count();
    assert_eq!(pairing_codes, 0, "nobody is asked to pair again");
}
