use super::fixture::{old_bot, old_bot_in};
use super::session::fixture::Journal;
use super::*;
use std::collections::BTreeMap;
use std::path::Path;

use crate::layout::{ACCESS_FILE, TOKEN_FILE};

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(path) = stack.pop() {
        for entry in std::fs::read_dir(&path).unwrap().flatten() {
            if entry.path().is_dir() {
                stack.push(entry.path());
            } else {
                files.insert(entry.path(), std::fs::read(entry.path()).unwrap());
            }
        }
    }
    files
}

#[tokio::test]
async fn the_old_bots_accounts_come_along_and_the_old_folder_stays_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old");
    old_bot(&old);
    let before = snapshot(&old);
    let data = dir.path().join("data");

    let found = accounts(&old).unwrap();
    let owners: Vec<(i64, &str)> = found.iter().map(|a| (a.owner, a.phone.as_str())).collect();
    assert_eq!(
        owners,
        [
            (6_069_200_001, "6281200000100"),
            (6_069_200_001, "6281200000300"),
            (6_069_200_002, "6281200000200"),
        ]
    );

    // A dry run checks everything and writes nothing.
    let planned = run_import(&old, &data, true).await.unwrap();
    assert!(!data.exists());
    let imported = |results: &[(Account, Outcome)]| {
        results
            .iter()
            .map(|(a, o)| {
                (
                    a.phone.as_str().to_owned(),
                    matches!(o, Outcome::Imported(_)),
                )
            })
            .collect::<Vec<_>>()
    };
    let expected = [
        ("6281200000100".to_owned(), true),
        ("6281200000300".to_owned(), false),
        ("6281200000200".to_owned(), true),
    ];
    assert_eq!(imported(&planned), expected);

    let done = run_import(&old, &data, false).await.unwrap();
    assert_eq!(imported(&done), expected);
    match &done[1].1 {
        Outcome::NeedsPairing(reason) => {
            assert!(reason.to_string().contains("no linked device"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    for (account, outcome) in &done {
        if matches!(outcome, Outcome::Imported(_)) {
            assert!(target(&data, account).exists(), "{account:?}");
        }
    }
    assert!(
        data.join("DB USER TELEGRAM/6069200002/whatsmeow-6069200002-6281200000200.db")
            .exists()
    );
    // Settings and the token, where a standalone install reads them.
    let access: Access =
        serde_json::from_str(&std::fs::read_to_string(data.join(ACCESS_FILE)).unwrap()).unwrap();
    assert_eq!(access.admins, [11, 12]);
    assert_eq!(access.allowed_users, [21, 22]);
    assert_eq!(
        std::fs::read_to_string(data.join(TOKEN_FILE)).unwrap(),
        "123456:old-token"
    );
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(data.join(TOKEN_FILE))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    // The standalone registry lists the imported accounts.
    let registry = crate::standalone::registry::Local::open(&data.join("pawang.db")).unwrap();
    use crate::protocol::registry::Registry as _;
    let mut names: Vec<String> = registry
        .state()
        .iter()
        .filter_map(|a| a.metadata.name.clone())
        .collect();
    names.sort();
    assert_eq!(names, ["wa-6281200000100", "wa-6281200000200"]);
    assert_eq!(
        registry.find("wa-6281200000200").unwrap().owner_id(),
        6_069_200_002
    );
    drop(registry);
    // The owner's old activity log, in the account's own.
    let store = crate::store::Store::open(
        data.join("DB USER TELEGRAM/6069200001/bot_data-6069200001-6281200000100.db"),
    )
    .await
    .unwrap();
    let activity = store.recent_activity(10).await.unwrap();
    let details: Vec<(i64, &str, &str)> = activity
        .iter()
        .map(|a| (a.at, a.kind.as_str(), a.detail.as_str()))
        .collect();
    assert_eq!(
        details,
        [
            (1_740_915_000, "imported", "leave: 3 grup ✗ rate-overlimit"),
            (1_740_823_200, "imported", "get_links: 12 grup"),
        ]
    );
    drop(store);
    // Running it again changes nothing that was imported.
    let again = run_import(&old, &data, false).await.unwrap();
    assert!(matches!(again[0].1, Outcome::AlreadyThere));
    assert_eq!(snapshot(&old), before, "the old folder changed");
}

#[tokio::test]
async fn a_folder_that_is_not_the_old_bots_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(accounts(dir.path()), Err(Error::NotOldBot(_))));
    std::fs::write(dir.path().join("bot_data.db"), b"not a database at all").unwrap();
    let error = accounts(dir.path()).unwrap_err();
    assert!(matches!(error, Error::Master { .. }), "{error}");
}

#[test]
fn a_configuration_that_is_not_json_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("akses.json"), "admin_ids = 1").unwrap();
    let error = old_bot::config(dir.path()).unwrap_err().to_string();
    assert!(error.contains("akses.json"), "{error}");
    assert_eq!(
        old_bot::config(tempfile::tempdir().unwrap().path()).unwrap(),
        None
    );
}

