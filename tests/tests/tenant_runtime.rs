//! The tenant's runtime with the fake WhatsApp and the fake Bot API
//! server: pairing on first start, the dashboard in both languages, the
//! logout notice sent once, and a restart that needs no pairing.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use tenant_bot::tenant::status::Session;
use tenant_bot::whatsapp::fake::Fake;
use tests::fake_telegram::FakeTelegram;
use tests::owner::{
    CREDENTIAL, callback_update, pair, paired, sees, send, start, text_of, text_update,
};

#[tokio::test]
async fn a_first_start_pairs_then_serves_the_owner() {
    let (_dir, telegram, fake, mut tenant) = paired().await;

    send(&tenant, text_update("/menu")).await;
    let menu = sees(&telegram, "sendMessage", "Dasbor").await;
    let text = text_of(&menu);
    assert!(
        text.contains("tersambung") && text.contains("44770****123"),
        "{text}"
    );

    // The dashboard's buttons work: the activity log shows the pairing.
    send(&tenant, callback_update("menu:activity", 7)).await;
    let activity = sees(&telegram, "sendMessage", "Aktivitas terbaru").await;
    assert!(
        text_of(&activity).ends_with("· WhatsApp terhubung"),
        "{}",
        text_of(&activity)
    );
    assert!(!text.contains("447700900123"), "{text}");

    send(&tenant, text_update("/lang")).await;
    sees(&telegram, "sendMessage", "Pilih bahasa").await;
    send(&tenant, callback_update("lang:en", 7)).await;
    let edited = sees(&telegram, "editMessageText", "English").await;
    assert_eq!(edited.params["message_id"], 7);
    telegram
        .wait_for("answerCallbackQuery", |c| {
            c.params["callback_query_id"] == "cb1"
        })
        .await;
    send(&tenant, text_update("/menu")).await;
    sees(&telegram, "sendMessage", "Dashboard").await;

    send(&tenant, text_update("/nonsense")).await;
    sees(&telegram, "sendMessage", "Unknown command").await;

    // Logged out from the phone: told once, however often WhatsApp says it.
    fake.log_out_from_phone();
    fake.log_out_from_phone();
    tenant
        .session
        .wait_for(|s| *s == Session::LoggedOut)
        .await
        .unwrap();
    send(&tenant, text_update("/help")).await;
    sees(&telegram, "sendMessage", "/logout").await;
    let notices = telegram
        .calls_of("sendMessage")
        .iter()
        .filter(|c| text_of(c).contains("logged out from the phone"))
        .count();
    assert_eq!(notices, 1);

    tenant.stop.cancel();
    tenant.task.await.unwrap();
}

#[tokio::test]
async fn a_restart_logs_in_without_pairing() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("whatsmeow-fake.db");
    let telegram = FakeTelegram::start(&[CREDENTIAL]).await;
    {
        let fake = Arc::new(Fake::persistent(&state).unwrap());
        let mut tenant = start(&telegram, fake.clone(), dir.path()).await;
        pair(&telegram, &fake, &mut tenant).await;
        tenant.shut_down().await;
    }
    let codes_before = telegram.calls_of("sendMessage").len();

    let fake = Arc::new(Fake::persistent(&state).unwrap());
    let mut tenant = start(&telegram, fake, dir.path()).await;
    tenant
        .session
        .wait_for(|s| matches!(s, Session::Connected { .. }))
        .await
        .unwrap();
    send(&tenant, text_update("/menu")).await;
    sees(&telegram, "sendMessage", "Dasbor").await;
    let codes_after = telegram
        .calls_of("sendMessage")
        .iter()
        .filter(|c| text_of(c).contains("FAKE-"))
        .count();
    assert_eq!(codes_after, 1, "no new pairing code after the restart");
    assert!(telegram.calls_of("sendMessage").len() > codes_before);
    tenant.stop.cancel();
    tenant.task.await.unwrap();
}

#[tokio::test]
async fn the_owner_lists_searches_and_exports_the_groups() {
    let (_dir, telegram, fake, tenant) = paired().await;
    // The account is in these groups once it is linked (and counts as a
    // member of each).
    for n in [10, 2, 1] {
        fake.add_group(&format!("Grup {n}"), &["6281200000001"], n == 2);
    }
    fake.add_group("Toko Sembako", &["6281200000001", "6281200000002"], true);

    send(&tenant, text_update("/groups")).await;
    let list = sees(&telegram, "sendMessage", "halaman 1 dari 1").await;
    let lines: Vec<String> = text_of(&list).lines().skip(1).map(str::to_owned).collect();
    assert_eq!(
        lines,
        [
            "1. Grup 1 (2 anggota)",
            "2. Grup 2 (2 anggota) 👑",
            "3. Grup 10 (2 anggota)",
            "4. Toko Sembako (3 anggota) 👑",
        ]
    );

    send(&tenant, callback_update("groups:search", 9)).await;
    sees(&telegram, "sendMessage", "sebagian nama grup").await;
    send(&tenant, text_update("toko")).await;
    let found = sees(&telegram, "sendMessage", "\"toko\"").await;
    assert!(
        text_of(&found).ends_with("4. Toko Sembako (3 anggota) 👑"),
        "{}",
        text_of(&found)
    );

    send(&tenant, callback_update("groups:csv", 9)).await;
    let export = telegram.wait_for("sendDocument", |_| true).await;
    // The file travels as a part that `document` names (`attach://<part>`).
    let part = export.params["document"]
        .as_str()
        .and_then(|d| d.strip_prefix("attach://"))
        .unwrap();
    assert_eq!(export.params[part]["file_name"], "groups.csv");
    assert!(export.params[part]["size"].as_u64().unwrap() > 40);
    assert_eq!(export.params["caption"], "4 grup");

    tenant.stop.cancel();
    tenant.task.await.unwrap();
}

