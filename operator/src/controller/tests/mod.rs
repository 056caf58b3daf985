//! Reconcile scenarios against a mocked API server: each test gives the
//! controller's caches a state, names the requests one reconcile should
//! make and the answers, and checks what the reconcile did.

mod api_server;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use api_server::{Expected, Scenario};
use crds::naming::Chain;
use crds::secret::InstallKey;
use crds::{WhatsAppAccount, condition};
use futures::channel::mpsc::UnboundedReceiver;
use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetStatus};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Secret, Service, ServiceAccount};
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use kube::runtime::controller::Action;
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::finalizer;
use kube::runtime::reflector::{self, Lookup, Store};
use kube::runtime::watcher;
use kube::{Client, Resource};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::time::timeout;

use super::context::{Children, Context};
use super::reconcile::{error_policy, reconcile};
use super::{Error, FINALIZER, RESYNC, Result};
use crate::children::{self, Tenant, fixture};
use crate::metrics::Metrics;
use crate::settings::Settings;
use crate::status::{self, Observed};

/// Longest a reconcile or the server may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(10);

/// Where the fixture account lives.
const NAMESPACE: &str = "pawang";

/// The operator's settings with no flags but the required ones.
fn settings() -> Settings {
    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        settings: Settings,
    }
    let args = [
        "operator",
        "--namespace=pawang",
        "--install-key-file=/dev/null",
    ];
    <Cli as clap::Parser>::parse_from(args).settings
}

fn install_key() -> InstallKey {
    InstallKey::new(&[7; 32]).unwrap()
}

/// The fixture account, held by the operator's finalizer.
fn held() -> WhatsAppAccount {
    let mut account = fixture::account();
    account.metadata.finalizers = Some(vec![FINALIZER.into()]);
    account.metadata.generation = Some(1);
    account
}

/// The held account, being deleted.
fn deleting() -> WhatsAppAccount {
    let mut account = held();
    account.metadata.deletion_timestamp = Some(Time(Timestamp::UNIX_EPOCH));
    account
}

/// The path of the fixture namespace's object of kind `K` named `name`.
fn at<K: Resource<DynamicType = ()>>(name: &str) -> String {
    format!("{}/{name}", K::url_path(&(), Some(NAMESPACE)))
}

/// The path of the fixture account.
fn account_path() -> String {
    at::<WhatsAppAccount>(&fixture::account().metadata.name.unwrap_or_default())
}

/// The objects the controller's caches hold when a reconcile starts.
#[derive(Default)]
struct Cluster {
    accounts: Vec<WhatsAppAccount>,
    stateful_sets: Vec<StatefulSet>,
    claims: Vec<PersistentVolumeClaim>,
    services: Vec<Service>,
    secrets: Vec<Secret>,
    service_accounts: Vec<ServiceAccount>,
    roles: Vec<Role>,
    role_bindings: Vec<RoleBinding>,
    network_policies: Vec<NetworkPolicy>,
}

impl Cluster {
    /// Every child of `account` exactly as the operator builds it.
    fn converged(account: &WhatsAppAccount, settings: &Settings) -> Self {
        let tenant = Tenant::new(account, &settings.tenant).unwrap();
        Self {
            accounts: vec![account.clone()],
            stateful_sets: vec![children::stateful_set::build(&tenant)],
            claims: vec![children::persistent_volume_claim::build(&tenant)],
            services: vec![children::service::build(&tenant)],
            secrets: vec![children::secret::build(&tenant, &install_key())],
            service_accounts: vec![children::service_account::build(&tenant)],
            roles: vec![children::role::build(&tenant)],
            role_bindings: vec![children::role_binding::build(&tenant)],
            network_policies: vec![children::network_policy::build(&tenant)],
        }
    }
}

/// A cache filled with `objects`, as a watch's first list leaves it.
fn cache<K>(objects: Vec<K>) -> Store<K>
where
    K: Lookup + Clone + 'static,
    K::DynamicType: Eq + std::hash::Hash + Clone + Default,
{
    let (store, mut writer) = reflector::store();
    for object in objects {
        writer.apply_watcher_event(&watcher::Event::Apply(object));
    }
    store
}

/// What one reconcile did.
struct Outcome {
    result: Result<Action>,
    /// The retry the error policy chose, when the reconcile failed.
    retry: Option<Action>,
    /// The requests the server answered, in order.
    served: Vec<String>,
    /// The metrics text after the reconcile.
    metrics: String,
    /// Whether every account was asked to be reconciled again.
    reconcile_all: bool,
}

