//! `tenant-bot import --kubernetes`: the old bot's accounts become
//! `WhatsAppAccount`s whose tenants start with the imported session,
//! through the real whatsapp-rust store, without pairing.

use std::path::Path;
use std::process::Command;

use crds::WhatsAppAccount;
use k8s_openapi::api::core::v1::{ResourceQuota, ResourceQuotaSpec, Secret};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{ListParams, PostParams};
use kube::{Api, ResourceExt};
use tenant_bot::import::NEEDS_ATTENTION;
use tests::cluster::Cluster;
use tests::operator::{INSTALL_KEY, Operator};
use tests::process::workspace_binary;
use tests::tenants::Tenants;
use tests::wait::wait_until;

use crate::operator::env;

/// The fixture's accounts: two linked, one logged out.
const LINKED: [(&str, i64); 2] = [
    ("6281200000100", 6_069_200_001),
    ("6281200000200", 6_069_200_002),
];
const LOGGED_OUT: &str = "6281200000300";

/// Runs the import against `namespace`; its output, after checking it
/// ended saying the user has something to do (the fixture's logged-out
/// account must pair again).
fn import(old: &Path, namespace: &str, extra: &[&str]) -> String {
    let output = Command::new(workspace_binary("tenant-bot"))
        .arg("import")
        .arg(old)
        .args(["--kubernetes", "--namespace", namespace])
        .args(extra)
        .env("KUBECONFIG", Cluster::shared().kubeconfig())
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(i32::from(NEEDS_ATTENTION)),
        "import failed:\n{stdout}\n{stderr}"
    );
    for digits in LINKED.iter().map(|(d, _)| *d).chain([LOGGED_OUT]) {
        assert!(!stdout.contains(digits), "a full number in:\n{stdout}");
        assert!(!stderr.contains(digits), "a full number in:\n{stderr}");
    }
    stdout
}

/// Whether the namespace of `accounts` holds none.
async fn no_accounts(accounts: &Api<WhatsAppAccount>) -> bool {
    accounts
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .is_empty()
}

fn paired(account: &WhatsAppAccount) -> bool {
    account
        .status
        .iter()
        .flat_map(|s| &s.conditions)
        .any(|c| c.type_ == crds::condition::PAIRED && c.status == "True")
}