/// Every file and folder name under `dir`, each file with its bytes.
fn names_and_bytes(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut found = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(path) = stack.pop() {
        for entry in std::fs::read_dir(&path).unwrap().flatten() {
            if entry.path().is_dir() {
                found.insert(entry.path(), None);
                stack.push(entry.path());
            } else {
                found.insert(entry.path(), Some(std::fs::read(entry.path()).unwrap()));
            }
        }
    }
    found
}

fn kinds(results: &[(Account, Outcome)]) -> Vec<(&str, &'static str)> {
    results
        .iter()
        .map(|(a, o)| {
            let kind = match o {
                Outcome::Imported(_) => "imported",
                Outcome::AlreadyThere => "already there",
                Outcome::NeedsPairing(_) => "pair again",
                Outcome::Locked(_) => "locked",
                Outcome::Failed(_) => "failed",
            };
            (a.phone.as_str(), kind)
        })
        .collect()
}

#[tokio::test]
async fn no_journal_mode_leaves_a_trace_in_the_old_folder() {
    for journal in [Journal::Delete, Journal::Wal, Journal::Crashed] {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old");
        old_bot_in(&old, journal);
        let before = names_and_bytes(&old);
        let logs = before
            .keys()
            .filter(|p| p.to_string_lossy().ends_with("-wal"))
            .count();
        // A crashed bot left a log beside each of its two linked stores.
        let expected_logs = if journal == Journal::Crashed { 2 } else { 0 };
        assert_eq!(logs, expected_logs, "{journal:?}");

        let data = dir.path().join("data");
        run_import(&old, &data, true).await.unwrap();
        let results = run_import(&old, &data, false).await.unwrap();

        // The committed pages of a leftover log are imported, not lost.
        assert_eq!(
            kinds(&results),
            [
                ("6281200000100", "imported"),
                ("6281200000300", "pair again"),
                ("6281200000200", "imported"),
            ],
            "{journal:?}"
        );
        assert!(
            names_and_bytes(&old) == before,
            "{journal:?}: the old folder changed"
        );
    }
}

#[tokio::test]
async fn a_damaged_store_is_named_and_leaves_no_folder_behind() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old");
    old_bot(&old);
    // The only account of its owner, damaged after its device row.
    super::session::fixture::damage(
        &old.join("DB USER TELEGRAM/6069200002/whatsmeow-6069200002-6281200000200.db"),
        "whatsmeow_sessions",
    );
    let data = dir.path().join("data");

    let results = run_import(&old, &data, false).await.unwrap();

    let Outcome::NeedsPairing(reason) = &results[2].1 else {
        panic!("{:?}", results[2]);
    };
    let said = line(&results[2].0, &results[2].1, "imported", &old);
    assert!(said.contains("must pair again"), "{said}");
    assert!(
        said.contains("whatsmeow-60692**002-62812*****200.db is damaged"),
        "{said}"
    );
    assert!(said.contains("database disk image is malformed"), "{said}");
    assert!(reason.to_string().contains("damaged"));
    assert!(!data.join("DB USER TELEGRAM/6069200002").exists());
    let registry = crate::standalone::registry::Local::open(&data.join("pawang.db")).unwrap();
    use crate::protocol::registry::Registry as _;
    assert!(registry.find("wa-6281200000200").is_none());
}

#[tokio::test]
async fn a_run_after_an_interrupted_one_finishes_the_job() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old");
    old_bot(&old);
    let data = dir.path().join("data");
    let folder = data.join("DB USER TELEGRAM/6069200001");
    std::fs::create_dir_all(&folder).unwrap();
    // What a killed run leaves: an empty session file where the session
    // goes, half-written files under the temporary names.
    std::fs::write(folder.join("whatsmeow-6069200001-6281200000100.db"), b"").unwrap();
    std::fs::write(
        folder.join(".whatsmeow-6069200001-6281200000100.db.importing"),
        b"SQLite format 3\0",
    )
    .unwrap();
    std::fs::write(
        folder.join(".bot_data-6069200001-6281200000100.db.importing"),
        b"half",
    )
    .unwrap();

    let results = run_import(&old, &data, false).await.unwrap();

    assert_eq!(kinds(&results)[0], ("6281200000100", "imported"));
    let registry = crate::standalone::registry::Local::open(&data.join("pawang.db")).unwrap();
    use crate::protocol::registry::Registry as _;
    assert!(registry.find("wa-6281200000100").is_some());
    drop(registry);
    let mut left: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "bot_data-6069200001-6281200000100.db",
            "whatsmeow-6069200001-6281200000100.db"
        ]
    );
    let store = crate::store::Store::open(folder.join("bot_data-6069200001-6281200000100.db"))
        .await
        .unwrap();
    assert_eq!(store.recent_activity(10).await.unwrap().len(), 2);
}

