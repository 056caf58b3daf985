//! The `WhatsAppAccount` controller: reconcile hands each account to
//! `finalizer`, which either applies its children and status or cleans up
//! before deletion.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crds::naming::Redacted;
use crds::secret::InstallKey;
use crds::{Phase, WhatsAppAccount, labels};
use futures::channel::mpsc::UnboundedSender;
use futures::{Stream, StreamExt};
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{
    ObjectReference, PersistentVolumeClaim, Pod, PodSpec, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::finalizer::{self, finalizer};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::watch;
use tracing::{Instrument, debug, info, info_span, warn};

use crate::children::{self, Tenant};
use crate::metrics::Metrics;
use crate::settings::Settings;
use crate::status::{self, Observed};
use crate::{diff, logout, quota, trouble};

/// Finalizer that holds an account until its tenant has logged out.
pub const FINALIZER: &str = "pawang.dev/cleanup";

/// How often a converged account is looked at again anyway.
const RESYNC: Duration = Duration::from_secs(300);

/// Why a reconcile failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The account cannot be turned into a tenant.
    #[error(transparent)]
    Tenant(#[from] children::Error),
    /// An API request failed.
    #[error("API request failed")]
    Kube(#[from] kube::Error),
    /// An object could not be serialised for comparison.
    #[error("cannot serialise an object")]
    Serialize(#[from] serde_json::Error),
    /// Adding or removing the finalizer failed.
    #[error("finalizer")]
    Finalizer(#[source] Box<finalizer::Error<Error>>),
}

impl Error {
    /// A short, bounded label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Tenant(_) => "InvalidAccount",
            Self::Kube(_) => "Kube",
            Self::Serialize(_) => "Serialize",
            Self::Finalizer(e) => match e.as_ref() {
                finalizer::Error::ApplyFailed(e) | finalizer::Error::CleanupFailed(e) => e.reason(),
                _ => "Finalizer",
            },
        }
    }
}

/// Result of reconciling.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Watch caches of every child kind, filled by the controller's own
/// watches; a child is written only when its cache shows it differs.
#[derive(Clone)]
struct Children {
    stateful_sets: Store<StatefulSet>,
    claims: Store<PersistentVolumeClaim>,
    services: Store<Service>,
    secrets: Store<Secret>,
    service_accounts: Store<ServiceAccount>,
    roles: Store<Role>,
    role_bindings: Store<RoleBinding>,
    network_policies: Store<NetworkPolicy>,
    /// Not a child: the tenants' pods, made by their StatefulSets, read
    /// for what keeps a tenant from running.
    pods: Store<Pod>,
}

/// What every reconcile shares.
pub struct Context {
    client: Client,
    settings: Settings,
    install_key: InstallKey,
    accounts: Store<WhatsAppAccount>,
    children: Children,
    synced: watch::Receiver<bool>,
    metrics: Metrics,
    recorder: Recorder,
    http: reqwest::Client,
    /// Asks for every account to be reconciled, when a deletion frees a
    /// place under the account limit.
    reconcile_all: UnboundedSender<()>,
    failures: Mutex<HashMap<ObjectRef<WhatsAppAccount>, u32>>,
}

impl Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("namespace", &self.settings.namespace)
            .finish_non_exhaustive()
    }
}

/// A child kind the controller owns.
trait Child:
    Resource<DynamicType = (), Scope = NamespaceResourceScope>
    + Clone
    + Debug
    + Serialize
    + DeserializeOwned
    + Send
    + Sync
    + 'static
{
}

impl<K> Child for K where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
        + Clone
        + Debug
        + Serialize
        + DeserializeOwned
        + Send
        + Sync
        + 'static
{
}

/// Counts the watches that have not listed their objects yet and says
/// when none is left.
///
/// Stores have their own `wait_until_ready`, but it wakes only its latest
/// waiter, and the controller already waits on its own store; so the
/// initial lists are observed on the event streams instead.
#[derive(Debug, Clone)]
struct SyncTracker {
    pending: Arc<AtomicUsize>,
    done: watch::Sender<bool>,
}

