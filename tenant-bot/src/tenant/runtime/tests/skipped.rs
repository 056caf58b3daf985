//! Nothing dropped in silence: whatever the owner's input leaves out of a
//! job is in the confirmation, before anything runs, with its reason, in
//! both languages; many items go in a file with the counts kept.

use crds::Language;

use super::owner::{Owner, Shown};
use crate::whatsapp::WhatsApp as _;

/// The owner opens the group list and begins `feature`'s job.
async fn begin(owner: &mut Owner, feature: &str) {
    owner.types("/groups").await;
    owner.is_told("Grup 1").await;
    owner.presses(&format!("job:{feature}")).await;
}

/// Asserts that `shown` holds every one of `lines`, each as a whole line.
fn has_lines(shown: &Shown, lines: &[&str]) {
    let text: Vec<&str> = shown.text().lines().collect();
    for line in lines {
        assert!(text.contains(line), "{line:?} not in:\n{}", shown.text());
    }
}

/// An export with a card of a repeated number and a bad one, a named card
/// and an unnamed one without numbers, and a number outside any card.
const CARDS: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ani\r\nTEL:+62 812-0000-0001\r\nTEL:0812\r\nEND:VCARD\r\n\
    BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Tanpa Nomor\r\nEMAIL:tanpa@example.com\r\nEND:VCARD\r\n\
    BEGIN:VCARD\r\nVERSION:2.1\r\nTEL;CELL:\r\nEND:VCARD\r\n\
    TEL:0812-0000-0009\r\n\
    BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Budi\r\nTEL;VALUE=uri:tel:+62-812-0000-0002\r\nTEL:0812 0000 0001\r\nEND:VCARD\r\n";

#[tokio::test]
async fn cards_without_numbers_and_bad_numbers_are_named_in_indonesian() {
    let mut owner = Owner::start(Language::Id, &["Grup 1"]).await;
    begin(&mut owner, "add").await;
    owner.types("semua").await;
    owner.is_told("Kirim nomor telepon").await;
    owner.uploads("kontak.vcf", CARDS.as_bytes()).await;
    let confirm = owner.is_told("Tambah anggota untuk 1 grup").await;
    has_lines(
        &confirm,
        &[
            "Nomor: 2",
            "⚠️ Tidak ikut dikerjakan (5):",
            "• Kartu kontak tanpa nomor telepon (2): Tanpa Nomor; kartu ke-3, tanpa nama",
            "• Nomor di luar kartu kontak (1): 0812-0000-0009",
            "• Nomor tidak valid (1): Ani: 0812 (terlalu pendek)",
            "• Nomor berulang, dipakai sekali (1): Budi: 0812 0000 0001",
        ],
    );
    let group = &owner.fake.groups().await.unwrap()[0];
    assert_eq!(group.members.len(), 1, "nothing ran before the start");
}

#[tokio::test]
async fn typed_numbers_left_out_are_named_in_english() {
    let mut owner = Owner::start(Language::En, &["Grup 1"]).await;
    begin(&mut owner, "promote").await;
    owner.types("1").await;
    owner.is_told("Send the phone numbers").await;
    owner
        .types("0812-0000-0001\nhalo\n+62 812 0000 0001\n0812-0000-0002, 0812")
        .await;
    let confirm = owner.is_told("Promote to admin for 1 groups").await;
    has_lines(
        &confirm,
        &[
            "Numbers: 2",
            "⚠️ Left out of the job (3):",
            "• Invalid numbers (2): halo (not a number); 0812 (too short)",
            "• Repeated numbers, used once (1): +62 812 0000 0001",
        ],
    );
}

#[tokio::test]
async fn links_that_are_no_invites_or_repeats_are_named() {
    for (language, confirmation, lines) in [
        (
            Language::Id,
            "Gabung lewat link untuk 1 grup",
            [
                "⚠️ Tidak ikut dikerjakan (4):",
                "• Bukan link undangan WhatsApp (2): wa.me/6281200000001; https://whatsapp.com/channel/0029VaAbCdEfGhIjKlMnOp12",
                "• Link berulang, digabung sekali (2): chat.whatsapp.com/{code}; chat.whatsapp.com/{code}",
            ],
        ),
        (
            Language::En,
            "Join by links for 1 groups",
            [
                "⚠️ Left out of the job (4):",
                "• Not WhatsApp invite links (2): wa.me/6281200000001; https://whatsapp.com/channel/0029VaAbCdEfGhIjKlMnOp12",
                "• Repeated links, joined once (2): chat.whatsapp.com/{code}; chat.whatsapp.com/{code}",
            ],
        ),
    ] {
        let mut owner = Owner::start(language, &["Grup 1"]).await;
        let code = owner.fake.add_joinable("Komunitas");
        begin(&mut owner, "join").await;
        owner.is_told("chat.whatsapp.com/…").await;
        let links = format!(
            "https://chat.whatsapp.com/{code}\r\nwa.me/6281200000001\r\n\
             *whatsapp://chat?code={code}*\r\nhttps://whatsapp.com/channel/0029VaAbCdEfGhIjKlMnOp12\r\n\
             Gabung: https://chat.whatsapp.com/invite/{code}?mode=ems_copy_t"
        );
        owner.types(&links).await;
        let confirm = owner.is_told(confirmation).await;
        let lines = lines.map(|line| line.replace("{code}", &code));
        has_lines(&confirm, &lines.each_ref().map(String::as_str));
        assert_eq!(
            owner.fake.groups().await.unwrap().len(),
            1,
            "not joined yet"
        );
    }
}