#[tokio::test]
async fn an_account_that_could_not_be_registered_is_registered_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old");
    old_bot(&old);
    let data = dir.path().join("data");
    // The registry cannot be opened: a folder where its file goes.
    std::fs::create_dir_all(data.join("pawang.db")).unwrap();

    let failed = run_import(&old, &data, false).await.unwrap();
    assert_eq!(
        kinds(&failed),
        [
            ("6281200000100", "failed"),
            ("6281200000300", "pair again"),
            ("6281200000200", "failed"),
        ]
    );
    let said = line(&failed[0].0, &failed[0].1, "imported", &old);
    assert!(
        said.contains("not imported, run the import again"),
        "{said}"
    );

    std::fs::remove_dir(data.join("pawang.db")).unwrap();
    let again = run_import(&old, &data, false).await.unwrap();
    assert_eq!(
        kinds(&again),
        [
            ("6281200000100", "already there"),
            ("6281200000300", "pair again"),
            ("6281200000200", "already there"),
        ]
    );
    let registry = crate::standalone::registry::Local::open(&data.join("pawang.db")).unwrap();
    use crate::protocol::registry::Registry as _;
    assert!(registry.find("wa-6281200000100").is_some());
    assert!(registry.find("wa-6281200000200").is_some());
}

#[tokio::test]
async fn imported_files_are_their_owners_alone() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old");
    old_bot(&old);
    let data = dir.path().join("data");
    run_import(&old, &data, false).await.unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    let found = names_and_bytes(&data);
    assert!(found.len() > 6, "{found:?}");
    for (path, bytes) in found {
        let expected = if bytes.is_some() { 0o600 } else { 0o700 };
        assert_eq!(mode(&path), expected, "{}", path.display());
    }
}

#[test]
fn a_data_directory_in_the_old_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old");
    old_bot(&old);
    let before = names_and_bytes(&old);
    for data in [
        old.clone(),
        old.join("data"),
        old.join("new/data"),
        dir.path().to_owned(),
    ] {
        let error = apart(&old, Some(&data)).unwrap_err();
        assert!(
            matches!(error, Error::Overlap { .. }),
            "{}: {error}",
            data.display()
        );
        assert!(
            error.to_string().contains("choose another --data-dir"),
            "{error}"
        );
    }
    let beside = dir.path().join("data");
    assert_eq!(
        apart(&old, Some(&beside)).unwrap(),
        old.canonicalize().unwrap()
    );
    // With --kubernetes nothing is written there.
    assert!(apart(&old, None).is_ok());
    assert!(names_and_bytes(&old) == before);
}

#[test]
fn the_summary_counts_each_kind_and_says_what_to_do() {
    let mut tally = Tally::default();
    let imported = session::Imported {
        phone: "6281200000100".into(),
        device: 1,
        pre_keys: 3,
    };
    tally.add(&Outcome::Imported(imported));
    tally.add(&Outcome::AlreadyThere);
    assert!(!tally.needs_attention());
    let calm = tally.summary(false);
    assert!(
        calm.contains("  imported: 1\n  already there: 1\n"),
        "{calm}"
    );
    assert!(tally.summary(true).contains("  would be imported: 1\n"));
    for (outcome, advice) in [
        (
            Outcome::Locked(PathBuf::from("x.db")),
            "the old bot seems to be running",
        ),
        (
            Outcome::NeedsPairing("no device".into()),
            "link them again with /pair",
        ),
        (
            Outcome::Failed("disk full".into()),
            "run the import again to finish",
        ),
    ] {
        let mut one = tally.clone();
        assert!(!one.summary(false).contains(advice));
        one.add(&outcome);
        assert!(one.needs_attention(), "{outcome:?}");
        assert!(one.summary(false).contains(advice), "{outcome:?}");
        tally.add(&outcome);
    }
    let summary = tally.summary(false);
    assert!(summary.starts_with("summary: 5 accounts\n"), "{summary}");
    for count in [
        "  to pair again: 1\n",
        "  skipped because locked: 1\n",
        "  failed: 1\n",
    ] {
        assert!(summary.contains(count), "{summary}");
    }
    assert!(
        summary.ends_with("the old folder was not changed"),
        "{summary}"
    );
}