impl SyncTracker {
    fn new(watches: usize) -> (Self, watch::Receiver<bool>) {
        let (done, synced) = watch::channel(watches == 0);
        let tracker = Self {
            pending: Arc::new(AtomicUsize::new(watches)),
            done,
        };
        (tracker, synced)
    }

    /// Wraps one watch's events; its first `InitDone` counts it as listed.
    fn track<K, S>(&self, events: S) -> impl Stream<Item = S::Item> + Send + 'static
    where
        S: Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send + 'static,
    {
        let tracker = self.clone();
        let listed = AtomicBool::new(false);
        events.inspect(move |event| {
            if matches!(event, Ok(watcher::Event::InitDone))
                && !listed.swap(true, Ordering::AcqRel)
                && tracker.pending.fetch_sub(1, Ordering::AcqRel) == 1
            {
                let _ = tracker.done.send(true);
            }
        })
    }
}

/// The controller's backoff over all its watches together: none, since
/// each watch backs off on its own errors. Its default would pause every
/// watch while any one is failing, and grow with each watch's failure in
/// turn: after an API server restart, when every watch fails once, the
/// caches then stayed stale for minutes.
#[derive(Debug, Clone, Copy)]
struct EachWatchBacksOff;

impl Iterator for EachWatchBacksOff {
    type Item = std::time::Duration;

    fn next(&mut self) -> Option<Self::Item> {
        Some(std::time::Duration::ZERO)
    }
}

impl kube::runtime::utils::Backoff for EachWatchBacksOff {
    fn reset(&mut self) {}
}

/// Drops what the caches never need: managed fields are most of an
/// object's size and are not compared.
fn slim<K: Resource>(object: &mut K) {
    object.managed_fields_mut().clear();
}

/// A watch of one child kind (only objects this operator manages) feeding
/// a cache, and the stream of changes that triggers reconciles.
fn watch_children<K: Child>(
    client: &Client,
    namespace: &str,
    tracker: &SyncTracker,
) -> (
    Store<K>,
    impl Stream<Item = Result<K, watcher::Error>> + Send + 'static,
) {
    watch_labelled(client, namespace, tracker, managed(), slim)
}

/// The selector of everything this operator manages.
fn managed() -> String {
    format!("{}={}", labels::MANAGED_BY, labels::OPERATOR)
}

/// A watch of the objects of kind `K` with `labels`, trimmed by `trim`
/// on their way into the cache.
fn watch_labelled<K: Child>(
    client: &Client,
    namespace: &str,
    tracker: &SyncTracker,
    labels: String,
    trim: fn(&mut K),
) -> (
    Store<K>,
    impl Stream<Item = Result<K, watcher::Error>> + Send + 'static,
) {
    let api = Api::<K>::namespaced(client.clone(), namespace);
    let config = watcher::Config::default().labels(&labels);
    let (reader, writer) = reflector::store();
    // Tracked after the reflector, so "listed" means "in the cache".
    let events = reflector::reflector(writer, watcher(api, config).default_backoff().modify(trim));
    let stream = tracker.track(events).touched_objects();
    (reader, stream)
}

/// A tenant's pod as the cache keeps it: its labels and status are read,
/// its spec never.
fn slim_pod(pod: &mut Pod) {
    slim(pod);
    pod.metadata.annotations = None;
    pod.spec = Some(PodSpec::default());
}

/// The account whose tenant a pod runs.
fn account_of(pod: &Pod) -> Option<ObjectRef<WhatsAppAccount>> {
    let name = pod.labels().get(labels::INSTANCE)?;
    Some(ObjectRef::new(name).within(&pod.namespace()?))
}

