//! The operator against the real control plane: children, permissions,
//! drift, suspend, deletion, restarts, idempotency and leadership.

use crds::secret::InstallKey;
use crds::{Language, Phase, WhatsAppAccount, labels};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::wait::await_condition;
use kube::{Resource, ResourceExt};
use serde_json::json;
use tests::cluster::DEADLINE;
use tests::operator::INSTALL_KEY;
use tests::wait::{wait_until, wait_until_for};
use tests::{Cluster, Object, Operator, audit, stub_tenant};

pub(crate) const OWNER: i64 = 555_000_111;

pub(crate) use tests::stack::{Env, env, phase_is, ready_condition, status_where};

/// The fictional number `4477009000NN` (a range kept for drama).
pub(crate) fn phone(n: u32) -> String {
    format!("447700900{n:03}")
}

pub(crate) async fn create(env: &Env, n: u32) -> WhatsAppAccount {
    let account = WhatsAppAccount::for_phone(&phone(n).parse().unwrap(), OWNER, Language::Id);
    env.accounts
        .create(&PostParams::default(), &account)
        .await
        .unwrap()
}

/// Waits until object `name` of kind `K` exists and returns it.
pub(crate) async fn exists<K>(env: &Env, name: &str) -> K
where
    K: Object,
{
    let api = Api::<K>::namespaced(env.client.clone(), &env.ns);
    let what = format!("{} {name}", K::kind(&()));
    tokio::time::timeout(
        DEADLINE,
        await_condition(api, name, |o: Option<&K>| o.is_some()),
    )
    .await
    .unwrap_or_else(|_| panic!("{what} not created within {DEADLINE:?}"))
    .unwrap()
    .unwrap_or_else(|| panic!("{what} vanished"))
}

fn assert_owned<K: Resource<DynamicType = ()>>(object: &K, account: &WhatsAppAccount) {
    let kind = K::kind(&());
    let refs = object.meta().owner_references.clone().unwrap_or_default();
    assert_eq!(refs.len(), 1, "{kind}: {refs:?}");
    assert_eq!(Some(refs[0].uid.clone()), account.uid(), "{kind}");
    assert_eq!(refs[0].controller, Some(true), "{kind}");
    let labels = object.meta().labels.clone().unwrap_or_default();
    assert_eq!(labels[labels::OWNER], OWNER.to_string(), "{kind}");
    assert_eq!(labels[labels::MANAGED_BY], labels::OPERATOR, "{kind}");
}

#[tokio::test]
async fn an_account_gets_every_child_and_a_compliant_pod() {
    let env = env("operator-children").await;
    let operator = Operator::start(Cluster::shared(), &env.ns, &[]);
    let account = create(&env, 1).await;
    let name = account.name_any();

    let sts: StatefulSet = exists(&env, &name).await;
    assert_owned(&sts, &account);
    assert_eq!(sts.spec.replicas, Some(1));
    assert_owned(
        &exists::<PersistentVolumeClaim>(&env, &name).await,
        &account,
    );
    assert_owned(&exists::<Service>(&env, &name).await, &account);
    assert_owned(&exists::<ServiceAccount>(&env, &name).await, &account);
    assert_owned(&exists::<Role>(&env, &name).await, &account);
    assert_owned(&exists::<RoleBinding>(&env, &name).await, &account);
    assert_owned(&exists::<NetworkPolicy>(&env, &name).await, &account);
    let secret: Secret = exists(&env, &name).await;
    assert_owned(&secret, &account);
    let expected = InstallKey::new(INSTALL_KEY.as_bytes())
        .unwrap()
        .tenant_secret(&name);
    assert_eq!(
        secret.data.unwrap()["tenant-secret"].0,
        expected.into_bytes()
    );

    // The StatefulSet controller made the pod in a namespace enforcing
    // Pod Security "restricted": the pod template complies.
    let pod: Pod = exists(&env, &format!("{name}-0")).await;
    assert_eq!(
        pod.spec.unwrap().service_account_name.as_deref(),
        Some(name.as_str())
    );

    let account = status_where(&env, &name, "status observed", |a| {
        a.status
            .as_ref()
            .is_some_and(|s| s.observed_generation == a.metadata.generation)
    })
    .await;
    assert!(
        account
            .metadata
            .finalizers
            .unwrap()
            .contains(&"pawang.dev/cleanup".into())
    );

    // The kubelet runs the pod; once its probes pass, the account is
    // Ready and waiting for pairing.
    let account = status_where(
        &env,
        &name,
        "AwaitingPairing",
        phase_is(Phase::AwaitingPairing),
    )
    .await;
    let ready = ready_condition(&account).unwrap();
    assert_eq!(
        (ready.status.as_str(), ready.reason.as_str()),
        ("True", "TenantReady")
    );
    let secret = InstallKey::new(INSTALL_KEY.as_bytes())
        .unwrap()
        .tenant_secret(&name);
    operator.assert_log_hides(&[&phone(1), &secret]);
    // The account does appear in the log, masked.
    assert!(operator.log().contains("wa-44770****001"));
}

