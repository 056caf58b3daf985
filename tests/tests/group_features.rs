//! Every group feature through the tenant's runtime, driven the way the
//! owner drives it (typed text, button presses, uploaded files) against
//! the fake WhatsApp and the fake Bot API: for each, the effect on the
//! groups and what the owner was told, bad inputs included.
#![allow(clippy::unwrap_used)]

use std::io::Cursor;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tenant_bot::whatsapp::fake::Fake;
use tenant_bot::whatsapp::{Error, GroupInfo, Setting, WhatsApp as _};
use tests::fake_telegram::FakeTelegram;
use tests::owner::{
    CREDENTIAL, Owner, document_update, pair, paired, send, start, start_refreshing, text_update,
};

async fn groups(fake: &Fake) -> Vec<GroupInfo> {
    fake.groups().await.unwrap()
}

fn named<'a>(groups: &'a [GroupInfo], name: &str) -> &'a GroupInfo {
    groups.iter().find(|g| g.name == name).unwrap()
}

/// A PNG of `width` x `height` pixels.
fn png(width: u32, height: u32) -> Vec<u8> {
    let image =
        image::RgbImage::from_fn(width, height, |x, _| image::Rgb([(x % 256) as u8, 90, 200]));
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    bytes.into_inner()
}

#[tokio::test]
async fn groups_are_created_with_members_settings_and_links() {
    let (_dir, telegram, fake, tenant) = paired().await;
    let mut owner = Owner::new(&telegram, &tenant);
    owner.presses("job:create").await;
    owner.is_told("\"Toko x 10\"").await;
    owner.types("Kue x 0").await;
    owner.is_told("0 grup? Pilih 1 sampai 100.").await;
    owner.types(&"x".repeat(101)).await;
    owner
        .is_told("terlalu panjang; WhatsApp membolehkan 100 karakter")
        .await;
    owner.types("Kue x 3").await;
    owner.is_told("ke setiap grup baru").await;
    owner
        .types("0812-0000-0001\n0812-0000-0888\nbukan nomor")
        .await;
    owner.is_told("Pengaturan untuk grup baru").await;
    owner.presses("job:set:0:1").await;
    owner
        .is_told("💬 Yang boleh mengirim pesan: hanya admin")
        .await;
    owner.presses("job:set:ok").await;
    let confirm = owner.is_told("Buat grup untuk 3 grup, jeda 2 detik").await;
    for line in [
        "• Kue 1\n• Kue 2\n• Kue 3",
        "Nomor: 2",
        "• Nomor tidak valid (1): bukan nomor (bukan nomor)",
        "💬 Yang boleh mengirim pesan: hanya admin",
    ] {
        assert!(confirm.contains(line), "{line} in {confirm}");
    }
    owner.presses("job:delay:0").await;
    owner.is_told("Buat grup untuk 3 grup, jeda 0 detik").await;
    owner.presses("job:start").await;
    owner.is_told("Buat grup: ✅ 3 berhasil, ❌ 0 gagal.").await;
    let results = owner.is_told("✅ Kue 1: https://chat.whatsapp.com/").await;
    assert_eq!(results.lines().count(), 3, "{results}");

    let all = groups(&fake).await;
    for n in 1..=3 {
        let group = named(&all, &format!("Kue {n}"));
        assert!(group.is_admin);
        assert!(group.members.contains(&"6281200000001".to_owned()));
        // Only an invite reaches a number whose privacy forbids adding.
        assert!(!group.members.contains(&"6281200000888".to_owned()));
        assert_eq!(
            fake.settings(&group.jid),
            [Setting::AdminsOnlyMessages(true)]
        );
    }
    // The list knows the new groups without a refresh.
    owner.types("/groups").await;
    owner.is_told("3. Kue 3").await;
    tenant.shut_down().await;
}