/// Runs the controller until `shutdown` resolves. `synced` is called once
/// every watch has listed its objects.
pub async fn run(
    client: Client,
    settings: Settings,
    install_key: InstallKey,
    metrics: Metrics,
    identity: String,
    on_synced: impl FnOnce() + Send + 'static,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let namespace = settings.namespace.clone();
    // The accounts, eight child kinds and the tenants' pods.
    let (tracker, synced) = SyncTracker::new(10);
    let (accounts, writer) = reflector::store();
    let account_events = reflector::reflector(
        writer,
        watcher(
            Api::<WhatsAppAccount>::namespaced(client.clone(), &namespace),
            watcher::Config::default().any_semantic(),
        )
        .default_backoff()
        .modify(slim),
    );
    let account_stream = tracker.track(account_events).applied_objects();
    metrics.count_phases_of(accounts.clone());
    let t = &tracker;
    let (stateful_sets, sts_stream) = watch_children::<StatefulSet>(&client, &namespace, t);
    let (claims, pvc_stream) = watch_children::<PersistentVolumeClaim>(&client, &namespace, t);
    let (services, svc_stream) = watch_children::<Service>(&client, &namespace, t);
    let (secrets, secret_stream) = watch_children::<Secret>(&client, &namespace, t);
    let (service_accounts, sa_stream) = watch_children::<ServiceAccount>(&client, &namespace, t);
    let (roles, role_stream) = watch_children::<Role>(&client, &namespace, t);
    let (role_bindings, rb_stream) = watch_children::<RoleBinding>(&client, &namespace, t);
    let (network_policies, np_stream) = watch_children::<NetworkPolicy>(&client, &namespace, t);
    let tenant_pods = format!(
        "{},{}={}",
        managed(),
        labels::COMPONENT,
        labels::COMPONENT_TENANT
    );
    let (pods, pod_stream) = watch_labelled::<Pod>(&client, &namespace, t, tenant_pods, slim_pod);
    let children = Children {
        stateful_sets,
        claims,
        services,
        secrets,
        service_accounts,
        roles,
        role_bindings,
        network_policies,
        pods,
    };

    let (reconcile_all, reconcile_all_rx) = futures::channel::mpsc::unbounded();
    let controller = Controller::for_stream(account_stream, accounts.clone())
        .reconcile_all_on(reconcile_all_rx)
        .with_config(kube::runtime::controller::Config::default().concurrency(settings.concurrency))
        .trigger_backoff(EachWatchBacksOff)
        .owns_stream(sts_stream)
        .owns_stream(pvc_stream)
        .owns_stream(svc_stream)
        .owns_stream(secret_stream)
        .owns_stream(sa_stream)
        .owns_stream(role_stream)
        .owns_stream(rb_stream)
        .owns_stream(np_stream)
        .watches_stream(pod_stream, |pod| account_of(&pod));

    let context = Arc::new(Context {
        recorder: Recorder::new(
            client.clone(),
            Reporter {
                controller: labels::OPERATOR.into(),
                instance: Some(identity),
            },
        ),
        client,
        settings,
        install_key,
        accounts,
        children,
        synced: synced.clone(),
        metrics,
        http: reqwest::Client::new(),
        reconcile_all,
        failures: Mutex::default(),
    });

    let mut listed = synced;
    tokio::spawn(
        async move {
            if listed.wait_for(|done| *done).await.is_ok() {
                info!("watches synced");
                on_synced();
            }
        }
        .instrument(info_span!("sync")),
    );

    controller
        .graceful_shutdown_on(shutdown)
        .run(reconcile, error_policy, context)
        .for_each(|_| std::future::ready(()))
        .await;
}

