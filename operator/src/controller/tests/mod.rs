//! Reconcile scenarios against a mocked API server: each test gives the
//! controller's caches a state, names the requests one reconcile should
//! make and the answers, and checks what the reconcile did.

mod api_server;
mod harness;

use std::time::Duration;

use api_server::{Expected, Scenario};
use crds::naming::Chain;
use crds::{WhatsAppAccountStatus, condition};
use harness::{
    Cluster, NAMESPACE, account_path, at, deleting, held, install_key, reconcile_once, reported,
    settings, tenant_admin, with_current_status,
};
use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetStatus};
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Secret, Service, ServiceAccount};
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource;
use kube::runtime::controller::Action;
use kube::runtime::finalizer;
use serde_json::{Value, json};

use super::{Error, FINALIZER, RESYNC};
use crate::children::fixture;

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
    with_current_status(&mut account, &converged.stateful_sets[0]);
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
async fn a_paired_imported_account_loses_its_seed() {
    let settings = settings();
    let mut account = held();
    account.status = Some(WhatsAppAccountStatus {
        conditions: vec![reported(condition::PAIRED, "True", "Paired")],
        ..WhatsAppAccountStatus::default()
    });
    let mut cluster = Cluster::converged(&account, &settings);
    with_current_status(&mut account, &cluster.stateful_sets[0]);
    let name = account.metadata.name.clone().unwrap_or_default();
    let seed = Secret {
        metadata: ObjectMeta {
            name: Some(crds::naming::seed_secret(&name)),
            namespace: Some(NAMESPACE.into()),
            ..ObjectMeta::default()
        },
        ..Secret::default()
    };
    cluster.secrets.push(seed.clone());
    cluster.accounts = vec![account.clone()];
    let scenario = Scenario::new("paired, seed left").then(
        Expected::delete(at::<Secret>(&crds::naming::seed_secret(&name))).answer(json!(seed)),
    );

    let outcome = reconcile_once(scenario, settings, cluster, account).await;
    assert_eq!(outcome.result.unwrap(), Action::requeue(RESYNC));
    assert_eq!(outcome.served.len(), 1);
    metric(
        &outcome.metrics,
        "pawang_operator_writes_total{kind=\"Secret\"} 1",
    );
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
    waiting.status = Some(WhatsAppAccountStatus {
        conditions: vec![reported(
            condition::READY,
            "False",
            condition::reason::QUOTA_EXCEEDED,
        )],
        ..WhatsAppAccountStatus::default()
    });
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