#[tokio::test]
async fn a_tenant_may_patch_its_own_status_and_nothing_else() {
    let env = env("operator-rbac").await;
    let _operator = Operator::start(Cluster::shared(), &env.ns, &[]);
    let mine = create(&env, 1).await.name_any();
    let other = create(&env, 2).await.name_any();
    exists::<RoleBinding>(&env, &mine).await;
    exists::<RoleBinding>(&env, &other).await;

    let tenant = format!("system:serviceaccount:{}:{mine}", env.ns);
    let can_i = |args: &[&str]| {
        let output = Cluster::shared()
            .command("kubectl")
            .args(["auth", "can-i", "--namespace", &env.ns, "--as", &tenant])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    };
    let own = format!("whatsappaccounts.pawang.dev/{mine}");
    let others = format!("whatsappaccounts.pawang.dev/{other}");
    let table: [(&[&str], &str); 12] = [
        (&["patch", &own, "--subresource=status"], "yes"),
        (&["get", &own, "--subresource=status"], "yes"),
        (&["get", &own], "yes"),
        (&["patch", &own], "no"),
        (&["update", &own], "no"),
        (&["delete", &own], "no"),
        (&["patch", &others, "--subresource=status"], "no"),
        (&["get", &others], "no"),
        (&["list", "whatsappaccounts.pawang.dev"], "no"),
        (&["get", "secrets"], "no"),
        (&["list", "pods"], "no"),
        (&["create", "pods"], "no"),
    ];
    for (args, want) in table {
        assert_eq!(can_i(args), want, "can-i {args:?}");
    }
}

#[tokio::test]
async fn drift_is_reverted() {
    let env = env("operator-drift").await;
    let _operator = Operator::start(Cluster::shared(), &env.ns, &[]);
    let name = create(&env, 1).await.name_any();
    exists::<StatefulSet>(&env, &name).await;
    let service: Service = exists(&env, &name).await;

    let stateful_sets = Api::<StatefulSet>::namespaced(env.client.clone(), &env.ns);
    stateful_sets
        .patch(
            &name,
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 3}})),
        )
        .await
        .unwrap();
    tokio::time::timeout(
        DEADLINE,
        await_condition(stateful_sets, &name, |s: Option<&StatefulSet>| {
            s.is_some_and(|s| s.spec.replicas == Some(1))
        }),
    )
    .await
    .expect("replicas back to 1")
    .unwrap();

    let services = Api::<Service>::namespaced(env.client.clone(), &env.ns);
    services
        .delete(&name, &DeleteParams::default())
        .await
        .unwrap();
    let old_uid = service.uid();
    tokio::time::timeout(
        DEADLINE,
        await_condition(services, &name, move |s: Option<&Service>| {
            s.is_some_and(|s| s.uid() != old_uid)
        }),
    )
    .await
    .expect("service recreated")
    .unwrap();
}