async fn reconcile(account: Arc<WhatsAppAccount>, ctx: Arc<Context>) -> Result<Action> {
    let started = Instant::now();
    let span = info_span!("reconcile", account = %Redacted(account.name_any()));
    let api = Api::<WhatsAppAccount>::namespaced(ctx.client.clone(), &ctx.settings.namespace);
    let result = finalizer(&api, FINALIZER, account.clone(), |event| async {
        match event {
            finalizer::Event::Apply(account) => apply(&account, &ctx).await,
            finalizer::Event::Cleanup(account) => cleanup(&account, &ctx).await,
        }
    })
    .instrument(span)
    .await
    .map_err(|e| Error::Finalizer(Box::new(e)));

    let key = ObjectRef::from_obj(account.as_ref());
    if result.is_ok()
        && let Ok(mut failures) = ctx.failures.lock()
    {
        failures.remove(&key);
    }
    ctx.metrics
        .reconciled(started.elapsed(), result.as_ref().err().map(Error::reason));
    result
}

/// Per-account exponential backoff: 1 s, 2 s, 4 s… up to 5 minutes; one
/// failing account never slows the others.
fn error_policy(account: Arc<WhatsAppAccount>, error: &Error, ctx: Arc<Context>) -> Action {
    let key = ObjectRef::from_obj(account.as_ref());
    let attempt = ctx.failures.lock().map_or(0, |mut failures| {
        let n = failures.entry(key).or_default();
        *n = n.saturating_add(1);
        *n
    });
    let delay = Duration::from_secs(1u64 << attempt.min(9).saturating_sub(1)).min(RESYNC);
    warn!(
        account = %Redacted(account.name_any()),
        error = %Redacted(source_chain(error)),
        retry_in = ?delay,
        "reconcile failed"
    );
    Action::requeue(delay)
}

async fn apply(account: &WhatsAppAccount, ctx: &Context) -> Result<Action> {
    ctx.wait_synced().await;
    let tenant = Tenant::new(account, &ctx.settings.tenant)?;
    let all = ctx.accounts.state();
    let quota_exceeded = quota::exceeded(
        all.iter().map(AsRef::as_ref),
        account,
        ctx.settings.max_accounts,
    );

    if !quota_exceeded {
        let c = &ctx.children;
        // Everything the pod needs, at once; then the pod's StatefulSet, so
        // its first pod does not fail for a missing account or volume.
        futures::try_join!(
            ctx.ensure(
                &c.service_accounts,
                children::service_account::build(&tenant)
            ),
            // The Role before its binding: without the right to bind any
            // Role, the API server checks a binding against the Role's
            // rules, and a Role not there yet fails the binding.
            async {
                ctx.ensure(&c.roles, children::role::build(&tenant)).await?;
                ctx.ensure(&c.role_bindings, children::role_binding::build(&tenant))
                    .await
            },
            ctx.ensure(
                &c.secrets,
                children::secret::build(&tenant, &ctx.install_key)
            ),
            ctx.ensure(
                &c.network_policies,
                children::network_policy::build(&tenant)
            ),
            ctx.ensure(&c.claims, children::persistent_volume_claim::build(&tenant)),
            ctx.ensure(&c.services, children::service::build(&tenant)),
        )?;
        ctx.ensure(&c.stateful_sets, children::stateful_set::build(&tenant))
            .await?;
    }

    let stateful_set = ctx.children.stateful_sets.get(&child_ref(&tenant));
    let pod = ctx
        .children
        .pods
        .get(&ObjectRef::new(&format!("{}-0", tenant.name)).within(&tenant.namespace));
    let observed = Observed {
        account,
        stateful_set: stateful_set.as_deref(),
        pod: pod.as_deref(),
        quota_exceeded,
    };
    let desired = status::desired(observed, &Time(Timestamp::now()));
    if !desired.is_current(account) {
        let api = Api::<WhatsAppAccount>::namespaced(ctx.client.clone(), &tenant.namespace);
        api.patch_status(
            &tenant.name,
            &PatchParams::apply(labels::OPERATOR).force(),
            &Patch::Apply(desired.apply_patch()),
        )
        .await?;
        ctx.metrics.wrote("WhatsAppAccountStatus");
        let before = account.status.as_ref().and_then(|s| s.phase);
        if before != Some(desired.phase) {
            info!(from = ?before, to = ?desired.phase, "phase changed");
            ctx.publish(account, desired.phase, &desired.conditions[0].message)
                .await;
        }
    }
    if is_paired(account) {
        ctx.drop_seed(&tenant).await?;
    }
    if let (Some(sts), Some(pod)) = (stateful_set.as_deref(), pod.as_deref()) {
        ctx.replace_stuck_pod(sts, pod).await?;
    }
    Ok(Action::requeue(RESYNC))
}

