//! `tenant-bot import` as a user runs it, on folders written by the old
//! bot's own libraries (whatsmeow over go-sqlite3, [`tests::old_bot`]): in
//! each journal mode the old bot may leave, with a crashed bot's log, and
//! with the bot still running; the summary and the exit status.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use tenant_bot::import::NEEDS_ATTENTION;
use tests::old_bot::{self, Journal, Running, Written};
use whatsapp_rust::prelude::SqliteStore;
use whatsapp_rust::wacore::store::traits::{DeviceStore as _, SignalStore as _};

/// Runs `tenant-bot import` of `old` into `data`: its exit code and what
/// it printed, after checking no full number is in it.
fn import(old: &Path, data: &Path) -> (Option<i32>, String) {
    let output = Command::new(tests::process::workspace_binary("tenant-bot"))
        .arg("import")
        .arg(old)
        .arg("--data-dir")
        .arg(data)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for digits in ["6281200000100", "6281200000200", "6281200000300"] {
        assert!(!said.contains(digits), "a full number in:\n{said}");
    }
    (output.status.code(), said)
}

/// Every file and folder under `dir`, each file with its bytes.
fn names_and_bytes(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut found = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(path) = stack.pop() {
        for entry in std::fs::read_dir(&path).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                found.insert(path.clone(), None);
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                found.insert(path, Some(bytes));
            }
        }
    }
    found
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The imported session of `account` in `data` holds what the old bot's
/// store held.
async fn holds_what_was_written(data: &Path, account: &Written) {
    let file = data.join(format!(
        "DB USER TELEGRAM/{0}/whatsmeow-{0}-{1}.db",
        account.owner, account.phone
    ));
    let store = SqliteStore::new(file.to_str().unwrap()).await.unwrap();
    let device = store.load().await.unwrap().unwrap();
    assert_eq!(device.pn.as_ref().unwrap().to_string(), account.jid);
    assert_eq!(device.registration_id, account.registration_id);
    assert_eq!(
        hex(device.noise_key.public_key.public_key_bytes()),
        account.noise_public
    );
    assert_eq!(
        hex(device.identity_key.public_key.public_key_bytes()),
        account.identity_public
    );
    assert_eq!(device.signed_pre_key_id, account.signed_pre_key_id);
    assert_eq!(hex(&device.adv_secret_key), account.adv_secret);
    assert_eq!(device.push_name, account.push_name);
    for id in &account.pre_keys {
        assert!(
            store.load_prekey(*id).await.unwrap().is_some(),
            "pre-key {id} of {}",
            account.jid
        );
    }
}

#[tokio::test]
async fn what_the_old_bot_wrote_comes_along_in_every_journal_mode_and_its_folder_stays() {
    for journal in [Journal::Delete, Journal::Wal, Journal::Crashed] {
        let dir = tempfile::tempdir().unwrap();
        let (old, data) = (dir.path().join("old"), dir.path().join("data"));
        let written = old_bot::write(&old, journal);
        let before = names_and_bytes(&old);
        let logs = before
            .keys()
            .filter(|p| p.to_string_lossy().ends_with("-wal"))
            .count();
        // A killed bot leaves a log beside the master and each store.
        let expected = if journal == Journal::Crashed { 4 } else { 0 };
        assert_eq!(logs, expected, "{journal:?}");

        let (code, said) = import(&old, &data);

        assert_eq!(
            code,
            Some(i32::from(NEEDS_ATTENTION)),
            "{journal:?}:\n{said}"
        );
        assert!(said.contains("  imported: 2\n"), "{journal:?}:\n{said}");
        assert!(
            said.contains("62812*****300 (owner 6069200001): must pair again: ")
                && said.contains("holds no linked device"),
            "{journal:?}:\n{said}"
        );
        // Even from a crashed bot's log, every linked device comes along.
        for account in written.iter().filter(|a| a.linked) {
            holds_what_was_written(&data, account).await;
        }
        assert!(
            names_and_bytes(&old) == before,
            "{journal:?}: the old folder changed"
        );
    }
}