#[tokio::test]
async fn suspend_scales_to_zero_and_resume_brings_it_back() {
    let env = env("operator-suspend").await;
    let _operator = Operator::start(Cluster::shared(), &env.ns, &[]);
    let name = create(&env, 1).await.name_any();
    exists::<StatefulSet>(&env, &name).await;
    let claim: PersistentVolumeClaim = exists(&env, &name).await;

    let suspend = |on: bool| Patch::Merge(json!({"spec": {"suspend": on}}));
    let stateful_sets = Api::<StatefulSet>::namespaced(env.client.clone(), &env.ns);
    for (on, replicas) in [(true, 0), (false, 1)] {
        env.accounts
            .patch(&name, &PatchParams::default(), &suspend(on))
            .await
            .unwrap();
        tokio::time::timeout(
            DEADLINE,
            await_condition(
                stateful_sets.clone(),
                &name,
                move |s: Option<&StatefulSet>| s.is_some_and(|s| s.spec.replicas == Some(replicas)),
            ),
        )
        .await
        .unwrap_or_else(|_| panic!("replicas {replicas}"))
        .unwrap();
        let account = status_where(&env, &name, "suspend observed", |a| {
            a.status.as_ref().is_some_and(|s| {
                s.observed_generation == a.metadata.generation
                    && s.conditions.iter().any(|c| {
                        c.type_ == "Suspended" && c.status == if on { "True" } else { "False" }
                    })
            })
        })
        .await;
        let phase = account.status.unwrap().phase;
        assert_eq!(phase == Some(Phase::Suspended), on, "{phase:?}");
    }
    // The volume stayed the same one throughout.
    let after: PersistentVolumeClaim = exists(&env, &name).await;
    assert_eq!(after.uid(), claim.uid());
}

async fn gone<K>(env: &Env, name: &str)
where
    K: Object,
{
    let api = Api::<K>::namespaced(env.client.clone(), &env.ns);
    tokio::time::timeout(
        DEADLINE,
        await_condition(api, name, |o: Option<&K>| o.is_none()),
    )
    .await
    .unwrap_or_else(|_| panic!("{} {name} still there", K::kind(&())))
    .unwrap();
}

#[tokio::test]
async fn deletion_logs_out_a_ready_tenant_and_removes_everything() {
    let env = env("operator-delete").await;
    let (stub, mut received) = stub_tenant::start().await;
    let template = format!("http://{stub}/{{namespace}}/{{name}}");
    let operator = Operator::start(
        Cluster::shared(),
        &env.ns,
        &["--tenant-admin-url-template", &template],
    );
    let name = create(&env, 1).await.name_any();
    exists::<StatefulSet>(&env, &name).await;
    // Ready by its probes on the node; the logout goes to the stub.
    status_where(&env, &name, "Ready", phase_is(Phase::AwaitingPairing)).await;

    env.accounts
        .delete(&name, &DeleteParams::default())
        .await
        .unwrap();
    let call = tokio::time::timeout(DEADLINE, received.recv())
        .await
        .expect("logout call within the deadline")
        .unwrap();
    assert_eq!(call.method, "POST");
    assert_eq!(call.path, format!("/{}/{name}/admin/logout", env.ns));
    let secret = InstallKey::new(INSTALL_KEY.as_bytes())
        .unwrap()
        .tenant_secret(&name);
    assert_eq!(
        call.header("x-telegram-bot-api-secret-token"),
        Some(secret.as_str())
    );

    gone::<WhatsAppAccount>(&env, &name).await;
    gone::<StatefulSet>(&env, &name).await;
    gone::<Service>(&env, &name).await;
    gone::<Secret>(&env, &name).await;
    gone::<ServiceAccount>(&env, &name).await;
    gone::<Role>(&env, &name).await;
    gone::<RoleBinding>(&env, &name).await;
    gone::<NetworkPolicy>(&env, &name).await;
    gone::<PersistentVolumeClaim>(&env, &name).await;
    operator.assert_log_hides(&[&phone(1), &secret]);
}

