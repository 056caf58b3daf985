//! Where an install's accounts live, as every room that writes them sees
//! it: the cluster (a watched namespace) or the standalone install's
//! local database. The front door creates and changes accounts through
//! it, the standalone supervisor and the import keep them in it.

use std::sync::Arc;

use crds::WhatsAppAccount;

/// Why a write to the registry failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The number is linked already (to anyone).
    #[error("the number is linked already")]
    Taken,
    /// The API server refused or could not be reached.
    #[error("Kubernetes request failed")]
    Kube(#[source] kube::Error),
    /// The local registry failed.
    #[error("the account registry failed")]
    Local(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Where the accounts live.
#[async_trait::async_trait]
pub trait Registry: Send + Sync {
    /// Waits until the first full listing is in.
    async fn ready(&self) -> bool;
    /// Every account, those being deleted included.
    fn state(&self) -> Vec<Arc<WhatsAppAccount>>;
    /// One account by name, also while being deleted.
    fn find(&self, name: &str) -> Option<Arc<WhatsAppAccount>>;
    /// Adds an account; [`Error::Taken`] when the name exists.
    async fn create(&self, account: &WhatsAppAccount) -> Result<()>;
    /// Merges a JSON patch (metadata, spec) into an account.
    async fn merge(&self, name: &str, patch: serde_json::Value) -> Result<()>;
    /// Removes an account (its tenant is logged out and cleaned up).
    async fn delete(&self, name: &str) -> Result<()>;
}

/// Result of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;
