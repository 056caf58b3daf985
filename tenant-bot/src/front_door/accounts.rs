//! The install's accounts as the front door sees them: a cache of every
//! `WhatsAppAccount`, and the few writes the front door makes (create,
//! activate, suspend, delete). Where they live is a [`Registry`]: the
//! cluster (a watched namespace), or a local database in standalone mode;
//! the front door's logic is the same for both.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use crds::{Language, Phase, PhoneNumber, WhatsAppAccount, labels};
use futures::{Stream, StreamExt};
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, ResourceExt};
use serde_json::json;

pub use crate::protocol::registry::{Error, Registry, Result};

/// The accounts of one namespace of the cluster, watched.
struct Cluster {
    api: Api<WhatsAppAccount>,
    store: Store<WhatsAppAccount>,
}

#[async_trait::async_trait]
impl Registry for Cluster {
    async fn ready(&self) -> bool {
        self.store.wait_until_ready().await.is_ok()
    }

    fn state(&self) -> Vec<Arc<WhatsAppAccount>> {
        self.store.state()
    }

    fn find(&self, name: &str) -> Option<Arc<WhatsAppAccount>> {
        let namespace = self.api.namespace().unwrap_or_default();
        self.store.get(&ObjectRef::new(name).within(namespace))
    }

    async fn create(&self, account: &WhatsAppAccount) -> Result<()> {
        match self.api.create(&PostParams::default(), account).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 409 => Err(Error::Taken),
            Err(error) => Err(Error::Kube(error)),
        }
    }

    async fn merge(&self, name: &str, patch: serde_json::Value) -> Result<()> {
        let params = PatchParams::default();
        self.api
            .patch(name, &params, &Patch::Merge(patch))
            .await
            .map(|_| ())
            .map_err(Error::Kube)
    }

    async fn delete(&self, name: &str) -> Result<()> {
        match self.api.delete(name, &DeleteParams::default()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
            Err(error) => Err(Error::Kube(error)),
        }
    }
}

/// The accounts of one install.
#[derive(Clone)]
pub struct Accounts {
    registry: Arc<dyn Registry>,
    /// Activations this process made that the cache may not show yet, so
    /// the next update already goes to the new choice.
    recent: Arc<Mutex<HashMap<String, u128>>>,
    /// Whether new accounts keep their volume when deleted.
    retain_volumes: bool,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts").finish_non_exhaustive()
    }
}

impl Accounts {
    /// Watches the accounts of `namespace`. The returned stream must be
    /// polled for the cache to fill; it yields every changed account.
    pub fn watch(
        client: Client,
        namespace: &str,
    ) -> (
        Self,
        impl Stream<Item = Arc<WhatsAppAccount>> + Send + 'static,
    ) {
        let api = Api::namespaced(client, namespace);
        let (store, writer) = reflector::store();
        let changes = watcher(api.clone(), watcher::Config::default())
            .default_backoff()
            .reflect(writer)
            .applied_objects()
            .filter_map(|object| async move {
                match object {
                    Ok(account) => Some(Arc::new(account)),
                    Err(error) => {
                        tracing::warn!(error = %crds::naming::why(&error), "account watch failed; retrying");
                        None
                    }
                }
            });
        (Self::new(Arc::new(Cluster { api, store })), changes)
    }

    /// The accounts `registry` holds.
    pub fn new(registry: Arc<dyn Registry>) -> Self {
        Self {
            registry,
            retain_volumes: false,
            recent: Arc::default(),
        }
    }

    /// Waits until the cache holds the first full listing.
    pub async fn ready(&self) -> bool {
        self.registry.ready().await
    }

    /// Every account that is not being deleted, by name.
    pub fn all(&self) -> Vec<Arc<WhatsAppAccount>> {
        self.matching(|_| true)
    }

    /// `owner`'s accounts, by name. Every update asks, so only the owner's
    /// few are sorted, never the whole install.
    pub fn of(&self, owner: i64) -> Vec<Arc<WhatsAppAccount>> {
        self.matching(|a| a.owner_id() == owner)
    }

    fn matching(&self, keep: impl Fn(&WhatsAppAccount) -> bool) -> Vec<Arc<WhatsAppAccount>> {
        let mut found: Vec<_> = self
            .registry
            .state()
            .into_iter()
            .filter(|a| a.metadata.deletion_timestamp.is_none() && keep(a))
            .collect();
        found.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        found
    }

    /// One account by name.
    pub fn get(&self, name: &str) -> Option<Arc<WhatsAppAccount>> {
        self.registry
            .find(name)
            .filter(|a| a.metadata.deletion_timestamp.is_none())
    }

    /// One account by name, also while it is being deleted: its tenant
    /// still runs then (it logs out and says goodbye) and may speak for it.
    pub fn known(&self, name: &str) -> Option<Arc<WhatsAppAccount>> {
        self.registry.find(name)
    }

