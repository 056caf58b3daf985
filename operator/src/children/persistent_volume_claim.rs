//! The tenant's volume: its WhatsApp session and bot data live here.

use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimSpec, VolumeResourceRequirements,
};

use super::Tenant;

/// Label set on a volume kept after its account was deleted.
pub const RETAINED_LABEL: &str = "pawang.dev/retained";

/// Builds the claim, owned by the account so it goes with it unless the
/// account asks to keep it.
pub fn build(tenant: &Tenant<'_>) -> PersistentVolumeClaim {
    let storage = &tenant.account.spec.storage;
    let size = storage
        .size
        .clone()
        .unwrap_or_else(|| tenant.defaults.storage_size.clone());
    PersistentVolumeClaim {
        metadata: tenant.metadata(),
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".into()]),
            storage_class_name: storage
                .storage_class_name
                .clone()
                .or_else(|| tenant.defaults.storage_class.clone()),
            resources: Some(VolumeResourceRequirements {
                requests: Some([("storage".to_owned(), size)].into()),
                ..VolumeResourceRequirements::default()
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        ..PersistentVolumeClaim::default()
    }
}

/// The claim as it stays behind when its account is deleted with
/// `retainOnDelete`: no owner, so garbage collection leaves it, and
/// labelled so an admin can find it.
pub fn released(tenant: &Tenant<'_>) -> PersistentVolumeClaim {
    let mut claim = build(tenant);
    claim.metadata.owner_references = None;
    claim
        .metadata
        .labels
        .get_or_insert_default()
        .insert(RETAINED_LABEL.into(), "true".into());
    claim
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

    use super::*;
    use crate::children::fixture;

    fn size_and_class(claim: &PersistentVolumeClaim) -> (Quantity, Option<String>) {
        let spec = claim.spec.clone().unwrap();
        (
            spec.resources.unwrap().requests.unwrap()["storage"].clone(),
            spec.storage_class_name,
        )
    }

    #[test]
    fn defaults_then_account_overrides() {
        let account = fixture::account();
        let mut defaults = fixture::defaults();
        defaults.storage_class = Some("standard".into());
        let claim = build(&Tenant::new(&account, &defaults).unwrap());
        assert_eq!(
            size_and_class(&claim),
            (Quantity("256Mi".into()), Some("standard".into()))
        );
        assert_eq!(claim.metadata.owner_references.unwrap().len(), 1);

        let mut account = fixture::account();
        account.spec.storage.size = Some(Quantity("1Gi".into()));
        account.spec.storage.storage_class_name = Some("fast".into());
        let claim = build(&Tenant::new(&account, &defaults).unwrap());
        assert_eq!(
            size_and_class(&claim),
            (Quantity("1Gi".into()), Some("fast".into()))
        );
    }

    #[test]
    fn released_claims_have_no_owner_and_a_label() {
        let account = fixture::account();
        let defaults = fixture::defaults();
        let claim = released(&Tenant::new(&account, &defaults).unwrap());
        assert_eq!(claim.metadata.owner_references, None);
        assert_eq!(claim.metadata.labels.unwrap()[RETAINED_LABEL], "true");
    }
}
