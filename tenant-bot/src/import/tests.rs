use super::fixture::old_bot;
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