    /// New accounts keep their volume (and so their WhatsApp session and
    /// bot data) when they are deleted.
    pub fn retaining_volumes(mut self, retain: bool) -> Self {
        self.retain_volumes = retain;
        self
    }

    /// The account `owner`'s updates go to.
    pub fn active(&self, owner: i64) -> Option<Arc<WhatsAppAccount>> {
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        // This process's own activations count until the watch shows them.
        choose_active_by(self.of(owner), |a| {
            let mine = a
                .metadata
                .name
                .as_ref()
                .and_then(|n| recent.get(n))
                .copied();
            active_at(a).max(mine)
        })
    }

    /// Creates `owner`'s account for `phone`. It becomes active when it
    /// first connects, or at once when it is the owner's only account.
    pub async fn create(&self, phone: &PhoneNumber, owner: i64, language: Language) -> Result<()> {
        let mut account = WhatsAppAccount::for_phone(phone, owner, language);
        account.spec.storage.retain_on_delete = self.retain_volumes;
        self.registry.create(&account).await
    }

    /// Makes `name` its owner's active account.
    pub async fn activate(&self, name: &str) -> Result<()> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let patch = json!({"metadata": {"annotations": {labels::ACTIVE_AT: now.to_string()}}});
        self.patch(name, patch).await?;
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        // Entries only matter until the watch catches up; keep a few.
        if recent.len() > 10_000 {
            recent.clear();
        }
        recent.insert(name.to_owned(), now);
        Ok(())
    }

    /// Sets or clears `spec.suspend`.
    pub async fn suspend(&self, name: &str, suspend: bool) -> Result<()> {
        self.patch(name, json!({"spec": {"suspend": suspend}}))
            .await
    }

    async fn patch(&self, name: &str, patch: serde_json::Value) -> Result<()> {
        self.registry.merge(name, patch).await
    }

    /// Deletes `name`; its tenant is logged out and cleaned up.
    pub async fn delete(&self, name: &str) -> Result<()> {
        self.registry.delete(name).await
    }
}

/// The phase an account shows, `Provisioning` until the operator says.
pub fn phase(account: &WhatsAppAccount) -> Phase {
    account
        .status
        .as_ref()
        .and_then(|s| s.phase)
        .unwrap_or(Phase::Provisioning)
}

/// When the owner last made `account` active, if ever.
pub fn active_at(account: &WhatsAppAccount) -> Option<u128> {
    account.annotations().get(labels::ACTIVE_AT)?.parse().ok()
}

/// The active account among one owner's accounts: the one activated last;
/// when none ever was, the oldest (the first one linked).
pub fn choose_active(accounts: Vec<Arc<WhatsAppAccount>>) -> Option<Arc<WhatsAppAccount>> {
    choose_active_by(accounts, active_at)
}

/// [`choose_active`] with the activation time read by `activated_at`.
fn choose_active_by(
    accounts: Vec<Arc<WhatsAppAccount>>,
    activated_at: impl Fn(&WhatsAppAccount) -> Option<u128>,
) -> Option<Arc<WhatsAppAccount>> {
    let activated = accounts
        .iter()
        .filter_map(|a| activated_at(a).map(|at| (at, a)))
        .max_by_key(|(at, _)| *at)
        .map(|(_, a)| a.clone());
    activated.or_else(|| {
        accounts
            .into_iter()
            .min_by_key(|a| (a.metadata.creation_timestamp.clone(), a.name_any()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(phone: &str, active_at: Option<u128>, created: i64) -> Arc<WhatsAppAccount> {
        let phone: PhoneNumber = phone.parse().unwrap();
        let mut a = WhatsAppAccount::for_phone(&phone, 7, Language::Id);
        if let Some(at) = active_at {
            a.metadata.annotations = Some([(labels::ACTIVE_AT.to_owned(), at.to_string())].into());
        }
        a.metadata.creation_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            k8s_openapi::jiff::Timestamp::from_second(created).unwrap(),
        ));
        Arc::new(a)
    }

    #[test]
    fn the_latest_activation_wins() {
        let a = account("447700900121", Some(10), 1);
        let b = account("447700900122", Some(30), 2);
        let c = account("447700900123", None, 3);
        let active = choose_active(vec![a, b.clone(), c]).unwrap();
        assert_eq!(active.name_any(), b.name_any());
    }

    #[test]
    fn without_activations_the_first_linked_is_active() {
        let a = account("447700900121", None, 5);
        let b = account("447700900122", None, 2);
        let active = choose_active(vec![a, b.clone()]).unwrap();
        assert_eq!(active.name_any(), b.name_any());
        assert!(choose_active(vec![]).is_none());
    }

    #[test]
    fn a_garbled_annotation_is_ignored() {
        let mut a = (*account("447700900121", None, 1)).clone();
        a.metadata.annotations = Some([(labels::ACTIVE_AT.to_owned(), "soon".to_owned())].into());
        assert_eq!(active_at(&a), None);
    }
}
