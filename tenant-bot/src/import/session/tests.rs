use rusqlite::Connection;
use whatsapp_rust::wacore::store::traits::SignalStore as _;

use super::fixture::{JID, Journal, damage, old_store, old_store_in, private};
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
            "has no whatsmeow_device table",
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
            "a key stored as text",
            Box::new(|p: &Path| {
                old_store(p, |row| row[8].1 = Value::Text("not bytes".into()));
            }),
            "whatsmeow_device is unusable",
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

/// Every file name under `dir` with its bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_file())
        .map(|e| {
            (
                e.file_name().into_string().unwrap(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn every_journal_mode_imports_and_leaves_the_old_files_as_they_were() {
    for journal in [Journal::Delete, Journal::Wal, Journal::Crashed] {
        let dir = tempfile::tempdir().unwrap();
        let old_dir = dir.path().join("old");
        std::fs::create_dir(&old_dir).unwrap();
        let old = old_dir.join("whatsmeow-42-6281200000100.db");
        old_store_in(&old, journal, |_| {});
        let before = files(&old_dir);
        let expected: &[&str] = match journal {
            Journal::Crashed => &[
                "whatsmeow-42-6281200000100.db",
                "whatsmeow-42-6281200000100.db-shm",
                "whatsmeow-42-6281200000100.db-wal",
            ],
            _ => &["whatsmeow-42-6281200000100.db"],
        };
        let names: Vec<&str> = before.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, expected, "{journal:?}");
        let new = dir.path().join("new.db");

        let imported = session(&old, &new, None).await.unwrap();

        // The device, even when it is only in a crashed bot's log.
        assert_eq!(imported.pre_keys, 3, "{journal:?}");
        let store = SqliteStore::new(new.to_str().unwrap()).await.unwrap();
        let device = DeviceStore::load(&store).await.unwrap().unwrap();
        assert_eq!(device.pn.as_ref().unwrap().to_string(), JID, "{journal:?}");
        assert!(
            files(&old_dir) == before,
            "{journal:?}: the old folder changed"
        );
    }
}

#[tokio::test]
async fn a_missing_column_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.db");
    old_store(&old, |_| {});
    Connection::open(&old)
        .unwrap()
        .execute_batch("ALTER TABLE whatsmeow_device RENAME COLUMN adv_key TO adv_secret")
        .unwrap();
    let new = dir.path().join("new.db");
    let error = session(&old, &new, None).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::MissingColumn {
                table: "whatsmeow_device",
                column: "adv_key",
                ..
            }
        ),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("old.db has no whatsmeow_device.adv_key column")
    );
    assert!(error.needs_pairing());
}

#[tokio::test]
async fn a_store_damaged_part_way_through_names_the_file_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("whatsmeow-42-6281200000100.db");
    old_store(&old, |_| {});
    // The device and its pre-keys read well; a table after them does not.
    damage(&old, "whatsmeow_sessions");
    let new_dir = dir.path().join("data");
    std::fs::create_dir(&new_dir).unwrap();
    let new = new_dir.join("whatsmeow-42-6281200000100.db");

    let error = session(&old, &new, None).await.unwrap_err();

    assert!(matches!(error, Error::Damaged { .. }), "{error}");
    let said = crds::naming::Chain(&error).to_string();
    assert!(
        said.contains("whatsmeow-42-6281200000100.db is damaged"),
        "{said}"
    );
    assert!(said.contains("malformed"), "SQLite's own words: {said}");
    assert!(error.needs_pairing());
    assert_eq!(
        std::fs::read_dir(&new_dir).unwrap().count(),
        0,
        "something was left"
    );
}

#[tokio::test]
async fn a_file_that_is_not_sqlite_is_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.db");
    std::fs::write(&old, vec![7_u8; 8192]).unwrap();
    let error = session(&old, &dir.path().join("new.db"), None)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Damaged { .. }), "{error}");
}

#[tokio::test]
async fn what_an_interrupted_attempt_left_is_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.db");
    old_store(&old, |_| {});
    let new = dir.path().join("data/whatsmeow-42-6281200000100.db");
    std::fs::create_dir_all(new.parent().unwrap()).unwrap();
    // A run killed while it copied: half a file under the temporary name.
    let partial = partial(&new);
    std::fs::write(&partial, b"SQLite format 3\0half").unwrap();
    std::fs::write(with_suffix(&partial, "-journal"), b"junk").unwrap();

    session(&old, &new, None).await.unwrap();

    let left: Vec<String> = std::fs::read_dir(new.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(left, ["whatsmeow-42-6281200000100.db"]);
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&new).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test]
async fn a_leftover_rollback_journal_or_a_log_without_its_index_is_read_from_the_copy() {
    let dir = tempfile::tempdir().unwrap();
    let old_dir = dir.path().join("old");
    std::fs::create_dir(&old_dir).unwrap();

    // A bot killed in the middle of a transaction in rollback-journal
    // mode: its journal is hot, and the device it was deleting is still
    // committed.
    let journaled = old_dir.join("whatsmeow-42-6281200000100.db");
    old_store(&journaled, |_| {});
    let live = dir.path().join("live.db");
    std::fs::copy(&journaled, &live).unwrap();
    let writer = Connection::open(&live).unwrap();
    writer
        .execute_batch(
            "PRAGMA cache_size = 1; BEGIN;
             DELETE FROM whatsmeow_pre_keys; DELETE FROM whatsmeow_device;",
        )
        .unwrap();
    std::fs::copy(&live, &journaled).unwrap();
    std::fs::copy(
        with_suffix(&live, "-journal"),
        with_suffix(&journaled, "-journal"),
    )
    .unwrap();
    drop(writer);

    // A crashed bot's log whose index went missing.
    let logged = old_dir.join("whatsmeow-42-6281200000200.db");
    old_store_in(&logged, Journal::Crashed, |row| {
        row[0].1 = rusqlite::types::Value::Text("6281200000200:3@s.whatsapp.net".into());
    });
    std::fs::remove_file(with_suffix(&logged, "-shm")).unwrap();
    let before = files(&old_dir);

    let first = session(&journaled, &dir.path().join("first.db"), None).await;
    let second = session(&logged, &dir.path().join("second.db"), None).await;

    assert_eq!(
        first.unwrap().pre_keys,
        3,
        "the unfinished delete is rolled back"
    );
    assert_eq!(second.unwrap().phone, "6281200000200");
    assert!(files(&old_dir) == before, "the old folder changed");
}
