//! `tenant-bot standalone`, the whole product on one machine with no
//! cluster, against the fake Bot API and tenants with the fake WhatsApp:
//! `/pair` and the code, the menu from the tenant, a group job, a tenant
//! killed and started again by the supervisor, two users kept apart, a
//! clean stop that leaves no process behind, and the files in the old
//! bot's layout.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use tests::chat::{button, message_id, press, said, said_after, text};
use tests::fake_telegram::FakeTelegram;
use tests::front_door::BOT_TOKEN;
use tests::standalone::Standalone;
use tests::wait::wait_until;

/// What a tenant process of `account` in `data` has on its command line.
fn pattern(data: &Path, account: &str) -> String {
    format!("account {account} .*--data-dir {}", data.display())
}

/// Whether a tenant process of `account` in `data` runs.
fn tenant_running(data: &Path, account: &str) -> bool {
    Command::new("pgrep")
        .args(["-f", &pattern(data, account)])
        .output()
        .unwrap()
        .status
        .success()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_product_runs_on_one_machine() {
    let dir = tempfile::tempdir().unwrap();
    let telegram = FakeTelegram::start(&[BOT_TOKEN]).await;
    let data = dir.path().join("data");
    let mut install = Standalone::start(&data, &telegram).await;
    let (ani, budi) = (7_101, 7_102);
    let (ani_account, budi_account) = ("wa-6281200000501", "wa-6281200000502");

    // Ani pairs: the code comes from her tenant, through the gateway.
    telegram.push_update(text(ani, "/pair 0812-0000-0501"));
    said(&telegram, ani, "FAKE-").await;
    install.enter_code(ani, ani_account).await;
    said(&telegram, ani, "is connected").await;
    telegram.push_update(text(ani, "/menu"));
    said(&telegram, ani, "Dashboard").await;

    // A group job: invite links for her one group.
    let url = std::fs::read_to_string(install.file(ani, ani_account, "endpoint")).unwrap();
    let secret = std::fs::read_to_string(install.file(ani, ani_account, "secret")).unwrap();
    let added = reqwest::Client::new()
        .post(format!("{url}/fake/groups"))
        .header(crds::secret::HEADER, &secret)
        .body(r#"{"name": "Toko Ani", "admin": true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 200);
    telegram.push_update(text(ani, "/groups"));
    let list = said(&telegram, ani, "1. Toko Ani").await;
    telegram.push_update(press(ani, &button(&list, "job:links"), message_id(&list)));
    said(&telegram, ani, "Which groups?").await;
    telegram.push_update(text(ani, "all"));
    let confirm = said(&telegram, ani, "Invite links for 1 groups").await;
    telegram.push_update(press(
        ani,
        &button(&confirm, "job:start"),
        message_id(&confirm),
    ));
    said(&telegram, ani, "Invite links: ✅ 1 done").await;

    // Budi pairs too; nothing of his reaches Ani's chat, and his menu is
    // his own account's.
    telegram.push_update(text(budi, "/pair 0812-0000-0502"));
    said(&telegram, budi, "FAKE-").await;
    install.enter_code(budi, budi_account).await;
    said(&telegram, budi, "is connected").await;
    telegram.push_update(text(budi, "/menu"));
    let menu = said(&telegram, budi, "Dashboard").await;
    let budi_masked = "6281200000502"
        .parse::<crds::PhoneNumber>()
        .unwrap()
        .masked();
    assert!(
        menu.params["text"].as_str().unwrap().contains(&budi_masked),
        "{:?}",
        menu.params["text"]
    );
    let to_ani: Vec<Value> = telegram
        .calls()
        .into_iter()
        .filter(|c| c.params["chat_id"].as_i64() == Some(ani))
        .map(|c| c.params)
        .collect();
    assert!(
        to_ani.iter().all(|p| !p.to_string().contains(&budi_masked)),
        "Budi's account showed in Ani's chat"
    );

    // A killed tenant is started again, and its session is still linked.
    let before = std::fs::read_to_string(install.file(ani, ani_account, "endpoint")).unwrap();
    assert!(
        Command::new("pkill")
            .args(["-KILL", "-f", &pattern(&data, ani_account)])
            .status()
            .unwrap()
            .success()
    );
    wait_until("the tenant started again", || async {
        let now = std::fs::read_to_string(install.file(ani, ani_account, "endpoint")).ok()?;
        (now != before).then_some(())
    })
    .await;
    // It logs in from its files; until WhatsApp says connected, the menu
    // says so, and then it shows connected.
    wait_until("the restarted tenant connected", || async {
        let seen = telegram.calls().len();
        telegram.push_update(text(ani, "/menu"));
        let menu = said_after(&telegram, seen, ani, "Dashboard").await;
        let shown = menu.params["text"].as_str().unwrap_or_default().to_owned();
        shown.contains("State: connected").then_some(())
    })
    .await;

    // Files keep the old bot's layout, in the owner's folder.
    let folder = data.join("DB USER TELEGRAM").join(ani.to_string());
    // (The fake WhatsApp keeps its state where the session store would be.)
    assert!(folder.join("whatsmeow-7101-6281200000501.db").exists());
    assert!(folder.join("bot_data-7101-6281200000501.db").exists());
    assert!(data.join("pawang.db").exists());

    // Deleting an account logs its tenant out, stops it and removes its
    // files (this install keeps none).
    telegram.push_update(press(ani, &format!("fd:delyes:{ani_account}"), 1));
    wait_until("Ani's account removed", || async {
        let gone = !install.file(ani, ani_account, "secret").exists()
            && !tenant_running(&data, ani_account);
        gone.then_some(())
    })
    .await;
    assert!(!folder.join("bot_data-7101-6281200000501.db").exists());
    assert!(
        tenant_running(&data, budi_account),
        "Budi's tenant went too"
    );

    // A stop stops every tenant.
    install.stop();
    let log = std::fs::read_to_string(data.with_extension("log")).unwrap();
    for account in [ani_account, budi_account] {
        let found = Command::new("pgrep")
            .args(["-af", &pattern(&data, account)])
            .output()
            .unwrap();
        assert!(
            !tenant_running(&data, account),
            "{account} still runs: {}\n{log}",
            String::from_utf8_lossy(&found.stdout)
        );
    }
    assert!(!log.contains(BOT_TOKEN), "the token is in the log");
    assert!(
        !log.contains("6281200000501"),
        "a full number is in the log"
    );

    // Started again on the same data, it serves Budi without pairing.
    let mut install = Standalone::start(&data, &telegram).await;
    let seen = telegram.calls().len();
    telegram.push_update(text(budi, "/menu"));
    let menu = said_after(&telegram, seen, budi, "Dashboard").await;
    assert!(
        menu.params["text"]
            .as_str()
            .unwrap()
            .contains("State: connected")
    );
    let codes = telegram
        .calls()
        .iter()
        .filter(|c| c.params["chat_id"].as_i64() == Some(budi))
        .filter(|c| {
            c.params["text"]
                .as_str()
                .is_some_and(|t| t.contains("FAKE-"))
        })
        .count();
    assert_eq!(codes, 1, "Budi was asked to pair again");
    install.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_do_not_outlive_a_killed_install() {
    let dir = tempfile::tempdir().unwrap();
    let telegram = FakeTelegram::start(&[BOT_TOKEN]).await;
    let data = dir.path().join("data");
    let mut install = Standalone::start(&data, &telegram).await;
    let (owner, account) = (7_201, "wa-6281200000601");
    telegram.push_update(text(owner, "/pair 0812-0000-0601"));
    said(&telegram, owner, "FAKE-").await;
    assert!(tenant_running(&data, account));
    install.kill();
    wait_until("the orphaned tenant gone", || async {
        (!tenant_running(&data, account)).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_front_doors_limits_are_set_by_environment_here_too() {
    let dir = tempfile::tempdir().unwrap();
    let telegram = FakeTelegram::start(&[BOT_TOKEN]).await;
    let data = dir.path().join("data");
    // Three updates a minute, in bursts of one: the second is too many.
    let mut install = Standalone::start_with(&data, &telegram, &[("PAWANG_USER_RATE", "3")]).await;
    let (flooder, calm) = (7_301, 7_302);
    for _ in 0..3 {
        telegram.push_update(text(flooder, "/help"));
    }
    said(&telegram, flooder, "slow down a little").await;
    // Another user is not slowed by the first.
    telegram.push_update(text(calm, "/help"));
    said(&telegram, calm, "/pair").await;
    install.stop();
}