#[tokio::test]
async fn groups_are_joined_by_links_each_once() {
    let (_dir, telegram, fake, tenant) = paired().await;
    let a = fake.add_joinable("Komunitas A");
    let b = fake.add_joinable("Komunitas B");
    let mut owner = Owner::new(&telegram, &tenant);
    owner.presses("job:join").await;
    owner.is_told("Kirim link undangan").await;
    owner.types("halo semua").await;
    owner.is_told("Tidak ada link undangan WhatsApp").await;
    let list = format!(
        "https://chat.whatsapp.com/{a}\nchat.whatsapp.com/{b}\n\
         Gabung ya: https://chat.whatsapp.com/{a}\nhttps://wa.me/6281200000001\n\
         https://chat.whatsapp.com/AAAAAAAAAAAAAAAAAAAAAA\n"
    );
    owner.uploads("link.txt", list.into_bytes()).await;
    let confirm = owner.is_told("Gabung lewat link untuk 3 grup").await;
    assert!(
        confirm.contains("Bukan link undangan WhatsApp (1): "),
        "{confirm}"
    );
    assert!(confirm.contains("wa.me/6281200000001"), "{confirm}");
    assert!(
        confirm.contains(&format!(
            "• Link berulang, digabung sekali (1): chat.whatsapp.com/{a}"
        )),
        "{confirm}"
    );
    owner.presses("job:delay:0").await;
    owner.is_told("jeda 0 detik").await;
    owner.presses("job:start").await;
    owner
        .is_told("Gabung lewat link: ✅ 2 berhasil, ❌ 1 gagal")
        .await;
    let results = owner.is_told("Komunitas A").await;
    assert!(
        results.contains(&format!("✅ chat.whatsapp.com/{a}: Komunitas A")),
        "{results}"
    );
    assert!(
        results.contains("❌ chat.whatsapp.com/AAAAAAAAAAAAAAAAAAAAAA: link undangan tidak valid")
    );
    let names: Vec<String> = groups(&fake).await.into_iter().map(|g| g.name).collect();
    assert_eq!(names, ["Komunitas A", "Komunitas B"]);
    tenant.shut_down().await;
}

#[tokio::test]
async fn members_are_added_from_a_vcard_and_bad_files_are_explained() {
    let (_dir, telegram, fake, tenant) = paired().await;
    let jid = fake.add_group("Grup 1", &[], true);
    fake.add_group("Grup 2", &[], false);
    let mut owner = Owner::new(&telegram, &tenant);
    owner.presses("job:add").await;
    owner.is_told("Grup yang mana").await;
    owner.types("1-2").await;
    owner.is_told("Kirim nomor telepon").await;

    owner.types("halo").await;
    owner.is_told("Tidak ada nomor telepon yang valid").await;
    owner.uploads("kosong.txt", vec![]).await;
    owner.is_told("Berkas kosong.").await;
    owner.uploads("data.txt", vec![0, 1, 2, 255]).await;
    owner.is_told("bukan teks biasa").await;
    let no_numbers = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Tanpa Nomor\r\nEND:VCARD\r\n";
    owner.uploads("kontak.vcf", no_numbers.into()).await;
    owner.is_told("Tidak ada kontak dengan nomor telepon").await;
    // Telegram says how big a file is; a huge one is never downloaded.
    send(&tenant, document_update("huge", "besar.txt", 30_000_000)).await;
    owner.is_told("Berkas terlalu besar.").await;

    let cards = "BEGIN:VCARD\nVERSION:2.1\nN:Satu;Ani\nTEL;CELL:+62 812-0000-0002\n\
                 TEL;HOME:0812-0000-0888\nEND:VCARD\n\
                 BEGIN:VCARD\nVERSION:4.0\nFN:Budi\nTEL;VALUE=uri:tel:+62-812-0000-0999\nEND:VCARD\n";
    owner.uploads("kontak.vcf", cards.into()).await;
    let confirm = owner.is_told("Tambah anggota untuk 2 grup").await;
    assert!(confirm.contains("Nomor: 3"), "{confirm}");
    owner.presses("job:delay:0").await;
    owner.is_told("jeda 0 detik").await;
    owner.presses("job:start").await;
    owner
        .is_told("Tambah anggota: ✅ 1 berhasil, ❌ 1 gagal")
        .await;
    let results = owner.is_told("Grup 1").await;
    assert_eq!(
        results,
        "✅ Grup 1: ditambahkan +6281200000002; diundang (privasi) +6281200000888; \
         gagal +6281200000999 (tidak memakai WhatsApp)\n\
         ❌ Grup 2: akun ini bukan admin grup ini"
    );
    let group = groups(&fake)
        .await
        .into_iter()
        .find(|g| g.jid == jid)
        .unwrap();
    assert!(group.members.contains(&"6281200000002".to_owned()));
    tenant.shut_down().await;
}