/// Reconciles `account` once with `cluster` in the caches, against the
/// server of `scenario`, and waits for the server to have seen the last
/// request.
async fn reconcile_once(
    scenario: Scenario,
    settings: Settings,
    cluster: Cluster,
    account: WhatsAppAccount,
) -> Outcome {
    let (client, handle) = api_server::client();
    let server = scenario.serve(handle);
    let (ctx, mut woken) = context(client, settings, cluster);
    let account = Arc::new(account);
    let result = timeout(DEADLINE, reconcile(account.clone(), ctx.clone()))
        .await
        .unwrap_or_else(|_| panic!("the reconcile did not end within {DEADLINE:?}"));
    let retry = result
        .as_ref()
        .err()
        .map(|error| error_policy(account, error, ctx.clone()));
    let metrics = ctx.metrics.render();
    let reconcile_all = woken.try_recv().is_ok();
    // The last client goes with the context; the server then knows that
    // no request is still to come.
    drop(ctx);
    let served = match timeout(DEADLINE, server).await {
        Err(_) => panic!("the server still had a client after {DEADLINE:?}"),
        Ok(Err(error)) => match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("the server stopped: {error}"),
        },
        Ok(Ok(served)) => served,
    };
    Outcome {
        result,
        retry,
        served,
        metrics,
        reconcile_all,
    }
}

/// A context over `client` whose caches hold `cluster` and are listed.
fn context(
    client: Client,
    settings: Settings,
    cluster: Cluster,
) -> (Arc<Context>, UnboundedReceiver<()>) {
    let (reconcile_all, woken) = futures::channel::mpsc::unbounded();
    let (_, synced) = watch::channel(true);
    let reporter = Reporter {
        controller: crds::labels::OPERATOR.into(),
        instance: Some("test".into()),
    };
    let ctx = Context {
        recorder: Recorder::new(client.clone(), reporter),
        client,
        settings,
        install_key: install_key(),
        accounts: cache(cluster.accounts),
        children: Children {
            stateful_sets: cache(cluster.stateful_sets),
            claims: cache(cluster.claims),
            services: cache(cluster.services),
            secrets: cache(cluster.secrets),
            service_accounts: cache(cluster.service_accounts),
            roles: cache(cluster.roles),
            role_bindings: cache(cluster.role_bindings),
            network_policies: cache(cluster.network_policies),
            pods: cache(Vec::new()),
        },
        synced,
        metrics: Metrics::new().unwrap(),
        http: reqwest::Client::new(),
        reconcile_all,
        failures: Mutex::new(HashMap::new()),
    };
    (Arc::new(ctx), woken)
}

/// The applies of every child of the fixture account, in the order the
/// controller sends them: all at once but the binding, which waits for
/// its Role, and the StatefulSet, which waits for everything.
fn child_applies() -> Vec<Expected> {
    let name = fixture::account().metadata.name.unwrap_or_default();
    let kind_is = |kind: &'static str| move |body: &Value| assert_eq!(body["kind"], kind);
    vec![
        Expected::apply(at::<ServiceAccount>(&name)).body(kind_is("ServiceAccount")),
        Expected::apply(at::<Role>(&name)).body(kind_is("Role")),
        Expected::apply(at::<Secret>(&name)).body(kind_is("Secret")),
        Expected::apply(at::<NetworkPolicy>(&name)).body(kind_is("NetworkPolicy")),
        Expected::apply(at::<PersistentVolumeClaim>(&name)).body(kind_is("PersistentVolumeClaim")),
        Expected::apply(at::<Service>(&name)).body(kind_is("Service")),
        Expected::apply(at::<RoleBinding>(&name)).body(kind_is("RoleBinding")),
        Expected::apply(at::<StatefulSet>(&name)).body(kind_is("StatefulSet")),
    ]
}

/// The condition of `type_` in a status apply's body.
fn condition_in<'a>(body: &'a Value, type_: &str) -> &'a Value {
    body["status"]["conditions"]
        .as_array()
        .and_then(|all| all.iter().find(|c| c["type"] == type_))
        .unwrap_or(&Value::Null)
}

fn metric(text: &str, line: &str) {
    assert!(text.contains(line), "{line} missing in\n{text}");
}

