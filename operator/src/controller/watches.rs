//! What the controller watches: the accounts, eight child kinds and the
//! tenants' pods, each feeding a cache and triggering reconciles, and how
//! it tells that every watch has listed its objects.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crds::{WhatsAppAccount, labels};
use futures::{Stream, StreamExt};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, Pod, PodSpec, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::api::Api;
use kube::runtime::controller::Controller;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource, ResourceExt};
use tokio::sync::watch;

use super::context::{Child, Children};

/// The watches of one namespace, wired into a controller.
pub(super) struct Watches {
    /// Reconciles an account when it or anything it owns changes.
    pub(super) controller: Controller<WhatsAppAccount>,
    /// The accounts' cache.
    pub(super) accounts: Store<WhatsAppAccount>,
    /// The children's caches.
    pub(super) children: Children,
    /// True once every watch has listed its objects.
    pub(super) synced: watch::Receiver<bool>,
}

/// Starts watching `namespace`: the accounts, the children this operator
/// manages, and the tenants' pods.
pub(super) fn watch(client: &Client, namespace: &str) -> Watches {
    // The accounts, eight child kinds and the tenants' pods.
    let (tracker, synced) = SyncTracker::new(10);
    let (accounts, writer) = reflector::store();
    let account_events = reflector::reflector(
        writer,
        watcher(
            Api::<WhatsAppAccount>::namespaced(client.clone(), namespace),
            watcher::Config::default().any_semantic(),
        )
        .default_backoff()
        .modify(slim),
    );
    let account_stream = tracker.track(account_events).applied_objects();
    let t = &tracker;
    let (stateful_sets, sts_stream) = watch_children::<StatefulSet>(client, namespace, t);
    let (claims, pvc_stream) = watch_children::<PersistentVolumeClaim>(client, namespace, t);
    let (services, svc_stream) = watch_children::<Service>(client, namespace, t);
    let (secrets, secret_stream) = watch_children::<Secret>(client, namespace, t);
    let (service_accounts, sa_stream) = watch_children::<ServiceAccount>(client, namespace, t);
    let (roles, role_stream) = watch_children::<Role>(client, namespace, t);
    let (role_bindings, rb_stream) = watch_children::<RoleBinding>(client, namespace, t);
    let (network_policies, np_stream) = watch_children::<NetworkPolicy>(client, namespace, t);
    let tenant_pods = format!(
        "{},{}={}",
        managed(),
        labels::COMPONENT,
        labels::COMPONENT_TENANT
    );
    let (pods, pod_stream) = watch_labelled::<Pod>(client, namespace, t, tenant_pods, slim_pod);

    let controller = Controller::for_stream(account_stream, accounts.clone())
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
    Watches {
        controller,
        accounts,
        children: Children {
            stateful_sets,
            claims,
            services,
            secrets,
            service_accounts,
            roles,
            role_bindings,
            network_policies,
            pods,
        },
        synced,
    }
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
    type Item = Duration;

    fn next(&mut self) -> Option<Self::Item> {
        Some(Duration::ZERO)
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

#[cfg(test)]
mod tests {
    use futures::stream;
    use k8s_openapi::api::core::v1::ConfigMap;

    use super::*;

    /// The events of a watch that lists `objects` and is then restarted
    /// (a second initial list), ending with an error.
    fn listing(objects: usize) -> Vec<Result<watcher::Event<ConfigMap>, watcher::Error>> {
        let mut events = vec![Ok(watcher::Event::Init)];
        events.extend((0..objects).map(|_| Ok(watcher::Event::InitApply(ConfigMap::default()))));
        events.push(Ok(watcher::Event::InitDone));
        events.push(Ok(watcher::Event::Init));
        events.push(Ok(watcher::Event::InitDone));
        events.push(Err(watcher::Error::NoResourceVersion));
        events
    }

    #[tokio::test]
    async fn synced_once_every_watch_has_listed_and_never_counted_twice() {
        let (tracker, synced) = SyncTracker::new(2);
        // The first watch lists and lists again: it still counts once.
        let first: Vec<_> = tracker.track(stream::iter(listing(3))).collect().await;
        assert_eq!(first.len(), 8, "events pass through untouched");
        assert!(!*synced.borrow(), "one watch of two has listed");
        let _: Vec<_> = tracker.track(stream::iter(listing(0))).collect().await;
        assert!(*synced.borrow());
    }

    #[test]
    fn no_watch_is_synced_at_once() {
        let (_, synced) = SyncTracker::new(0);
        assert!(*synced.borrow());
    }

    #[test]
    fn a_pod_leads_to_the_account_it_runs() {
        let mut pod = Pod::default();
        pod.metadata.namespace = Some("pawang".into());
        assert_eq!(account_of(&pod), None, "an unlabelled pod");
        pod.metadata.labels = Some([(labels::INSTANCE.to_owned(), "wa-1".to_owned())].into());
        assert_eq!(
            account_of(&pod),
            Some(ObjectRef::new("wa-1").within("pawang"))
        );
    }
}