/// Whether the tenant reports a linked device.
fn is_paired(account: &WhatsAppAccount) -> bool {
    account
        .status
        .iter()
        .flat_map(|s| &s.conditions)
        .any(|c| c.type_ == crds::condition::PAIRED && c.status == "True")
}

async fn cleanup(account: &WhatsAppAccount, ctx: &Context) -> Result<Action> {
    ctx.wait_synced().await;
    let tenant = match Tenant::new(account, &ctx.settings.tenant) {
        Ok(tenant) => tenant,
        // Never made a tenant, so there is nothing to clean.
        Err(error) => {
            warn!(error = %Redacted(error), "account never had a tenant; letting it go");
            return Ok(Action::await_change());
        }
    };
    let ready = ctx
        .children
        .stateful_sets
        .get(&child_ref(&tenant))
        .and_then(|s| s.status.as_ref().and_then(|s| s.ready_replicas))
        .unwrap_or(0)
        >= 1;
    if ready {
        let url = crds::naming::tenant_url(
            &ctx.settings.tenant_admin_url_template,
            &tenant.name,
            &tenant.namespace,
        );
        let secret = ctx.install_key.tenant_secret(&tenant.name);
        match logout::request(&ctx.http, &url, &secret, ctx.settings.logout_timeout).await {
            Ok(()) => info!("tenant logged out"),
            // Deletion must not hang on a tenant that cannot answer.
            Err(error) => warn!(
                error = %Redacted(source_chain(&error)),
                "tenant did not log out; deleting anyway"
            ),
        }
    } else {
        info!("no ready tenant; skipping logout");
    }

    if account.spec.storage.retain_on_delete
        && ctx.children.claims.get(&child_ref(&tenant)).is_some()
    {
        let claim = children::persistent_volume_claim::released(&tenant);
        Api::<PersistentVolumeClaim>::namespaced(ctx.client.clone(), &tenant.namespace)
            .patch(
                &tenant.name,
                &PatchParams::apply(labels::OPERATOR).force(),
                &Patch::Apply(&claim),
            )
            .await?;
        ctx.metrics.wrote("PersistentVolumeClaim");
        info!("volume released and kept");
    }
    // Accounts waiting for a place get one now.
    let waiting = ctx.accounts.state().iter().any(|a| {
        a.status.iter().flat_map(|s| &s.conditions).any(|c| {
            c.type_ == crds::condition::READY && c.reason == crds::condition::reason::QUOTA_EXCEEDED
        })
    });
    if waiting {
        let _ = ctx.reconcile_all.unbounded_send(());
    }
    // Garbage collection removes every child the account still owns.
    Ok(Action::await_change())
}

/// An error and its causes on one line, for logs.
fn source_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn child_ref<K: Child>(tenant: &Tenant<'_>) -> ObjectRef<K> {
    ObjectRef::new(&tenant.name).within(&tenant.namespace)
}

impl Context {
    /// Comparing with half-filled caches would rewrite every child, so no
    /// reconcile acts before every watch has listed its objects.
    async fn wait_synced(&self) {
        let mut synced = self.synced.clone();
        let _ = synced.wait_for(|done| *done).await;
    }