#[tokio::test]
async fn deletion_with_retain_keeps_the_volume_without_logout_when_not_ready() {
    let env = env("operator-retain").await;
    let (stub, mut received) = stub_tenant::start().await;
    let template = format!("http://{stub}/{{name}}");
    let _operator = Operator::start(
        Cluster::shared(),
        &env.ns,
        &["--tenant-admin-url-template", &template],
    );
    let mut account = WhatsAppAccount::for_phone(&phone(1).parse().unwrap(), OWNER, Language::En);
    account.spec.storage.retain_on_delete = true;
    let name = env
        .accounts
        .create(&PostParams::default(), &account)
        .await
        .unwrap()
        .name_any();
    let claim: PersistentVolumeClaim = exists(&env, &name).await;
    exists::<StatefulSet>(&env, &name).await;

    env.accounts
        .delete(&name, &DeleteParams::default())
        .await
        .unwrap();
    gone::<WhatsAppAccount>(&env, &name).await;
    gone::<StatefulSet>(&env, &name).await;
    let kept: PersistentVolumeClaim = exists(&env, &name).await;
    assert_eq!(kept.uid(), claim.uid());
    assert_eq!(kept.owner_references(), &[]);
    assert_eq!(kept.labels()["pawang.dev/retained"], "true");
    // No pod was ready, so no logout was attempted.
    assert!(received.try_recv().is_err());
}

/// Every child of every account in the namespace, checked for count and
/// ownership: no duplicates, no orphans.
async fn assert_one_child_each(env: &Env, accounts: &[WhatsAppAccount]) {
    async fn check<K>(env: &Env, accounts: &[WhatsAppAccount])
    where
        K: Object,
    {
        let selector = format!("{}={}", labels::MANAGED_BY, labels::OPERATOR);
        let list = Api::<K>::namespaced(env.client.clone(), &env.ns)
            .list(&ListParams::default().labels(&selector))
            .await
            .unwrap();
        let kind = K::kind(&());
        assert_eq!(list.items.len(), accounts.len(), "{kind} count");
        for account in accounts {
            let child = list
                .items
                .iter()
                .find(|c| c.name_any() == account.name_any())
                .unwrap_or_else(|| panic!("{kind} {} missing", account.name_any()));
            assert_owned(child, account);
        }
    }
    check::<StatefulSet>(env, accounts).await;
    check::<PersistentVolumeClaim>(env, accounts).await;
    check::<Service>(env, accounts).await;
    check::<Secret>(env, accounts).await;
    check::<ServiceAccount>(env, accounts).await;
    check::<Role>(env, accounts).await;
    check::<RoleBinding>(env, accounts).await;
    check::<NetworkPolicy>(env, accounts).await;
}

/// Waits until every account's status was observed at its generation and
/// its StatefulSet has settled (Progressing false).
async fn converged(env: &Env, count: usize) -> Vec<WhatsAppAccount> {
    wait_until_for("every account converged", DEADLINE * 2, || async {
        let list = env.accounts.list(&ListParams::default()).await.ok()?;
        let done = list.items.len() == count
            && list.items.iter().all(|a| {
                a.status.as_ref().is_some_and(|s| {
                    s.observed_generation == a.metadata.generation
                        && s.conditions
                            .iter()
                            .any(|c| c.type_ == "Progressing" && c.status == "False")
                })
            });
        done.then_some(list.items)
    })
    .await
}

#[tokio::test]
async fn a_restart_midway_through_50_accounts_converges_without_duplicates() {
    let env = env("operator-restart").await;
    let cluster = Cluster::shared();
    let mut first = Operator::start(cluster, &env.ns, &[]);
    let creations = (0..50).map(|n| create(&env, n));
    futures::future::join_all(creations).await;

    // Kill it once some, not all, tenants exist.
    let stateful_sets = Api::<StatefulSet>::namespaced(env.client.clone(), &env.ns);
    wait_until("some StatefulSets", || async {
        let n = stateful_sets
            .list(&ListParams::default())
            .await
            .ok()?
            .items
            .len();
        (n >= 5).then_some(())
    })
    .await;
    first.kill();
    let _second = Operator::start(cluster, &env.ns, &[]);

    let accounts = converged(&env, 50).await;
    assert_one_child_each(&env, &accounts).await;
}