#[tokio::test]
async fn repeated_names_and_names_that_show_nothing_are_named() {
    for (language, lines) in [
        (
            Language::Id,
            [
                "⚠️ Tidak ikut dikerjakan (3):",
                "• Nama tanpa karakter yang terlihat (1): baris 3",
                "• Nama berulang, dibuat sekali (2): Kue; Roti",
            ],
        ),
        (
            Language::En,
            [
                "⚠️ Left out of the job (3):",
                "• Names with no visible character (1): line 3",
                "• Repeated names, made once (2): Kue; Roti",
            ],
        ),
    ] {
        let mut owner = Owner::start(language, &["Grup 1"]).await;
        begin(&mut owner, "create").await;
        owner
            .types("Kue\nRoti\n\u{3164}\u{200b}\nKue\n\nRoti")
            .await;
        owner.types("/skip").await;
        owner.presses("job:set:ok").await;
        let confirm = owner.is_told("• Roti").await;
        has_lines(&confirm, &lines);
    }
}

#[tokio::test]
async fn many_items_go_in_a_file_and_the_confirmation_keeps_the_counts() {
    for (language, heading, count, file, caption, first) in [
        (
            Language::Id,
            "⚠️ Tidak ikut dikerjakan (25; semuanya ada di berkas tidak-dikerjakan.txt):",
            "• Nomor tidak valid (25)",
            "tidak-dikerjakan.txt",
            "Tambah anggota: tidak ikut dikerjakan (25)",
            "Nomor tidak valid (25):\n0812-1 (terlalu pendek)\n",
        ),
        (
            Language::En,
            "⚠️ Left out of the job (25; each one is in the file left-out.txt):",
            "• Invalid numbers (25)",
            "left-out.txt",
            "Add members: left out of the job (25)",
            "Invalid numbers (25):\n0812-1 (too short)\n",
        ),
    ] {
        let mut owner = Owner::start(language, &["Grup 1"]).await;
        begin(&mut owner, "add").await;
        owner.types("1").await;
        let mut numbers: Vec<String> = (1..=25).map(|n| format!("0812-{n}")).collect();
        numbers.push("0812-0000-0001".into());
        owner
            .uploads("nomor.txt", numbers.join("\n").as_bytes())
            .await;
        let sent = owner.is_told(caption).await;
        let Shown::File { name, bytes, .. } = sent else {
            panic!("{sent:?}");
        };
        assert_eq!(name, file);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.starts_with(first), "{text}");
        assert_eq!(text.lines().count(), 27, "{text}");
        let confirm = owner.is_told(heading).await;
        has_lines(&confirm, &[heading, count]);
        assert!(!confirm.text().contains("0812-2"), "{confirm:?}");
        // A new pause shows the counts again, and no second file.
        owner.presses("job:delay:0").await;
        let edited = owner.is_told(heading).await;
        assert!(matches!(edited, Shown::Edited { .. }), "{edited:?}");
        let files = owner
            .all()
            .iter()
            .filter(|s| matches!(s, Shown::File { .. }))
            .count();
        assert_eq!(files, 1);
    }
}

#[tokio::test]
async fn a_confirmation_too_long_for_telegram_sends_its_items_in_a_file() {
    let mut owner = Owner::start(Language::En, &["Grup 1"]).await;
    begin(&mut owner, "add").await;
    owner.types("1").await;
    let long = "0812".repeat(300);
    let numbers = format!("0812-0000-0001\n{long}\n{long}1\n{long}2\n{long}3");
    owner.types(&numbers).await;
    let sent = owner.is_told("Add members: left out of the job (4)").await;
    assert!(matches!(sent, Shown::File { .. }), "{sent:?}");
    let confirm = owner.is_told("⚠️ Left out of the job (4; each one").await;
    assert!(confirm.text().chars().count() <= 4096);
    has_lines(&confirm, &["• Invalid numbers (4)"]);
}