    /// Applies `desired` with server-side apply unless the cache shows the
    /// live object already has all of it.
    async fn ensure<K: Child>(&self, cache: &Store<K>, desired: K) -> Result<()> {
        let name = desired.name_any();
        let namespace = desired.namespace().unwrap_or_default();
        let key = ObjectRef::<K>::new(&name).within(&namespace);
        if let Some(live) = cache.get(&key) {
            let difference = diff::first_difference(
                &serde_json::to_value(live.as_ref())?,
                &serde_json::to_value(&desired)?,
            );
            let Some(path) = difference else {
                return Ok(());
            };
            debug!(kind = %K::kind(&()), %path, "child differs");
        }
        Api::<K>::namespaced(self.client.clone(), &namespace)
            .patch(
                &name,
                &PatchParams::apply(labels::OPERATOR).force(),
                &Patch::Apply(&desired),
            )
            .await?;
        self.metrics.wrote(&K::kind(&()));
        Ok(())
    }

    /// Deletes the account's seed (an imported account's files, see
    /// `tenant-bot import --kubernetes`) once its tenant has them: session
    /// keys should not outlive their use outside the volume. The pod
    /// mounts the seed as optional, so its spec does not change.
    async fn drop_seed(&self, tenant: &Tenant<'_>) -> Result<()> {
        let name = crds::naming::seed_secret(&tenant.name);
        let key = ObjectRef::<Secret>::new(&name).within(&tenant.namespace);
        if self.children.secrets.get(&key).is_none() {
            return Ok(());
        }
        match Api::<Secret>::namespaced(self.client.clone(), &tenant.namespace)
            .delete(&name, &DeleteParams::default())
            .await
        {
            Ok(_) => {
                self.metrics.wrote("Secret");
                info!("imported files unpacked; seed deleted");
                Ok(())
            }
            Err(kube::Error::Api(response)) if response.code == 404 => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// Deletes a tenant's pod that cannot run (its image missing, say) and
    /// was made from an older template than its StatefulSet's: a
    /// StatefulSet waits for its pod to be ready before it replaces it, so
    /// a fix to the template (a corrected image) would never reach a pod
    /// that is broken. The StatefulSet makes the new pod at once.
    async fn replace_stuck_pod(&self, sts: &StatefulSet, pod: &Pod) -> Result<()> {
        let Some(update) = sts
            .status
            .as_ref()
            .and_then(|s| s.update_revision.as_deref())
        else {
            return Ok(());
        };
        let revision = pod.labels().get("controller-revision-hash");
        let stuck = trouble::of(pod).is_some_and(|t| t.needs_action);
        if !stuck || revision.is_none_or(|r| r == update) {
            return Ok(());
        }
        let name = pod.name_any();
        let namespace = pod.namespace().unwrap_or_default();
        let params = DeleteParams {
            preconditions: Some(kube::api::Preconditions {
                uid: pod.uid(),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        match Api::<Pod>::namespaced(self.client.clone(), &namespace)
            .delete(&name, &params)
            .await
        {
            Ok(_) => {
                self.metrics.wrote("Pod");
                info!("a failing pod replaced by one of the new template");
                Ok(())
            }
            // Gone already, or replaced meanwhile.
            Err(kube::Error::Api(response)) if matches!(response.code, 404 | 409) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// Records a phase change as an Event on the account.
    async fn publish(&self, account: &WhatsAppAccount, phase: Phase, note: &str) {
        let type_ = match phase {
            Phase::Failed | Phase::Banned | Phase::LoggedOut => EventType::Warning,
            _ => EventType::Normal,
        };
        let event = Event {
            type_,
            reason: format!("{phase:?}"),
            note: Some(note.to_owned()),
            action: "Reconcile".into(),
            secondary: None,
        };
        let reference: ObjectReference = account.object_ref(&());
        if let Err(error) = self.recorder.publish(&event, &reference).await {
            warn!(error = %Redacted(error), "cannot publish event");
        }
    }
}