/// Accepts connections and never answers: a tenant that hangs.
async fn black_hole() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    address
}

#[tokio::test]
async fn an_operator_killed_midway_through_deletions_finishes_them_when_back() {
    let env = env("operator-kill-delete").await;
    let cluster = Cluster::shared();
    // Every logout hangs until its timeout, so the deletions take a while
    // and the kill lands in the middle of them.
    let template = format!("http://{}/{{name}}", black_hole().await);
    let flags = [
        "--tenant-admin-url-template",
        template.as_str(),
        "--logout-timeout",
        "2s",
        "--concurrency",
        "2",
    ];
    let mut first = Operator::start(cluster, &env.ns, &flags);
    futures::future::join_all((0..10).map(|n| create(&env, n))).await;
    let accounts = converged(&env, 10).await;
    let stateful_sets = Api::<StatefulSet>::namespaced(env.client.clone(), &env.ns);
    wait_until("every tenant ready", || async {
        let list = stateful_sets.list(&ListParams::default()).await.ok()?;
        list.items
            .iter()
            .all(|s| s.status.as_ref().and_then(|s| s.ready_replicas) == Some(1))
            .then_some(())
    })
    .await;
    for account in &accounts {
        env.accounts
            .delete(&account.name_any(), &DeleteParams::default())
            .await
            .unwrap();
    }
    let left = || async {
        env.accounts
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .len()
    };
    wait_until("the first deletion done", || async {
        (left().await < 10).then_some(())
    })
    .await;
    first.kill();
    let remaining = left().await;
    assert!(remaining > 0, "every deletion finished before the kill");

    let _second = Operator::start(cluster, &env.ns, &flags);
    wait_until_for("every account gone", DEADLINE * 2, || async {
        (left().await == 0).then_some(())
    })
    .await;
    // Garbage collection leaves no child behind.
    async fn none_left<K: Object>(env: &Env) -> Option<()> {
        let selector = format!("{}={}", labels::MANAGED_BY, labels::OPERATOR);
        let list = Api::<K>::namespaced(env.client.clone(), &env.ns)
            .list(&ListParams::default().labels(&selector))
            .await
            .ok()?;
        list.items.is_empty().then_some(())
    }
    wait_until("no orphaned children", || async {
        none_left::<StatefulSet>(&env).await?;
        none_left::<PersistentVolumeClaim>(&env).await?;
        none_left::<Service>(&env).await?;
        none_left::<Secret>(&env).await?;
        none_left::<ServiceAccount>(&env).await?;
        none_left::<Role>(&env).await?;
        none_left::<RoleBinding>(&env).await?;
        none_left::<NetworkPolicy>(&env).await
    })
    .await;
    println!("{remaining} of 10 deletions were left when the operator was killed");
}

#[tokio::test]
async fn a_converged_install_causes_no_writes() {
    let env = env("operator-idle").await;
    let cluster = Cluster::shared();
    let mut operator = Operator::start(cluster, &env.ns, &[]);
    for n in 0..5 {
        create(&env, n).await;
    }
    converged(&env, 5).await;
    operator.ready().await;
    assert_eq!(operator.terminate(), Some(0), "graceful shutdown");

    // A new operator reconciles every account from scratch: a forced resync.
    let mark = audit::len(&cluster.audit_log());
    let restarted = Operator::start(cluster, &env.ns, &[]);
    restarted.ready().await;
    wait_until("every account reconciled again", || async {
        let done = restarted
            .metric("pawang_operator_reconciles_total{result=\"ok\"}")
            .await?;
        (done >= 5.0).then_some(())
    })
    .await;
    let writes: Vec<_> = audit::requests_since(&cluster.audit_log(), mark)
        .into_iter()
        .filter(|r| r.user == "pawang-operator" && r.namespace == env.ns && r.is_write())
        // Holding the Lease is the one write a leader must make.
        .filter(|r| r.resource != "leases")
        .collect();
    assert!(writes.is_empty(), "writes after convergence: {writes:#?}");
}