#[tokio::test]
async fn promotions_and_demotions_are_verified() {
    let (_dir, telegram, fake, tenant) = paired().await;
    let jid = fake.add_group("Grup 1", &["6281200000001", "6281200000002"], true);
    let mut owner = Owner::new(&telegram, &tenant);
    owner.presses("job:promote").await;
    owner.types("1").await;
    owner.is_told("Kirim nomor telepon").await;
    owner.types("0812-0000-0001, 0812-0000-0003").await;
    owner.is_told("Jadikan admin untuk 1 grup").await;
    owner.presses("job:start").await;
    owner
        .is_told("✅ Grup 1: dijadikan admin +6281200000001; gagal +6281200000003 (bukan anggota)")
        .await;
    let admins = |all: Vec<GroupInfo>| all.into_iter().find(|g| g.jid == jid).unwrap().admins;
    assert!(admins(groups(&fake).await).contains(&"6281200000001".to_owned()));

    owner.presses("job:demote").await;
    owner.types("1").await;
    owner.is_told("Kirim nomor telepon").await;
    owner.types("+62 812 0000 0001").await;
    owner.is_told("Copot admin untuk 1 grup").await;
    owner.presses("job:start").await;
    owner
        .is_told("✅ Grup 1: dicopot dari admin +6281200000001")
        .await;
    assert!(!admins(groups(&fake).await).contains(&"6281200000001".to_owned()));
    tenant.shut_down().await;
}

#[tokio::test]
async fn a_photo_is_squared_and_set_on_the_groups_picked_from_a_file() {
    let (_dir, telegram, fake, tenant) = paired().await;
    let jids: Vec<String> = (1..=3)
        .map(|n| fake.add_group(&format!("Grup {n}"), &[], true))
        .collect();
    let mut owner = Owner::new(&telegram, &tenant);
    owner.presses("job:photo").await;
    owner.is_told("Grup yang mana").await;
    // Names in a file saved by Windows Notepad.
    owner
        .uploads("grup.txt", "\u{feff}Grup 1\r\nGrup 3\r\n".into())
        .await;
    owner.is_told("Kirim fotonya").await;
    owner.types("ini bukan foto").await;
    owner.is_told("Kirim fotonya").await;
    owner
        .uploads("foto.png", b"not an image at all".to_vec())
        .await;
    owner.is_told("bukan gambar yang bisa dibaca").await;
    owner.uploads("kecil.png", png(100, 100)).await;
    owner.is_told("WhatsApp butuh minimal 192×192").await;
    owner.sends_photo(png(1280, 960)).await;
    let confirm = owner.is_told("Foto baru untuk 2 grup").await;
    assert!(confirm.contains("• Grup 1\n• Grup 3"), "{confirm}");
    owner.presses("job:start").await;
    owner.is_told("Foto baru: ✅ 2 berhasil").await;
    assert!(fake.photo_bytes(&jids[0]) > 1000);
    assert_eq!(fake.photo_bytes(&jids[1]), 0);
    assert!(fake.photo_bytes(&jids[2]) > 1000);
    tenant.shut_down().await;
}

#[tokio::test]
async fn several_settings_change_at_once_and_the_rest_are_skipped() {
    let (_dir, telegram, fake, tenant) = paired().await;
    let jid = fake.add_group("Grup 1", &[], true);
    let mut owner = Owner::new(&telegram, &tenant);
    owner.presses("job:settings").await;
    owner.types("1").await;
    owner.is_told("Pilih pengaturan yang diubah").await;
    owner.presses("job:set:ok").await;
    owner.is_told("Pilih setidaknya satu pengaturan").await;
    for tap in ["job:set:3:0", "job:set:4:1", "job:set:4:1", "job:set:4:3"] {
        owner.presses(tap).await;
    }
    owner.is_told("⏳ Pesan sementara: 90 hari").await;
    owner.presses("job:set:ok").await;
    let confirm = owner.is_told("Pengaturan grup untuk 1 grup").await;
    assert!(
        confirm.contains("🚪 Setujui anggota baru: aktif"),
        "{confirm}"
    );
    assert!(!confirm.contains("lewati"), "{confirm}");
    owner.presses("job:start").await;
    owner.is_told("Pengaturan grup: ✅ 1 berhasil").await;
    assert_eq!(
        fake.settings(&jid),
        [
            Setting::JoinApproval(true),
            Setting::DisappearingSeconds(7_776_000)
        ]
    );
    tenant.shut_down().await;
}

