//! What a reconcile scenario starts from and how one runs: the settings,
//! the fixture account in its states, the caches' contents, a context
//! over a mocked API server, and a tenant's admin endpoint for logouts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crds::secret::InstallKey;
use crds::{WhatsAppAccount, WhatsAppAccountStatus};
use futures::channel::mpsc::UnboundedReceiver;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use kube::runtime::controller::Action;
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector::{self, Lookup, Store};
use kube::runtime::watcher;
use kube::{Client, Resource};
use tokio::sync::watch;
use tokio::time::timeout;

use super::api_server::{self, Scenario};
use crate::children::{self, Tenant, fixture};
use crate::controller::context::{Children, Context};
use crate::controller::reconcile::{error_policy, reconcile};
use crate::controller::{FINALIZER, Result};
use crate::metrics::Metrics;
use crate::settings::Settings;
use crate::status::{self, Observed};

/// Longest a reconcile or the server may take before the test fails.
const DEADLINE: Duration = Duration::from_secs(10);

/// Where the fixture account lives.
pub(super) const NAMESPACE: &str = "pawang";

/// The operator's settings with no flags but the required ones.
pub(super) fn settings() -> Settings {
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

pub(super) fn install_key() -> InstallKey {
    InstallKey::new(&[7; 32]).unwrap()
}

/// The fixture account, held by the operator's finalizer.
pub(super) fn held() -> WhatsAppAccount {
    let mut account = fixture::account();
    account.metadata.finalizers = Some(vec![FINALIZER.into()]);
    account.metadata.generation = Some(1);
    account
}

/// The held account, being deleted.
pub(super) fn deleting() -> WhatsAppAccount {
    let mut account = held();
    account.metadata.deletion_timestamp = Some(Time(Timestamp::UNIX_EPOCH));
    account
}

/// The path of the fixture namespace's object of kind `K` named `name`.
pub(super) fn at<K: Resource<DynamicType = ()>>(name: &str) -> String {
    format!("{}/{name}", K::url_path(&(), Some(NAMESPACE)))
}

/// The path of the fixture account.
pub(super) fn account_path() -> String {
    at::<WhatsAppAccount>(&fixture::account().metadata.name.unwrap_or_default())
}

/// The objects the controller's caches hold when a reconcile starts.
#[derive(Default)]
pub(super) struct Cluster {
    pub(super) accounts: Vec<WhatsAppAccount>,
    pub(super) stateful_sets: Vec<StatefulSet>,
    pub(super) claims: Vec<PersistentVolumeClaim>,
    pub(super) services: Vec<Service>,
    pub(super) secrets: Vec<Secret>,
    pub(super) service_accounts: Vec<ServiceAccount>,
    pub(super) roles: Vec<Role>,
    pub(super) role_bindings: Vec<RoleBinding>,
    pub(super) network_policies: Vec<NetworkPolicy>,
}

impl Cluster {
    /// Every child of `account` exactly as the operator builds it.
    pub(super) fn converged(account: &WhatsAppAccount, settings: &Settings) -> Self {
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
pub(super) struct Outcome {
    pub(super) result: Result<Action>,
    /// The retry the error policy chose, when the reconcile failed.
    pub(super) retry: Option<Action>,
    /// The requests the server answered, in order.
    pub(super) served: Vec<String>,
    /// The metrics text after the reconcile.
    pub(super) metrics: String,
    /// Whether every account was asked to be reconciled again.
    pub(super) reconcile_all: bool,
}

/// Reconciles `account` once with `cluster` in the caches, against the
/// server of `scenario`, and waits for the server to have seen the last
/// request.
pub(super) async fn reconcile_once(
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

/// Gives `account` the status the operator would write with `sts` as
/// its StatefulSet, beside the conditions its tenant reported.
pub(super) fn with_current_status(account: &mut WhatsAppAccount, sts: &StatefulSet) {
    let observed = Observed {
        account,
        stateful_set: Some(sts),
        pod: None,
        quota_exceeded: false,
    };
    let current = status::desired(observed, &Time(Timestamp::UNIX_EPOCH));
    let reported = account.status.take().map(|s| s.conditions);
    let mut status: WhatsAppAccountStatus =
        serde_json::from_value(current.apply_patch()["status"].clone()).unwrap();
    status.conditions.extend(reported.into_iter().flatten());
    account.status = Some(status);
}

/// A condition as a tenant reports it.
pub(super) fn reported(type_: &str, status: &str, reason: &str) -> Condition {
    Condition {
        type_: type_.into(),
        status: status.into(),
        reason: reason.into(),
        message: String::new(),
        observed_generation: None,
        last_transition_time: Time(Timestamp::UNIX_EPOCH),
    }
}

/// A tenant's admin endpoint: answers a logout and tells which secret
/// came with it.
pub(super) async fn tenant_admin() -> (String, tokio::sync::mpsc::UnboundedReceiver<Option<String>>)
{
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
