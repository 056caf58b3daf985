//! Why a reconcile failed, and the short reason the metrics count it by.

use kube::runtime::finalizer;

use crate::children;

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
    /// Adding or removing the finalizer failed, or the apply or cleanup
    /// it ran.
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