#[tokio::test]
async fn a_new_account_is_held_by_the_finalizer_before_anything_is_made() {
    let scenario = Scenario::new("new account").then(
        Expected::json_patch(account_path())
            .body(|patch| {
                assert_eq!(
                    patch,
                    &json!([
                        {"op": "test", "path": "/metadata/finalizers", "value": null},
                        {"op": "add", "path": "/metadata/finalizers", "value": [FINALIZER]},
                    ])
                );
            })
            .answer(json!(held())),
    );
    let account = fixture::account();
    let cluster = Cluster {
        accounts: vec![account.clone()],
        ..Cluster::default()
    };
    let outcome = reconcile_once(scenario, settings(), cluster, account).await;
    assert_eq!(outcome.result.unwrap(), Action::await_change());
    assert_eq!(outcome.served.len(), 1);
}

#[tokio::test]
async fn a_held_account_gets_its_children_by_server_side_apply_then_its_status() {
    let mut scenario = Scenario::new("held account, nothing made yet");
    for apply in child_applies() {
        scenario = scenario.then(apply);
    }
    let mut provisioning = held();
    let scenario = scenario
        .then(
            Expected::apply(format!("{}/status", account_path()))
                .body(|body| {
                    assert_eq!(body["kind"], "WhatsAppAccount");
                    assert_eq!(body["status"]["phase"], "Provisioning");
                    assert_eq!(body["status"]["observedGeneration"], 1);
                    let ready = condition_in(body, condition::READY);
                    assert_eq!(ready["status"], "False");
                    assert_eq!(ready["reason"], "Creating");
                })
                .answer({
                    provisioning.status = Some(Default::default());
                    json!(provisioning)
                }),
        )
        .then(
            Expected::create(Event::url_path(&(), Some(NAMESPACE))).body(|event| {
                assert_eq!(event["reason"], "Provisioning");
                assert_eq!(event["type"], "Normal");
                assert_eq!(event["regarding"]["kind"], "WhatsAppAccount");
            }),
        );
    let account = held();
    let cluster = Cluster {
        accounts: vec![account.clone()],
        ..Cluster::default()
    };
    let outcome = reconcile_once(scenario, settings(), cluster, account).await;
    assert_eq!(outcome.result.unwrap(), Action::requeue(RESYNC));
    assert_eq!(outcome.served.len(), 10, "{:?}", outcome.served);
    metric(
        &outcome.metrics,
        "pawang_operator_writes_total{kind=\"StatefulSet\"} 1",
    );
    metric(
        &outcome.metrics,
        "pawang_operator_writes_total{kind=\"WhatsAppAccountStatus\"} 1",
    );
    metric(
        &outcome.metrics,
        "pawang_operator_reconciles_total{result=\"ok\"} 1",
    );
}

#[tokio::test]
async fn an_up_to_date_account_costs_no_request() {
    let settings = settings();
    let mut account = held();
    let converged = Cluster::converged(&account, &settings);
    // The status the operator would write is the one the account has.
    let sts = converged.stateful_sets[0].clone();
    let observed = Observed {
        account: &account,
        stateful_set: Some(&sts),
        pod: None,
        quota_exceeded: false,
    };
    let current = status::desired(observed, &Time(Timestamp::UNIX_EPOCH));
    account.status = Some(serde_json::from_value(current.apply_patch()["status"].clone()).unwrap());
    let cluster = Cluster {
        accounts: vec![account.clone()],
        ..converged
    };

    let outcome = reconcile_once(Scenario::new("up to date"), settings, cluster, account).await;
    assert_eq!(outcome.result.unwrap(), Action::requeue(RESYNC));
    assert!(outcome.served.is_empty(), "{:?}", outcome.served);
    assert!(!outcome.metrics.contains("pawang_operator_writes_total{"));
}

#[tokio::test]
async fn a_failing_child_apply_fails_the_reconcile_with_the_servers_reason() {
    let mut applies = child_applies();
    let Some(stateful_set) = applies.pop() else {
        unreachable!("the StatefulSet is applied last")
    };
    let mut scenario = Scenario::new("StatefulSet refused");
    for apply in applies {
        scenario = scenario.then(apply);
    }
    // No status write and no event follow a failed apply.
    let scenario = scenario.then(stateful_set.refuse(500, "InternalError", "etcd is unavailable"));
    let account = held();
    let cluster = Cluster {
        accounts: vec![account.clone()],
        ..Cluster::default()
    };
    let outcome = reconcile_once(scenario, settings(), cluster, account).await;

    let Err(error) = outcome.result else {
        panic!("the reconcile succeeded")
    };
    assert_eq!(error.reason(), "Kube");
    let Error::Finalizer(inner) = &error else {
        panic!("not through the finalizer: {error:?}")
    };
    let finalizer::Error::ApplyFailed(Error::Kube(kube::Error::Api(status))) = inner.as_ref()
    else {
        panic!("not an API refusal: {error:?}")
    };
    assert_eq!(status.code, 500);
    let chain = Chain(&error).to_string();
    assert!(chain.contains("etcd is unavailable"), "{chain}");
    assert_eq!(outcome.retry, Some(Action::requeue(Duration::from_secs(1))));
    metric(
        &outcome.metrics,
        "pawang_operator_reconcile_failures_total{reason=\"Kube\"} 1",
    );
}

