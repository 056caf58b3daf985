//! The tenant's own identity toward the API server.

use k8s_openapi::api::core::v1::ServiceAccount;

use super::Tenant;

/// Builds the ServiceAccount.
pub fn build(tenant: &Tenant<'_>) -> ServiceAccount {
    ServiceAccount {
        metadata: tenant.metadata(),
        ..ServiceAccount::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::children::fixture;

    #[test]
    fn named_after_the_account() {
        let account = fixture::account();
        let defaults = fixture::defaults();
        let sa = build(&Tenant::new(&account, &defaults).unwrap());
        assert_eq!(sa.metadata.name.as_deref(), Some("wa-447700900123"));
    }
}
