//! What a tenant may do in the API: read its own account and write its own
//! status. Nothing else, and never another account.

use k8s_openapi::api::rbac::v1::{PolicyRule, Role};

use super::Tenant;

/// Builds the Role, every rule limited to the account by `resourceNames`.
pub fn build(tenant: &Tenant<'_>) -> Role {
    let rule = |resource: &str, verbs: &[&str]| PolicyRule {
        api_groups: Some(vec!["pawang.dev".into()]),
        resources: Some(vec![resource.into()]),
        resource_names: Some(vec![tenant.name.clone()]),
        verbs: verbs.iter().map(|v| (*v).to_owned()).collect(),
        ..PolicyRule::default()
    };
    Role {
        metadata: tenant.metadata(),
        rules: Some(vec![
            // Read (and follow) its own spec: language, suspend.
            rule("whatsappaccounts", &["get", "watch"]),
            // Report pairing and connection state.
            rule("whatsappaccounts/status", &["get", "patch"]),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::children::fixture;

    #[test]
    fn every_rule_names_the_account() {
        let account = fixture::account();
        let defaults = fixture::defaults();
        let role = build(&Tenant::new(&account, &defaults).unwrap());
        let rules = role.rules.unwrap();
        assert_eq!(rules.len(), 2);
        for rule in &rules {
            assert_eq!(rule.resource_names, Some(vec!["wa-447700900123".into()]));
            assert!(
                !rule
                    .verbs
                    .iter()
                    .any(|v| v == "*" || v == "delete" || v == "update")
            );
        }
        assert_eq!(rules[1].verbs, ["get", "patch"]);
    }
}
