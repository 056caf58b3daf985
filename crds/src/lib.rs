//! The `WhatsAppAccount` custom resource shared by the operator, the front
//! door and the tenants: its types and schema rules, the names derived from
//! an account, the labels every Pawang object carries, and the WhatsApp
//! version pin the operator hands to tenants.
//!
//! This crate is pure: no client, no runtime, nothing that talks to
//! Telegram or WhatsApp. The one exception, behind the `runtime` feature,
//! is [`shutdown`]: the signal handling both binaries share.

pub mod account;
pub mod labels;
pub mod naming;
pub mod secret;
#[cfg(feature = "runtime")]
pub mod shutdown;
pub mod whatsapp_version;

pub use account::{
    Language, Owner, Phase, Storage, WhatsAppAccount, WhatsAppAccountSpec, WhatsAppAccountStatus,
    condition,
};
pub use naming::PhoneNumber;
pub use whatsapp_version::WhatsAppVersion;

use kube::CustomResourceExt;

/// File name of the generated CRD under `deploy/crds/`.
pub const CRD_FILE: &str = "whatsappaccounts.pawang.dev.yaml";

/// The CRD as YAML, exactly as committed under `deploy/crds/`.
pub fn crd_yaml() -> Result<String, serde_yaml::Error> {
    let body = serde_yaml::to_string(&WhatsAppAccount::crd())?;
    Ok(format!(
        "# Generated from crds/src by `make crds`; do not edit by hand.\n{body}"
    ))
}
