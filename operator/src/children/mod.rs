//! The objects one account owns, built by pure functions (one file per
//! kind) from the account and the operator's defaults.

pub mod network_policy;
pub mod persistent_volume_claim;
pub mod role;
pub mod role_binding;
pub mod secret;
pub mod service;
pub mod service_account;
pub mod stateful_set;

use std::collections::BTreeMap;

use crds::{PhoneNumber, WhatsAppAccount, labels};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::{Resource, ResourceExt};

use crate::settings::TenantDefaults;

/// The tenant's HTTP port: forwarded Telegram updates and probes.
pub const HTTP_PORT: i32 = 8080;
/// The tenant's admin port, for the operator alone (named `admin`).
pub const ADMIN_PORT: i32 = 8082;
/// The tenant's metrics port, for Prometheus (named `metrics`).
pub const METRICS_PORT: i32 = 9090;
/// Where the tenant's volume is mounted.
pub const DATA_DIR: &str = "/data";
/// Where the tenant's Secret is mounted.
pub const SECRET_DIR: &str = "/var/run/pawang";
/// Where an imported account's seed is mounted, while it exists.
pub const SEED_DIR: &str = "/var/run/pawang-seed";
/// Key of the tenant secret in its Secret.
pub const SECRET_KEY: &str = "tenant-secret";
/// The unprivileged user and group tenants run as.
pub const TENANT_UID: i64 = 65532;

/// Why an account cannot be turned into a tenant.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The account has no namespace or uid: it did not come from the API
    /// server.
    #[error("account {0} has no namespace or uid")]
    NotStored(String),
    /// The phone number breaks the schema's rules (the API server normally
    /// prevents this).
    #[error("account {name} has an invalid phone number")]
    InvalidPhone {
        name: String,
        #[source]
        source: crds::naming::Error,
    },
}

/// One account, as its children's builders need it.
#[derive(Debug)]
pub struct Tenant<'a> {
    /// Account name, which every child shares.
    pub name: String,
    /// Namespace of the account and its children.
    pub namespace: String,
    /// Owner's Telegram user id.
    pub owner: i64,
    /// The account's number.
    pub phone: PhoneNumber,
    /// The account itself.
    pub account: &'a WhatsAppAccount,
    /// Operator defaults the account does not override.
    pub defaults: &'a TenantDefaults,
    owner_ref: OwnerReference,
}

impl<'a> Tenant<'a> {
    /// Checks that the account can be served and gathers what the builders
    /// need.
    pub fn new(account: &'a WhatsAppAccount, defaults: &'a TenantDefaults) -> Result<Self, Error> {
        let name = account.name_any();
        let (Some(namespace), Some(owner_ref)) =
            (account.namespace(), account.controller_owner_ref(&()))
        else {
            return Err(Error::NotStored(name));
        };
        let phone = account.phone().map_err(|source| Error::InvalidPhone {
            name: name.clone(),
            source,
        })?;
        Ok(Self {
            name,
            namespace,
            owner: account.owner_id(),
            phone,
            account,
            defaults,
            owner_ref,
        })
    }

    /// The tenant's full label set.
    pub fn labels(&self) -> BTreeMap<String, String> {
        labels::tenant(&self.name, self.owner)
    }

    /// The labels that select the tenant's pod.
    pub fn selector(&self) -> BTreeMap<String, String> {
        labels::tenant_selector(&self.name)
    }

    /// Metadata shared by every child: the account's name and namespace,
    /// the tenant labels and the account as controlling owner.
    pub fn metadata(&self) -> ObjectMeta {
        ObjectMeta {
            name: Some(self.name.clone()),
            namespace: Some(self.namespace.clone()),
            labels: Some(self.labels()),
            owner_references: Some(vec![self.owner_ref.clone()]),
            ..ObjectMeta::default()
        }
    }
}

#[cfg(test)]
pub(crate) mod fixture {
    use clap::Parser;
    use crds::{Language, WhatsAppAccount};

    use crate::settings::TenantDefaults;

    #[derive(Parser)]
    struct Defaults {
        #[command(flatten)]
        tenant: TenantDefaults,
    }

    /// Defaults as the operator gets them with no flags.
    pub fn defaults() -> TenantDefaults {
        Defaults::parse_from(["operator"]).tenant
    }

    /// An account as the API server returns it.
    pub fn account() -> WhatsAppAccount {
        let mut account =
            WhatsAppAccount::for_phone(&"447700900123".parse().unwrap(), 42, Language::Id);
        account.metadata.namespace = Some("pawang".into());
        account.metadata.uid = Some("0b6f7c57-0000-4000-8000-000000000001".into());
        account
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_names_labels_and_owns() {
        let account = fixture::account();
        let defaults = fixture::defaults();
        let tenant = Tenant::new(&account, &defaults).unwrap();
        let meta = tenant.metadata();
        assert_eq!(meta.name.as_deref(), Some("wa-447700900123"));
        assert_eq!(meta.namespace.as_deref(), Some("pawang"));
        assert_eq!(meta.labels.unwrap()[labels::OWNER], "42");
        let owner = &meta.owner_references.unwrap()[0];
        assert_eq!(owner.kind, "WhatsAppAccount");
        assert_eq!(owner.controller, Some(true));
        assert_eq!(owner.uid, "0b6f7c57-0000-4000-8000-000000000001");
    }

    #[test]
    fn refuses_accounts_not_from_the_api_server() {
        let mut account = fixture::account();
        account.metadata.uid = None;
        let defaults = fixture::defaults();
        assert!(matches!(
            Tenant::new(&account, &defaults),
            Err(Error::NotStored(_))
        ));
    }

    #[test]
    fn refuses_invalid_phone_numbers() {
        let mut account = fixture::account();
        account.spec.phone_number = "0812".into();
        let defaults = fixture::defaults();
        assert!(matches!(
            Tenant::new(&account, &defaults),
            Err(Error::InvalidPhone { .. })
        ));
    }
}
