//! What every reconcile shares: the client, the settings, the watch caches
//! of the accounts and of every child kind, and the per-account failure
//! counts the retry delay grows with.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Mutex;

use crds::WhatsAppAccount;
use crds::secret::InstallKey;
use futures::channel::mpsc::UnboundedSender;
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod, Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::runtime::events::Recorder;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Client, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::watch;

use crate::children::Tenant;
use crate::metrics::Metrics;
use crate::settings::Settings;

/// What every reconcile shares.
pub struct Context {
    pub(super) client: Client,
    pub(super) settings: Settings,
    pub(super) install_key: InstallKey,
    pub(super) accounts: Store<WhatsAppAccount>,
    pub(super) children: Children,
    /// True once every watch has listed its objects.
    pub(super) synced: watch::Receiver<bool>,
    pub(super) metrics: Metrics,
    pub(super) recorder: Recorder,
    /// Calls tenants (their logout before deletion).
    pub(super) http: reqwest::Client,
    /// Asks for every account to be reconciled, when a deletion frees a
    /// place under the account limit.
    pub(super) reconcile_all: UnboundedSender<()>,
    /// Failed reconciles in a row, per account.
    pub(super) failures: Mutex<HashMap<ObjectRef<WhatsAppAccount>, u32>>,
}

impl Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("namespace", &self.settings.namespace)
            .finish_non_exhaustive()
    }
}

impl Context {
    /// Comparing with half-filled caches would rewrite every child, so no
    /// reconcile acts before every watch has listed its objects.
    pub(super) async fn wait_synced(&self) {
        let mut synced = self.synced.clone();
        let _ = synced.wait_for(|done| *done).await;
    }
}

/// Watch caches of every child kind, filled by the controller's own
/// watches; a child is written only when its cache shows it differs.
#[derive(Clone)]
pub(super) struct Children {
    pub(super) stateful_sets: Store<StatefulSet>,
    pub(super) claims: Store<PersistentVolumeClaim>,
    pub(super) services: Store<Service>,
    pub(super) secrets: Store<Secret>,
    pub(super) service_accounts: Store<ServiceAccount>,
    pub(super) roles: Store<Role>,
    pub(super) role_bindings: Store<RoleBinding>,
    pub(super) network_policies: Store<NetworkPolicy>,
    /// Not a child: the tenants' pods, made by their StatefulSets, read
    /// for what keeps a tenant from running.
    pub(super) pods: Store<Pod>,
}

/// A child kind the controller owns.
pub(super) trait Child:
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

/// The cache key of a tenant's child of kind `K`: every child has the
/// account's name.
pub(super) fn child_ref<K: Child>(tenant: &Tenant<'_>) -> ObjectRef<K> {
    ObjectRef::new(&tenant.name).within(&tenant.namespace)
}
