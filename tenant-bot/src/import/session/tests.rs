use rusqlite::Connection;
use whatsapp_rust::wacore::store::traits::SignalStore as _;

use super::fixture::{JID, old_store, private};
use super::*;

#[tokio::test]
async fn a_linked_device_is_carried_over_and_loads_through_whatsapp_rust() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("whatsmeow-42-6281200000100.db");
    old_store(&old, |_| {});
    let before = std::fs::read(&old).unwrap();
    let new = dir.path().join("data/whatsmeow-42-6281200000100.db");
    std::fs::create_dir_all(new.parent().unwrap()).unwrap();

    let imported = session(&old, &new, None).await.unwrap();
    assert_eq!(
        imported,
        Imported {
            phone: "6281200000100".into(),
            device: 12,
            pre_keys: 3,
        }
    );
    assert_eq!(
        std::fs::read(&old).unwrap(),
        before,
        "the old store changed"
    );

    // whatsapp-rust's own storage API gives the device back.
    let store = SqliteStore::new(new.to_str().unwrap()).await.unwrap();
    let device = DeviceStore::load(&store).await.unwrap().unwrap();
    assert_eq!(device.pn.as_ref().unwrap().to_string(), JID);
    assert_eq!(
        device.lid.as_ref().unwrap().to_string(),
        "123456789012345:12@lid"
    );
    assert_eq!(device.registration_id, 3_000_000_000);
    assert_eq!(device.noise_key.private_key.serialize(), &private(0x33));
    assert_eq!(device.identity_key.private_key.serialize(), &private(0x11));
    assert_eq!(
        device.identity_key.public_key.public_key_bytes(),
        key_pair("x", &private(0x11))
            .unwrap()
            .public_key
            .public_key_bytes()
    );
    assert_eq!(
        device.signed_pre_key.private_key.serialize(),
        &private(0x22)
    );
    assert_eq!(device.signed_pre_key_id, 1);
    assert_eq!(device.adv_secret_key, [0x44; 32]);
    let account = device.account.as_deref().unwrap();
    assert_eq!(
        account.details.as_deref(),
        Some(&[0x08, 0x01, 0x10, 0x02][..])
    );
    assert_eq!(account.account_signature.as_deref(), Some(&[0x55; 64][..]));
    assert_eq!(
        account.account_signature_key.as_deref(),
        Some(&[0x66; 32][..])
    );
    assert_eq!(account.device_signature.as_deref(), Some(&[0x77; 64][..]));
    assert_eq!(device.push_name, "Budi");
    assert!(device.lid_migrated && device.server_has_prekeys);
    assert_eq!(device.next_pre_key_id, 4);
    let pre_key = store.load_prekey(2).await.unwrap().unwrap();
    let record = wa::PreKeyRecordStructure::decode_from_slice(&pre_key).unwrap();
    assert_eq!(record.private_key.as_deref(), Some(&private(2)[..]));
    assert!(
        store
            .get_lid_mapping("123456789012345")
            .await
            .unwrap()
            .is_some()
    );

    // Importing again would overwrite a session: refused.
    assert!(matches!(
        session(&old, &new, None).await,
        Err(Error::Exists(_))
    ));
}

#[tokio::test]
async fn an_older_store_without_lid_columns_imports_too() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.db");
    old_store(&old, |row| {
        row.retain(|(name, _)| *name != "lid" && *name != "lid_migration_ts")
    });
    Connection::open(&old)
        .unwrap()
        .execute_batch(
            "ALTER TABLE whatsmeow_device DROP COLUMN lid;
             ALTER TABLE whatsmeow_device DROP COLUMN lid_migration_ts;",
        )
        .unwrap();
    let new = dir.path().join("new.db");
    session(&old, &new, None).await.unwrap();
    let store = SqliteStore::new(new.to_str().unwrap()).await.unwrap();
    let device = DeviceStore::load(&store).await.unwrap().unwrap();
    assert!(device.lid.is_none() && !device.lid_migrated);
    assert_eq!(device.push_name, "Budi");
}

#[tokio::test]
async fn what_cannot_be_imported_is_refused_and_leaves_nothing_behind() {
    use rusqlite::types::Value;
    let dir = tempfile::tempdir().unwrap();
    type Case = (&'static str, Box<dyn Fn(&Path)>, &'static str);
    let cases: Vec<Case> = vec![
        (
            "not whatsmeow",
            Box::new(|p: &Path| {
                Connection::open(p)
                    .unwrap()
                    .execute_batch("CREATE TABLE groups (jid TEXT)")
                    .unwrap();
            }),
            "no whatsmeow device table",
        ),
        (
            "never paired",
            Box::new(|p: &Path| {
                old_store(p, |_| {});
                Connection::open(p)
                    .unwrap()
                    .execute_batch("DELETE FROM whatsmeow_device")
                    .unwrap();
            }),
            "no linked device",
        ),
        (
            "short key",
            Box::new(|p: &Path| {
                old_store(p, |row| row[3].1 = Value::Blob(vec![1; 31]));
            }),
            "noise_key is unusable: 31 bytes",
        ),
        (
            "keys of another device",
            Box::new(|p: &Path| {
                old_store(p, |row| row[4].1 = Value::Blob(private(0x99).to_vec()));
            }),
            "does not verify",
        ),
        (
            "bad jid",
            Box::new(|p: &Path| {
                old_store(p, |row| row[0].1 = Value::Text("@@@".into()));
            }),
            "jid is unusable",
        ),
    ];
    for (name, make, reason) in cases {
        let old = dir.path().join(format!("{name}.db"));
        make(&old);
        let new = dir.path().join(format!("{name}-new.db"));
        let error = session(&old, &new, None).await.unwrap_err();
        assert!(error.to_string().contains(reason), "{name}: {error}");
        assert!(!new.exists(), "{name}: a partial session was left");
    }
}

#[tokio::test]
async fn a_device_of_another_number_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.db");
    old_store(&old, |_| {});
    let new = dir.path().join("new.db");
    let other: PhoneNumber = "6281200000200".parse().unwrap();
    let error = session(&old, &new, Some(&other)).await.unwrap_err();
    assert!(matches!(error, Error::OtherNumber), "{error}");
    assert!(!new.exists());
    let own: PhoneNumber = "6281200000100".parse().unwrap();
    session(&old, &new, Some(&own)).await.unwrap();
}
