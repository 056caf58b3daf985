use crds::{Language, Phase, labels};
use serde_json::json;

use super::*;

fn account(digits: &str, owner: i64) -> WhatsAppAccount {
    WhatsAppAccount::for_phone(&digits.parse().unwrap(), owner, Language::Id)
}

#[tokio::test]
async fn accounts_are_kept_changed_and_told_like_in_a_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pawang.db");
    let registry = Local::open(&path).unwrap();
    let mut changes = registry.changes();

    registry.create(&account("6281200000100", 7)).await.unwrap();
    let name = "wa-6281200000100";
    let created = registry.find(name).unwrap();
    assert!(created.metadata.creation_timestamp.is_some());
    assert_eq!(created.metadata.generation, Some(1));
    assert!(
        matches!(changes.recv().await.unwrap(), Change::Applied(a) if a.metadata.name.as_deref() == Some(name))
    );
    // One number, one account.
    assert!(matches!(
        registry.create(&account("6281200000100", 8)).await,
        Err(Error::Taken)
    ));

    // A metadata patch changes no generation; a spec patch does.
    registry
        .merge(
            name,
            json!({"metadata": {"annotations": {labels::ACTIVE_AT: "5"}}}),
        )
        .await
        .unwrap();
    let annotated = registry.find(name).unwrap();
    assert_eq!(
        annotated.metadata.annotations.as_ref().unwrap()[labels::ACTIVE_AT],
        "5"
    );
    assert_eq!(annotated.metadata.generation, Some(1));
    registry
        .merge(name, json!({"spec": {"suspend": true}}))
        .await
        .unwrap();
    let suspended = registry.find(name).unwrap();
    assert!(suspended.spec.suspend);
    assert_eq!(suspended.metadata.generation, Some(2));
    // A patch cannot rename an account or write its status.
    registry
        .merge(
            name,
            json!({"metadata": {"name": "wa-1"}, "status": {"phase": "Connected"}}),
        )
        .await
        .unwrap();
    let same = registry.find(name).unwrap();
    assert_eq!(same.metadata.name.as_deref(), Some(name));
    assert!(same.status.is_none());

    let status = WhatsAppAccountStatus {
        phase: Some(Phase::Connected),
        ..WhatsAppAccountStatus::default()
    };
    registry.set_status(name, status).unwrap();

    // Everything survives a reopening.
    drop(registry);
    let registry = Local::open(&path).unwrap();
    let reopened = registry.find(name).unwrap();
    assert_eq!(
        reopened.status.as_ref().unwrap().phase,
        Some(Phase::Connected)
    );
    assert!(reopened.spec.suspend);
    assert_eq!(registry.state().len(), 1);

    // Deleting marks first; removing lets go.
    let mut changes = registry.changes();
    registry.delete(name).await.unwrap();
    assert!(
        registry
            .find(name)
            .unwrap()
            .metadata
            .deletion_timestamp
            .is_some()
    );
    registry.remove(name).unwrap();
    assert!(registry.find(name).is_none());
    assert!(matches!(changes.recv().await.unwrap(), Change::Applied(_)));
    assert!(matches!(changes.recv().await.unwrap(), Change::Removed(n) if n == name));
    drop(registry);
    assert!(Local::open(&path).unwrap().state().is_empty());
}

#[test]
fn merge_patches_follow_rfc_7386() {
    let mut target = json!({"a": "b", "c": {"d": "e", "f": "g"}, "list": [1, 2]});
    merge(
        &mut target,
        &json!({"a": "z", "c": {"f": null}, "list": [3], "new": {"x": 1}}),
    );
    assert_eq!(
        target,
        json!({"a": "z", "c": {"d": "e"}, "list": [3], "new": {"x": 1}})
    );
}

#[test]
fn an_unreadable_database_is_an_error_not_an_empty_install() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pawang.db");
    std::fs::write(
        &path,
        b"this is not SQLite, and it is long enough to be read",
    )
    .unwrap();
    assert!(Local::open(&path).is_err());
    let path = dir.path().join("bad-row.db");
    Local::open(&path).unwrap();
    Connection::open(&path)
        .unwrap()
        .execute("INSERT INTO accounts VALUES ('wa-1', '{not json')", [])
        .unwrap();
    let error = crds::naming::Chain(&Local::open(&path).unwrap_err()).to_string();
    assert!(error.contains("wa-1 is unreadable"), "{error}");
}