#[tokio::test]
async fn only_the_leaseholder_reconciles() {
    let env = env("operator-leader").await;
    let cluster = Cluster::shared();
    let mut first = Operator::start(cluster, &env.ns, &[]);
    // Ready alone does not mean leading: a standby is ready too.
    wait_until("the first operator leads", || async {
        first.log().contains("leading").then_some(())
    })
    .await;
    let second = Operator::start(cluster, &env.ns, &[]);
    second.ready().await;
    create(&env, 1).await;
    converged(&env, 1).await;
    assert!(
        first.log().contains("leading") ^ second.log().contains("leading"),
        "exactly one leads"
    );
    let (leader, standby) = if first.log().contains("leading") {
        (&first, &second)
    } else {
        (&second, &first)
    };
    assert!(
        leader
            .metric("pawang_operator_reconciles_total{result=\"ok\"}")
            .await
            >= Some(1.0)
    );
    assert_eq!(
        standby
            .metric("pawang_operator_reconciles_total{result=\"ok\"}")
            .await,
        Some(0.0)
    );

    // When the leader dies the standby takes over and serves new accounts.
    let standby_is_second = std::ptr::eq(standby, &second);
    assert!(
        standby_is_second,
        "the first operator starts first and leads"
    );
    first.kill();
    let name = create(&env, 2).await.name_any();
    exists::<StatefulSet>(&env, &name).await;
    wait_until("standby took over", || async {
        second.log().contains("leading").then_some(())
    })
    .await;
}

#[tokio::test]
async fn accounts_beyond_the_limit_wait_for_a_place() {
    let env = env("operator-quota").await;
    let _operator = Operator::start(Cluster::shared(), &env.ns, &["--max-accounts", "1"]);
    let first = create(&env, 1).await.name_any();
    exists::<StatefulSet>(&env, &first).await;
    let second = create(&env, 2).await.name_any();

    let account = status_where(&env, &second, "Failed", phase_is(Phase::Failed)).await;
    let ready = ready_condition(&account).unwrap();
    assert_eq!(
        (ready.status.as_str(), ready.reason.as_str()),
        ("False", "QuotaExceeded")
    );
    let stateful_sets = Api::<StatefulSet>::namespaced(env.client.clone(), &env.ns);
    assert!(stateful_sets.get_opt(&second).await.unwrap().is_none());
    let events =
        Api::<k8s_openapi::api::events::v1::Event>::namespaced(env.client.clone(), &env.ns);
    wait_until("a Failed event for the waiting account", || async {
        let list = events.list(&ListParams::default()).await.ok()?;
        list.items
            .iter()
            .any(|e| {
                e.reason.as_deref() == Some("Failed")
                    && e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(second.as_str())
            })
            .then_some(())
    })
    .await;

    // Deleting the first account lets the second in.
    env.accounts
        .delete(&first, &DeleteParams::default())
        .await
        .unwrap();
    exists::<StatefulSet>(&env, &second).await;
    status_where(&env, &second, "Provisioning", phase_is(Phase::Provisioning)).await;
}

#[tokio::test]
async fn metrics_and_health_are_served() {
    let env = env("operator-metrics").await;
    let operator = Operator::start(Cluster::shared(), &env.ns, &[]);
    operator.ready().await;
    assert_eq!(operator.get("/healthz").await.map(|r| r.0), Some(200));
    create(&env, 1).await;
    converged(&env, 1).await;
    let (status, text) = operator.get("/metrics").await.unwrap();
    assert_eq!(status, 200);
    for name in [
        "pawang_operator_reconciles_total",
        "pawang_operator_reconcile_duration_seconds_bucket",
        "pawang_operator_writes_total",
        "pawang_operator_accounts",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
    let provisioning = operator
        .metric("pawang_operator_accounts{phase=\"Provisioning\"}")
        .await;
    assert_eq!(provisioning, Some(1.0));
}
