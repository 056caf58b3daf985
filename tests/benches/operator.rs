//! `make bench-operator`: 1,000 accounts created at once against the local
//! control plane. Prints how long until every account has all its children
//! and an observed status, how many write requests the operator sent per
//! account (from the API server's audit log), and the operator's peak RSS;
//! writes the same figures as JSON.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use crds::{Language, WhatsAppAccount, labels};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::Client;
use kube::api::{Api, ListParams, PostParams};
use tests::wait::wait_until_for;
use tests::{Cluster, Object, Operator, audit};

const ACCOUNTS: u32 = 1_000;

async fn count<K>(client: &Client, ns: &str) -> usize
where
    K: Object,
{
    let selector = format!("{}={}", labels::MANAGED_BY, labels::OPERATOR);
    Api::<K>::namespaced(client.clone(), ns)
        .list_metadata(&ListParams::default().labels(&selector))
        .await
        .map(|l| l.items.len())
        .unwrap_or(0)
}

async fn all_children(client: &Client, ns: &str) -> usize {
    let counts = [
        count::<StatefulSet>(client, ns).await,
        count::<PersistentVolumeClaim>(client, ns).await,
        count::<Service>(client, ns).await,
        count::<Secret>(client, ns).await,
        count::<ServiceAccount>(client, ns).await,
        count::<Role>(client, ns).await,
        count::<RoleBinding>(client, ns).await,
        count::<NetworkPolicy>(client, ns).await,
    ];
    counts.into_iter().min().unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let cluster = Cluster::control_plane();
    let client = cluster.client().await.unwrap();
    cluster.install_crd(&client).await.unwrap();
    let ns = cluster.namespace(&client, "bench-operator").await.unwrap();
    let limit = (ACCOUNTS * 2).to_string();
    let operator = Operator::start(cluster, &ns, &["--max-accounts", &limit]);
    operator.ready().await;
    let mark = audit::len(&cluster.audit_log());

    let api = Api::<WhatsAppAccount>::namespaced(client.clone(), &ns);
    let started = Instant::now();
    futures::stream::iter(0..ACCOUNTS)
        .map(|n| {
            let api = api.clone();
            async move {
                let phone = format!("447700900{n:03}").parse().unwrap();
                let account = WhatsAppAccount::for_phone(&phone, 1, Language::Id);
                api.create(&PostParams::default(), &account).await
            }
        })
        .buffer_unordered(64)
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    let created = started.elapsed();

    let deadline = Duration::from_secs(1200);
    wait_until_for("every child of every account", deadline, || async {
        (all_children(&client, &ns).await >= ACCOUNTS as usize).then_some(())
    })
    .await;
    let children = started.elapsed();
    wait_until_for("every status observed", deadline, || async {
        let list = api.list(&ListParams::default()).await.ok()?;
        let observed = list
            .items
            .iter()
            .filter(|a| {
                a.status
                    .as_ref()
                    .is_some_and(|s| s.observed_generation == a.metadata.generation)
            })
            .count();
        (observed >= ACCOUNTS as usize).then_some(())
    })
    .await;
    let converged = started.elapsed();

    let writes = audit::requests_since(&cluster.audit_log(), mark)
        .into_iter()
        .filter(|r| r.user == "pawang-operator" && r.namespace == ns && r.is_write())
        .filter(|r| r.resource != "leases")
        .count();
    let rss_kib = tests::process::peak_rss_kib(operator.pid()).unwrap_or(0);
    let per_account = writes as f64 / f64::from(ACCOUNTS);

    println!(
        "accounts created (API calls, 64 in flight): {:.1} s",
        created.as_secs_f64()
    );
    println!("all children exist: {:.1} s", children.as_secs_f64());
    println!("all statuses observed: {:.1} s", converged.as_secs_f64());
    println!(
        "accounts per second to convergence: {:.1}",
        f64::from(ACCOUNTS) / converged.as_secs_f64()
    );
    println!("operator write requests: {writes} ({per_account:.2} per account)");
    println!("operator peak RSS: {:.1} MiB", rss_kib as f64 / 1024.0);

    let report = serde_json::json!({
        "accounts": ACCOUNTS,
        "created_seconds": created.as_secs_f64(),
        "children_seconds": children.as_secs_f64(),
        "converged_seconds": converged.as_secs_f64(),
        "writes": writes,
        "writes_per_account": per_account,
        "operator_peak_rss_kib": rss_kib,
    });
    let out = std::env::var_os("PAWANG_BENCH_OUT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("bench-operator.json"));
    std::fs::write(&out, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!("figures written to {}", out.display());
}