#[tokio::test]
async fn join_requests_are_listed_then_approved() {
    let (_dir, telegram, fake, tenant) = paired().await;
    let jid = fake.add_group("Grup 1", &[], true);
    fake.request_to_join(&jid, &["6281200000007", "6281200000008"]);
    let mut owner = Owner::new(&telegram, &tenant);
    for action in ["list", "approve"] {
        owner.presses("job:requests").await;
        owner.types("1").await;
        owner.is_told("Permintaan bergabung mau diapakan").await;
        owner.presses(&format!("job:req:{action}")).await;
        owner.is_told("Permintaan bergabung untuk 1 grup").await;
        owner.presses("job:start").await;
        owner
            .is_told("✅ Grup 1: 2: +6281200000007, +6281200000008")
            .await;
    }
    assert!(fake.join_requests(&jid).await.unwrap().is_empty());
    let group = groups(&fake)
        .await
        .into_iter()
        .find(|g| g.jid == jid)
        .unwrap();
    assert!(group.members.contains(&"6281200000008".to_owned()));
    tenant.shut_down().await;
}

#[tokio::test]
async fn a_broadcast_takes_turns_with_its_variants() {
    let (_dir, telegram, fake, tenant) = paired().await;
    let jids: Vec<String> = (1..=3)
        .map(|n| fake.add_group(&format!("Grup {n}"), &[], false))
        .collect();
    let mut owner = Owner::new(&telegram, &tenant);
    owner.presses("job:broadcast").await;
    owner.types("all").await;
    owner.is_told("Kirim pesan yang akan diposting").await;
    owner.types("/done").await;
    owner.is_told("Kirim pesan yang akan diposting").await;
    owner.types("Halo semua").await;
    owner.is_told("Variasi 1 disimpan").await;
    owner.types("Selamat pagi").await;
    owner.is_told("Variasi 2 disimpan").await;
    owner.presses("job:done").await;
    let confirm = owner.is_told("Siaran untuk 3 grup").await;
    assert!(confirm.contains("Variasi pesan: 2"), "{confirm}");
    owner.presses("job:delay:0").await;
    owner.is_told("jeda 0 detik").await;
    owner.presses("job:start").await;
    owner.is_told("Siaran: ✅ 3 berhasil").await;
    assert_eq!(
        fake.sent(),
        [
            (jids[0].clone(), "Halo semua".to_owned()),
            (jids[1].clone(), "Selamat pagi".to_owned()),
            (jids[2].clone(), "Halo semua".to_owned()),
        ]
    );
    tenant.shut_down().await;
}

#[tokio::test]
async fn new_invite_links_for_many_groups_come_as_a_file() {
    let (_dir, telegram, fake, tenant) = paired().await;
    let jids: Vec<String> = (1..=55)
        .map(|n| fake.add_group(&format!("Grup {n}"), &[], true))
        .collect();
    let old = fake.invite_link(&jids[0], false).await.unwrap();
    let mut owner = Owner::new(&telegram, &tenant);
    owner.presses("job:links").await;
    owner.types("all").await;
    let confirm = owner.is_told("Link undangan untuk 55 grup").await;
    assert!(confirm.contains("Link baru: tidak"), "{confirm}");
    owner.presses("job:reset").await;
    owner.is_told("Link baru: ya").await;
    owner.presses("job:delay:other").await;
    owner.is_told("Kirim jeda antar item dalam detik").await;
    owner.types("400").await;
    owner.is_told("dari 0 sampai 300").await;
    owner.types("0").await;
    owner
        .is_told("Link undangan untuk 55 grup, jeda 0 detik")
        .await;
    owner.presses("job:start").await;
    owner.is_told("Link undangan: ✅ 55 berhasil").await;
    let (name, caption) = owner.gets_file().await;
    assert_eq!(name, "invite_links.txt");
    assert!(caption.contains("55 berhasil"), "{caption}");
    assert_ne!(fake.invite_link(&jids[0], false).await.unwrap(), old);
    tenant.shut_down().await;
}