#[tokio::test]
async fn invite_links_run_as_a_job_with_progress_and_a_summary() {
    let (_dir, telegram, fake, tenant) = paired().await;
    fake.add_group("Grup 1", &["6281200000001"], true);
    fake.add_group("Grup 2", &["6281200000001"], false);
    fake.add_group("Grup 3", &["6281200000001"], true);

    send(&tenant, callback_update("job:links", 9)).await;
    sees(&telegram, "sendMessage", "Grup yang mana").await;
    send(&tenant, text_update("5")).await;
    sees(&telegram, "sendMessage", "Nomor 5 tidak ada").await;
    send(&tenant, text_update("1-3")).await;
    let confirm = sees(&telegram, "sendMessage", "untuk 3 grup").await;
    assert!(
        text_of(&confirm).contains("• Grup 1\n• Grup 2\n• Grup 3"),
        "{}",
        text_of(&confirm)
    );
    send(&tenant, callback_update("job:start", 9)).await;

    let done = sees(&telegram, "editMessageText", "2 berhasil").await;
    assert_eq!(text_of(&done), "Link undangan: ✅ 2 berhasil, ❌ 1 gagal.");
    let results = telegram
        .wait_for("sendMessage", |c| {
            text_of(c).contains("✅ Grup 1: https://chat.whatsapp.com/")
        })
        .await;
    let lines: Vec<String> = text_of(&results).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines[1].starts_with("❌ Grup 2: "), "{lines:?}");
    assert!(
        lines[2].starts_with("✅ Grup 3: https://chat.whatsapp.com/"),
        "{lines:?}"
    );

    // A second press of Start finds nothing pending.
    send(&tenant, callback_update("job:start", 9)).await;
    telegram
        .wait_for("answerCallbackQuery", |c| {
            c.params["callback_query_id"] == "cb1"
        })
        .await;
    tenant.stop.cancel();
    tenant.task.await.unwrap();
}

#[tokio::test]
async fn a_cancelled_job_stops_at_the_next_group() {
    let (_dir, telegram, fake, tenant) = paired().await;
    for n in 1..=5 {
        fake.add_group(&format!("Grup {n}"), &["6281200000001"], true);
    }
    for update in [
        callback_update("job:links", 9),
        text_update("all"),
        callback_update("job:start", 9),
    ] {
        send(&tenant, update).await;
    }
    // The first group is done at once; the next waits two seconds.
    sees(&telegram, "sendMessage", "dimulai").await;
    send(&tenant, callback_update("job:cancel", 9)).await;
    let done = sees(&telegram, "editMessageText", "tidak dicoba").await;
    let text = text_of(&done);
    let skipped: u32 = text
        .split(", ")
        .last()
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(skipped >= 3, "{text}");
    tenant.stop.cancel();
    tenant.task.await.unwrap();
}

#[tokio::test]
async fn leaving_groups_says_farewell_first() {
    let (_dir, telegram, fake, tenant) = paired().await;
    let jids: Vec<String> = (1..=3)
        .map(|n| fake.add_group(&format!("Grup {n}"), &["6281200000001"], false))
        .collect();
    for update in [
        callback_update("job:leave", 9),
        text_update("Grup 1\nGrup 3"),
    ] {
        send(&tenant, update).await;
    }
    sees(&telegram, "sendMessage", "pesan perpisahan").await;
    send(&tenant, text_update("Terima kasih semua!")).await;
    telegram
        .wait_for("sendMessage", |c| {
            text_of(c).contains("Keluar dari grup untuk 2 grup")
        })
        .await;
    send(&tenant, callback_update("job:start", 9)).await;
    telegram
        .wait_for("editMessageText", |c| {
            text_of(c) == "Keluar dari grup: ✅ 2 berhasil, ❌ 0 gagal."
        })
        .await;
    assert_eq!(
        fake.sent(),
        [
            (jids[0].clone(), "Terima kasih semua!".to_owned()),
            (jids[2].clone(), "Terima kasih semua!".to_owned()),
        ]
    );
    use tenant_bot::whatsapp::WhatsApp as _;
    let left: Vec<String> = fake
        .groups()
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.name)
        .collect();
    assert_eq!(left, ["Grup 2"]);
    tenant.stop.cancel();
    tenant.task.await.unwrap();
}

#[tokio::test]
async fn a_description_too_long_is_refused_before_anything_is_sent() {
    let (_dir, telegram, fake, tenant) = paired().await;
    let jids: Vec<String> = (1..=2)
        .map(|n| fake.add_group(&format!("Grup {n}"), &["6281200000001"], true))
        .collect();
    for update in [callback_update("job:description", 9), text_update("all")] {
        send(&tenant, update).await;
    }
    telegram
        .wait_for("sendMessage", |c| {
            text_of(c).contains("Kirim deskripsi baru")
        })
        .await;
    let long = "x".repeat(600);
    send(&tenant, text_update(&long)).await;
    sees(&telegram, "sendMessage", "600 karakter").await;
    send(&tenant, text_update("Grup jual beli, sopan ya")).await;
    telegram
        .wait_for("sendMessage", |c| {
            text_of(c).contains("Deskripsi baru untuk 2 grup")
        })
        .await;
    send(&tenant, callback_update("job:start", 9)).await;
    sees(&telegram, "editMessageText", "✅ 2 berhasil").await;
    for jid in &jids {
        assert_eq!(
            fake.description(jid).as_deref(),
            Some("Grup jual beli, sopan ya")
        );
    }
    tenant.stop.cancel();
    tenant.task.await.unwrap();
}