#[tokio::test]
async fn the_summary_says_what_became_of_each_account_and_what_needs_the_user() {
    use tenant_bot::import::session::fixture::{Journal as Left, damage, old_store_in};
    let dir = tempfile::tempdir().unwrap();
    let (old, data) = (dir.path().join("old"), dir.path().join("data"));
    // The old bot, still running, holds one store open.
    let (written, running) = Running::write_and_hold(&old, "6281200000200");
    // A third owner's damaged store, and a fourth owner whose folder
    // cannot be made here.
    let users = old.join("DB USER TELEGRAM");
    let store = |owner: &str, digits: &str| {
        std::fs::create_dir_all(users.join(owner)).unwrap();
        let path = users.join(format!("{owner}/whatsmeow-{owner}-{digits}.db"));
        old_store_in(&path, Left::Wal, |row| {
            row[0].1 = rusqlite::types::Value::Text(format!("{digits}:3@s.whatsapp.net"));
        });
        path
    };
    damage(&store("6069200003", "6281200000400"), "whatsmeow_sessions");
    store("6069200004", "6281200000600");
    let blocker = data.join("DB USER TELEGRAM/6069200004");
    std::fs::create_dir_all(blocker.parent().unwrap()).unwrap();
    std::fs::write(&blocker, b"not a folder").unwrap();

    let (code, said) = import(&old, &data);
    println!("{said}");

    assert_eq!(code, Some(i32::from(NEEDS_ATTENTION)), "{said}");
    for line in [
        "62812*****100 (owner 6069200001): session imported, 3 pre-keys",
        "62812*****300 (owner 6069200001): must pair again: DB USER TELEGRAM/60692**001/whatsmeow-60692**001-62812*****300.db holds no linked device",
        "62812*****200 (owner 6069200002): skipped: DB USER TELEGRAM/60692**002/whatsmeow-60692**002-62812*****200.db is in use; the old bot seems to be running",
        "62812*****400 (owner 6069200003): must pair again: ",
        "whatsmeow-60692**003-62812*****400.db is damaged: database disk image is malformed",
        "62812*****600 (owner 6069200004): not imported, run the import again: ",
        "summary: 5 accounts\n",
        "  imported: 1\n",
        "  already there: 0\n",
        "  to pair again: 2\n",
        "  skipped because locked: 1\n",
        "  failed: 1\n",
        "the old bot seems to be running: stop it, then run the import again",
        "nothing half-done was left: run the import again to finish",
    ] {
        assert!(said.contains(line), "no {line:?} in:\n{said}");
    }
    assert!(
        !said.contains("200 (owner 6069200002): must pair"),
        "{said}"
    );
    assert!(!data.join("DB USER TELEGRAM/6069200002").exists());

    // The old bot stopped and the folder made possible: the rest comes
    // along, and what was imported stays as it is.
    running.stop();
    std::fs::remove_file(&blocker).unwrap();
    let (code, said) = import(&old, &data);
    println!("{said}");
    assert_eq!(code, Some(i32::from(NEEDS_ATTENTION)), "{said}");
    for line in [
        "62812*****100 (owner 6069200001): imported before, left as it is",
        "62812*****200 (owner 6069200002): session imported, 3 pre-keys",
        "62812*****600 (owner 6069200004): session imported, 3 pre-keys",
        "  imported: 2\n",
        "  already there: 1\n",
        "  to pair again: 2\n",
        "  skipped because locked: 0\n",
        "  failed: 0\n",
    ] {
        assert!(said.contains(line), "no {line:?} in:\n{said}");
    }
    holds_what_was_written(&data, &written[2]).await;

    // Once the owners of the others paired again and their old stores
    // are gone, nothing needs the user, and the exit status says so.
    std::fs::remove_file(users.join("6069200003/whatsmeow-6069200003-6281200000400.db")).unwrap();
    let master = old.join("bot_data.db");
    let logged_out = users.join("6069200001/whatsmeow-6069200001-6281200000300.db");
    std::fs::remove_file(&master).unwrap();
    std::fs::remove_file(&logged_out).unwrap();
    let (code, said) = import(&old, &data);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("  already there: 3\n"), "{said}");
}

#[test]
fn an_old_bot_holding_its_master_database_stops_the_import_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let (old, data) = (dir.path().join("old"), dir.path().join("data"));
    let (_, running) = Running::write_and_hold(&old, "master");

    let (code, said) = import(&old, &data);

    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("bot_data.db is in use: the old bot seems to be running; stop it, then run the import again"),
        "{said}"
    );
    assert!(!said.contains("pair again"), "{said}");
    assert!(!data.join("DB USER TELEGRAM").exists());

    running.stop();
    let (code, said) = import(&old, &data);
    assert_eq!(code, Some(i32::from(NEEDS_ATTENTION)), "{said}");
    assert!(said.contains("  imported: 2\n"), "{said}");
}