#[tokio::test]
async fn a_rate_limited_job_slows_down_and_still_completes() {
    let (_dir, telegram, fake, tenant) = paired().await;
    for n in 1..=3 {
        fake.add_group(&format!("Grup {n}"), &[], true);
    }
    let wait = Duration::from_secs(1);
    fake.fail_next("invite_link", Error::RateLimited { retry_after: wait }, 2);
    let mut owner = Owner::new(&telegram, &tenant);
    owner.presses("job:links").await;
    owner.types("all").await;
    owner.is_told("Link undangan untuk 3 grup").await;
    owner.presses("job:delay:0").await;
    owner.is_told("jeda 0 detik").await;
    let started = Instant::now();
    owner.presses("job:start").await;
    let done = owner
        .is_told("Link undangan: ✅ 3 berhasil, ❌ 0 gagal.")
        .await;
    assert!(started.elapsed() >= 2 * wait, "{:?}", started.elapsed());
    assert!(
        done.contains("⏸ Dijeda 2 kali karena WhatsApp meminta melambat (total 0:02)."),
        "{done}"
    );
    tenant.shut_down().await;
}

#[tokio::test]
async fn one_job_at_a_time_and_files_only_when_asked() {
    let (_dir, telegram, fake, tenant) = paired().await;
    for n in 1..=5 {
        fake.add_group(&format!("Grup {n}"), &[], true);
    }
    let mut owner = Owner::new(&telegram, &tenant);
    owner.uploads("catatan.txt", b"halo".to_vec()).await;
    owner
        .is_told("Berkas hanya dibaca saat ada pertanyaan")
        .await;
    owner.presses("job:links").await;
    owner.types("all").await;
    owner.is_told("Link undangan untuk 5 grup").await;
    owner.presses("job:start").await;
    owner.is_told("dimulai").await;
    owner.presses("job:leave").await;
    owner
        .is_told("Ada pekerjaan lain yang sedang berjalan")
        .await;
    owner.presses("job:cancel").await;
    owner.is_told("dibatalkan oleh Anda setelah").await;
    tenant.shut_down().await;
}

/// Groups named so that text order ("Grup 1, Grup 10, Grup 11, Grup 12,
/// Grup 2, …") and the order `/groups` shows ("Grup 1, Grup 2, …") differ.
fn twelve_groups(fake: &Fake) {
    for n in [7, 12, 1, 10, 3, 11, 2, 9, 4, 8, 5, 6] {
        fake.add_group(&format!("Grup {n}"), &[], true);
    }
}

