//! The tenant's Secret: its derived secret, which authenticates it to the
//! front door and authenticates the front door and operator to it.

use crds::secret::InstallKey;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;

use super::{SECRET_KEY, Tenant};

/// Builds the Secret; the value is derived, so it is the same at every
/// reconcile and the front door computes it without reading this object.
pub fn build(tenant: &Tenant<'_>, key: &InstallKey) -> Secret {
    let value = key.tenant_secret(&tenant.name);
    Secret {
        metadata: tenant.metadata(),
        type_: Some("Opaque".into()),
        data: Some([(SECRET_KEY.to_owned(), ByteString(value.into_bytes()))].into()),
        ..Secret::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::children::fixture;

    #[test]
    fn holds_the_derived_secret() {
        let account = fixture::account();
        let defaults = fixture::defaults();
        let tenant = Tenant::new(&account, &defaults).unwrap();
        let key = InstallKey::new(&[7; 32]).unwrap();
        let secret = build(&tenant, &key);
        let value = &secret.data.unwrap()[SECRET_KEY];
        assert_eq!(value.0, key.tenant_secret("wa-447700900123").into_bytes());
        assert_eq!(secret.string_data, None);
    }
}
