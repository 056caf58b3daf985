//! Labels shared by accounts and every object the operator makes for them.
//!
//! The owner label lets the front door list one user's accounts with a
//! label selector instead of reading every account in the install.

use std::collections::BTreeMap;

/// `app.kubernetes.io/name`: always [`APP`].
pub const NAME: &str = "app.kubernetes.io/name";
/// `app.kubernetes.io/instance`: the account name, on a tenant's objects.
pub const INSTANCE: &str = "app.kubernetes.io/instance";
/// `app.kubernetes.io/component`: which part of Pawang an object is.
pub const COMPONENT: &str = "app.kubernetes.io/component";
/// `app.kubernetes.io/part-of`: always [`APP`].
pub const PART_OF: &str = "app.kubernetes.io/part-of";
/// `app.kubernetes.io/managed-by`: who writes the object.
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// The owner's Telegram user id.
pub const OWNER: &str = "pawang.dev/owner";
/// The account a tenant object belongs to.
pub const ACCOUNT: &str = "pawang.dev/account";

/// The application name.
pub const APP: &str = "pawang";
/// Component value of a tenant's objects.
pub const COMPONENT_TENANT: &str = "tenant";
/// Component value of the front door's pods.
pub const COMPONENT_FRONT_DOOR: &str = "front-door";
/// Component value of the operator's pods.
pub const COMPONENT_OPERATOR: &str = "operator";
/// Field manager and `managed-by` value of the operator.
pub const OPERATOR: &str = "pawang-operator";
/// Field manager of the front door.
pub const FRONT_DOOR: &str = "pawang-front-door";

/// Annotation on a `WhatsAppAccount`: when its owner last made it the
/// active account (Unix milliseconds). The owner's active account is the
/// one with the latest value, so the choice lives in the cluster and
/// survives front door restarts and replicas.
pub const ACTIVE_AT: &str = "pawang.dev/active-at";

/// Labels of a `WhatsAppAccount` itself.
pub fn account(owner: i64) -> BTreeMap<String, String> {
    BTreeMap::from([
        (NAME.to_owned(), APP.to_owned()),
        (OWNER.to_owned(), owner.to_string()),
    ])
}

/// The stable labels that select one tenant's pods; never change these on
/// a live StatefulSet, its selector is immutable.
pub fn tenant_selector(account: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (NAME.to_owned(), APP.to_owned()),
        (COMPONENT.to_owned(), COMPONENT_TENANT.to_owned()),
        (INSTANCE.to_owned(), account.to_owned()),
    ])
}

/// All labels of a tenant's objects: the selector labels plus owner,
/// account and bookkeeping labels.
pub fn tenant(account: &str, owner: i64) -> BTreeMap<String, String> {
    let mut labels = tenant_selector(account);
    labels.extend([
        (PART_OF.to_owned(), APP.to_owned()),
        (MANAGED_BY.to_owned(), OPERATOR.to_owned()),
        (ACCOUNT.to_owned(), account.to_owned()),
        (OWNER.to_owned(), owner.to_string()),
    ]);
    labels
}

/// A label selector for everything that belongs to one Telegram user.
pub fn owner_selector(owner: i64) -> String {
    format!("{OWNER}={owner}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_labels_contain_the_selector() {
        let all = tenant("wa-447700900123", 7);
        for (k, v) in tenant_selector("wa-447700900123") {
            assert_eq!(all.get(&k), Some(&v), "{k}");
        }
        assert_eq!(all[OWNER], "7");
        assert_eq!(all[ACCOUNT], "wa-447700900123");
    }

    #[test]
    fn owner_selector_matches_account_labels() {
        let labels = account(123456789);
        let (key, value) = owner_selector(123456789)
            .split_once('=')
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .unwrap();
        assert_eq!(labels.get(&key), Some(&value));
    }

    #[test]
    fn label_values_are_valid() {
        // Label values: at most 63 characters of [A-Za-z0-9._-].
        let longest = format!("wa-{}", "9".repeat(15));
        for v in tenant(&longest, i64::MAX).values() {
            assert!(v.len() <= 63, "{v}");
            assert!(
                v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
                "{v}"
            );
        }
    }
}