/// Leaves groups 1 to 12 as shown, cancels after the first, and checks
/// that exactly the first ones as shown were left, in that order, and
/// that the summary says who stopped it: `said` gives the texts.
async fn a_cancelled_job_did_the_first_groups_as_shown(said: [&str; 4], english: bool) {
    let (_dir, telegram, fake, tenant) = paired().await;
    twelve_groups(&fake);
    let mut owner = Owner::new(&telegram, &tenant);
    if english {
        owner.presses("lang:en").await;
        owner.is_told("English").await;
    }
    owner.presses("job:leave").await;
    owner.types("1-12").await;
    owner.types("/skip").await;
    let confirm = owner.is_told(said[0]).await;
    let shown: Vec<String> = (1..=10).map(|n| format!("• Grup {n}")).collect();
    assert!(confirm.contains(&shown.join("\n")), "{confirm}");
    owner.presses("job:start").await;
    // The first group goes at once; the cancel comes in the pause after.
    owner.is_told(said[1]).await;
    owner.presses("job:cancel").await;
    let ended = owner.is_told(said[2]).await;
    let decided: usize = ended[ended.find(said[2]).unwrap() + said[2].len()..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{ended}"));
    assert!((1..12).contains(&decided), "{ended}");
    assert!(
        ended.contains(&format!("{} {}", said[3], 12 - decided)),
        "{ended}"
    );
    // Left: exactly the first `decided` as shown; the rest are still there.
    let mut left: Vec<String> = groups(&fake).await.into_iter().map(|g| g.name).collect();
    left.sort_by_key(|name| name[5..].parse::<usize>().unwrap());
    let kept: Vec<String> = (decided + 1..=12).map(|n| format!("Grup {n}")).collect();
    assert_eq!(left, kept, "{ended}");
    // The results list them in the order shown.
    let results = owner.is_told("✅ Grup 1").await;
    let listed: Vec<String> = (1..=decided).map(|n| format!("✅ Grup {n}")).collect();
    assert_eq!(results, listed.join("\n"));
    tenant.shut_down().await;
}

#[tokio::test]
async fn a_cancelled_job_says_so_and_did_the_first_groups_as_shown() {
    a_cancelled_job_did_the_first_groups_as_shown(
        [
            "Keluar dari grup untuk 12 grup",
            "Keluar dari grup: 1/12",
            "Keluar dari grup: dibatalkan oleh Anda setelah ",
            "❌ 0 gagal,",
        ],
        false,
    )
    .await;
}

#[tokio::test]
async fn a_cancelled_job_says_so_in_english_too() {
    a_cancelled_job_did_the_first_groups_as_shown(
        [
            "Leave groups for 12 groups",
            "Leave groups: 1/12",
            "Leave groups: cancelled by you after ",
            "❌ 0 failed,",
        ],
        true,
    )
    .await;
}

#[tokio::test]
async fn a_restarted_tenant_resumes_the_job_without_repeating_an_item() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("whatsmeow-fake.db");
    let telegram = FakeTelegram::start(&[CREDENTIAL]).await;
    let fake = Arc::new(Fake::persistent(&state).unwrap());
    let mut tenant = start(&telegram, fake.clone(), dir.path()).await;
    pair(&telegram, &fake, &mut tenant).await;
    let mut owner = Owner::new(&telegram, &tenant);
    owner.presses("job:create").await;
    owner.types("Kue x 4").await;
    owner.is_told("ke setiap grup baru").await;
    owner.types("/skip").await;
    owner.is_told("Pengaturan untuk grup baru").await;
    owner.presses("job:set:ok").await;
    owner.is_told("Buat grup untuk 4 grup, jeda 2 detik").await;
    owner.presses("job:start").await;
    // The first group is made at once; the stop comes in the pause.
    owner.is_told("Buat grup: 1/4").await;
    tenant.shut_down().await;
    drop(fake);

    let fake = Arc::new(Fake::persistent(&state).unwrap());
    let tenant = start(&telegram, fake.clone(), dir.path()).await;
    let mut owner = Owner::new(&telegram, &tenant);
    owner.is_told("Buat grup: dimulai").await;
    let done = owner.is_told("Buat grup: ✅ 4 berhasil, ❌ 0 gagal.").await;
    assert!(
        done.contains("🔄 Dilanjutkan setelah bot akun ini dimulai ulang; tidak ada grup yang dikerjakan dua kali."),
        "{done}"
    );
    let mut names: Vec<String> = groups(&fake).await.into_iter().map(|g| g.name).collect();
    names.sort();
    assert_eq!(names, ["Kue 1", "Kue 2", "Kue 3", "Kue 4"]);
    tenant.shut_down().await;
}

#[tokio::test]
async fn the_group_list_is_refreshed_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let telegram = FakeTelegram::start(&[CREDENTIAL]).await;
    let fake = Arc::new(Fake::new());
    let every = Duration::from_millis(200);
    let mut tenant = start_refreshing(&telegram, fake.clone(), dir.path(), Some(every)).await;
    pair(&telegram, &fake, &mut tenant).await;
    fake.add_group("Grup Lama", &[], true);
    let mut owner = Owner::new(&telegram, &tenant);
    owner.types("/groups").await;
    owner.is_told("1. Grup Lama").await;

    // A group joined on the phone shows up without Refresh: the owner
    // keeps looking until the timer has fetched the list again.
    fake.add_group("Grup Baru", &[], false);
    let looking = async {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            send(&tenant, text_update("/groups")).await;
        }
    };
    tokio::select! {
        _ = owner.is_told("2. Grup Lama") => {}
        () = looking => unreachable!(),
    }
    tenant.shut_down().await;
}
