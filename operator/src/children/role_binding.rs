//! Binds the tenant's Role to its ServiceAccount.

use k8s_openapi::api::rbac::v1::{RoleBinding, RoleRef, Subject};

use super::Tenant;

/// Builds the RoleBinding.
pub fn build(tenant: &Tenant<'_>) -> RoleBinding {
    RoleBinding {
        metadata: tenant.metadata(),
        role_ref: RoleRef {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: "Role".into(),
            name: tenant.name.clone(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".into(),
            name: tenant.name.clone(),
            namespace: Some(tenant.namespace.clone()),
            ..Subject::default()
        }]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::children::fixture;

    #[test]
    fn binds_the_tenant_role_to_the_tenant_only() {
        let account = fixture::account();
        let defaults = fixture::defaults();
        let binding = build(&Tenant::new(&account, &defaults).unwrap());
        assert_eq!(binding.role_ref.kind, "Role");
        assert_eq!(binding.role_ref.name, "wa-447700900123");
        let subjects = binding.subjects.unwrap();
        assert_eq!(subjects.len(), 1);
        assert_eq!(subjects[0].kind, "ServiceAccount");
        assert_eq!(subjects[0].namespace.as_deref(), Some("pawang"));
    }
}