#[tokio::test]
async fn imported_accounts_start_paired_and_their_seeds_are_removed() {
    let env = env("import").await;
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old");
    // Written by the old bot's own libraries: whatsmeow over go-sqlite3.
    tests::old_bot::write(&old, tests::old_bot::Journal::Wal);
    let secrets: Api<Secret> = Api::namespaced(env.client.clone(), &env.ns);
    let seeds = ListParams::default().labels("app.kubernetes.io/name=pawang");

    // A dry run says what would happen and writes nothing.
    let said = import(&old, &env.ns, &["--dry-run"]);
    assert_eq!(
        said.matches("would be imported into namespace").count(),
        2,
        "{said}"
    );
    assert!(
        said.contains("62812*****300 (owner 6069200001): must pair again"),
        "{said}"
    );
    assert!(no_accounts(&env.accounts).await);
    assert!(secrets.list(&seeds).await.unwrap().items.is_empty());

    // A namespace that takes no more Secrets: no seed can be made, so
    // each account is reported, nothing is registered, and a later run
    // finishes the job.
    let quotas: Api<ResourceQuota> = Api::namespaced(env.client.clone(), &env.ns);
    let quota = ResourceQuota {
        metadata: ObjectMeta {
            name: Some("no-more-secrets".into()),
            ..ObjectMeta::default()
        },
        spec: Some(ResourceQuotaSpec {
            hard: Some([("count/secrets".to_owned(), Quantity("0".into()))].into()),
            ..ResourceQuotaSpec::default()
        }),
        ..ResourceQuota::default()
    };
    quotas.create(&PostParams::default(), &quota).await.unwrap();
    let said = import(&old, &env.ns, &[]);
    assert_eq!(
        said.matches("not imported, run the import again").count(),
        2,
        "{said}"
    );
    assert!(said.contains("  failed: 2"), "{said}");
    assert!(no_accounts(&env.accounts).await);
    quotas
        .delete("no-more-secrets", &Default::default())
        .await
        .unwrap();
    let probe = Secret {
        metadata: ObjectMeta {
            name: Some("probe".into()),
            ..ObjectMeta::default()
        },
        ..Secret::default()
    };
    let dry_run = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    wait_until("Secrets allowed again", || async {
        secrets.create(&dry_run, &probe).await.ok().map(drop)
    })
    .await;

    // The real store: the imported session must load through it. No
    // front door: the tenants have nothing to tell anyone here.
    let tenants = Tenants::new(env.client.clone(), &env.ns, INSTALL_KEY);
    let operator = Operator::start(Cluster::shared(), &env.ns, &[]);

    let said = import(&old, &env.ns, &[]);
    assert_eq!(said.matches("imported into namespace").count(), 2, "{said}");
    assert!(said.contains("  to pair again: 1\n"), "{said}");
    assert!(said.contains("  failed: 0\n"), "{said}");
    assert!(said.contains("frontDoor.admins=[11, 12]"), "{said}");

    let mut names = Vec::new();
    for (digits, owner) in LINKED {
        let name = format!("wa-{digits}");
        let account = env.accounts.get(&name).await.unwrap();
        assert_eq!(account.owner_id(), owner);
        // The seed belongs to its account, so it goes with it.
        let seed = secrets.get(&format!("{name}-seed")).await.unwrap();
        let owners = seed.owner_references();
        assert_eq!(owners.len(), 1);
        assert_eq!(owners[0].uid, account.uid().unwrap());
        names.push(name);
    }
    assert!(
        env.accounts
            .get_opt(&format!("wa-{LOGGED_OUT}"))
            .await
            .unwrap()
            .is_none()
    );

    // Each tenant unpacks its seed and finds a linked device: it reports
    // the account paired, without a pairing code; then the operator
    // deletes the seed.
    for name in &names {
        wait_until("the imported account paired", || async {
            let account = env.accounts.get(name).await.ok()?;
            paired(&account).then_some(())
        })
        .await;
        wait_until("the seed deleted", || async {
            secrets
                .get_opt(&format!("{name}-seed"))
                .await
                .ok()?
                .is_none()
                .then_some(())
        })
        .await;
        let log = tenants.log(name).await;
        assert!(log.contains("imported files unpacked"), "{log}");
        assert!(!log.contains("pairing code"), "{log}");
        let digits = name.trim_start_matches("wa-");
        assert!(!log.contains(digits), "a full number in the log:\n{log}");
    }
    let log = operator.log();
    assert!(log.contains("seed deleted"), "{log}");

    // The owner's old activity log came along in the account's own data.
    let (digits, owner) = LINKED[0];
    let volume = tenants.volume_dir(&format!("wa-{digits}")).await;
    // The unpacked files carry the account's keys: the tenant's alone.
    use std::os::unix::fs::PermissionsExt as _;
    for file in [
        format!("whatsmeow-{owner}-{digits}.db"),
        format!("bot_data-{owner}-{digits}.db"),
    ] {
        let mode = std::fs::metadata(volume.join(&file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
    let store =
        tenant_bot::store::Store::open(volume.join(format!("bot_data-{owner}-{digits}.db")))
            .await
            .unwrap();
    let imported = store.recent_activity(10).await.unwrap();
    let kinds: Vec<&str> = imported.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(kinds, ["imported", "imported"]);
    drop(store);

    // Running it again leaves what is there alone: the same accounts, and
    // no seed made again.
    let mut uids = Vec::new();
    for name in &names {
        uids.push(env.accounts.get(name).await.unwrap().uid());
    }
    let said = import(&old, &env.ns, &[]);
    assert_eq!(said.matches("already in namespace").count(), 2, "{said}");
    for (name, uid) in names.iter().zip(&uids) {
        assert_eq!(&env.accounts.get(name).await.unwrap().uid(), uid);
    }
    let left = secrets.list(&seeds).await.unwrap().items;
    assert!(left.iter().all(|s| !s.name_any().ends_with("-seed")));
}