#[tokio::test]
async fn a_refused_role_holds_back_its_binding_and_the_stateful_set() {
    let name = fixture::account().metadata.name.unwrap_or_default();
    // The requests sent beside the Role are answered, though the
    // reconcile no longer waits for them.
    let scenario = Scenario::new("Role refused")
        .then(Expected::apply(at::<ServiceAccount>(&name)))
        .then(Expected::apply(at::<Role>(&name)).refuse(
            403,
            "Forbidden",
            "roles.rbac.authorization.k8s.io is forbidden",
        ))
        .then(Expected::apply(at::<Secret>(&name)))
        .then(Expected::apply(at::<NetworkPolicy>(&name)))
        .then(Expected::apply(at::<PersistentVolumeClaim>(&name)))
        .then(Expected::apply(at::<Service>(&name)));
    let account = held();
    let cluster = Cluster {
        accounts: vec![account.clone()],
        ..Cluster::default()
    };
    let outcome = reconcile_once(scenario, settings(), cluster, account).await;

    let Err(error) = outcome.result else {
        panic!("the reconcile succeeded")
    };
    let chain = Chain(&error).to_string();
    assert!(chain.contains("forbidden"), "{chain}");
    assert!(!outcome.served.iter().any(|r| r.contains("rolebindings")));
}

#[tokio::test]
async fn a_deleted_account_logs_its_tenant_out_keeps_its_volume_then_lets_go() {
    let (url, mut logouts) = tenant_admin().await;
    let mut settings = settings();
    settings.tenant_admin_url_template = url;
    let mut account = deleting();
    account.spec.storage.retain_on_delete = true;
    let tenant_name = account.metadata.name.clone().unwrap_or_default();

    let mut cluster = Cluster::converged(&account, &settings);
    cluster.stateful_sets[0].status = Some(StatefulSetStatus {
        replicas: 1,
        ready_replicas: Some(1),
        ..StatefulSetStatus::default()
    });
    // Another account waits for a place under the account limit.
    let mut waiting = fixture::account();
    waiting.metadata.name = Some("wa-447700900124".into());
    waiting.status = Some(Default::default());
    if let Some(status) = waiting.status.as_mut() {
        status.conditions.push(Condition {
            type_: condition::READY.into(),
            status: "False".into(),
            reason: condition::reason::QUOTA_EXCEEDED.into(),
            message: "the install serves no more accounts".into(),
            observed_generation: None,
            last_transition_time: Time(Timestamp::UNIX_EPOCH),
        });
    }
    cluster.accounts.push(waiting);

    let mut gone = account.clone();
    gone.metadata.finalizers = None;
    let scenario = Scenario::new("account deleted, volume kept")
        .then(
            Expected::apply(at::<PersistentVolumeClaim>(&tenant_name)).body(|claim| {
                assert_eq!(claim["metadata"].get("ownerReferences"), None);
            }),
        )
        .then(
            Expected::json_patch(account_path())
                .body(|patch| {
                    assert_eq!(
                        patch,
                        &json!([
                            {"op": "test", "path": "/metadata/finalizers/0", "value": FINALIZER},
                            {"op": "remove", "path": "/metadata/finalizers/0"},
                        ])
                    );
                })
                .answer(json!(gone)),
        );
    let outcome = reconcile_once(scenario, settings, cluster, account).await;

    assert_eq!(outcome.result.unwrap(), Action::await_change());
    assert_eq!(outcome.served.len(), 2);
    let secret = logouts.try_recv().expect("the tenant was asked to log out");
    assert_eq!(secret, Some(install_key().tenant_secret(&tenant_name)));
    assert!(outcome.reconcile_all, "the waiting account was not woken");
}

/// A tenant's admin endpoint: answers a logout and tells which secret
/// came with it.
async fn tenant_admin() -> (String, tokio::sync::mpsc::UnboundedReceiver<Option<String>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (told, logouts) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/admin/logout",
        axum::routing::post(move |headers: axum::http::HeaderMap| async move {
            let secret = headers
                .get(crds::secret::HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let _ = told.send(secret);
            axum::http::StatusCode::OK
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, logouts)
}
