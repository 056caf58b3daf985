//! Keywords in both languages: the questions name the words of the
//! owner's language, and the words of every language are understood, in
//! any case, with or without a slash.

use crds::Language;

use super::owner::{Owner, Shown};
use crate::whatsapp::WhatsApp as _;

/// The start of the confirmation of leaving `count` groups.
fn confirmation(language: Language, count: usize) -> &'static str {
    match (language, count) {
        (Language::Id, 1) => "Keluar dari grup untuk 1 grup",
        (Language::Id, _) => "untuk 2 grup",
        (Language::En, 1) => "Leave groups for 1 groups",
        (Language::En, _) => "for 2 groups",
    }
}

/// The owner opens the group list and begins `feature`'s job.
async fn begin(owner: &mut Owner, feature: &str) {
    owner.types("/groups").await;
    owner.is_told("Grup 2").await;
    owner.presses(&format!("job:{feature}")).await;
}

#[tokio::test]
async fn indonesian_words_pick_all_skip_and_say_no() {
    let mut owner = Owner::start(Language::Id, &["Grup 1", "Grup 2"]).await;
    begin(&mut owner, "leave").await;
    owner.is_told("(misalnya 1-3,7 atau semua)").await;
    owner.types(" SEMUA ").await;
    owner.is_told("sebelum keluar, atau /lewati.").await;
    owner.types("lewati").await;
    owner.is_told("Keluar dari grup untuk 2 grup").await;
    owner.types("Tidak").await;
    owner.is_told("Tidak ada yang dijalankan.").await;
    assert_eq!(owner.fake.groups().await.unwrap().len(), 2, "no group left");
}

#[tokio::test]
async fn english_words_pick_all_skip_and_say_no() {
    let mut owner = Owner::start(Language::En, &["Grup 1", "Grup 2"]).await;
    begin(&mut owner, "leave").await;
    owner.is_told("(e.g. 1-3,7 or all)").await;
    owner.types("All").await;
    owner.is_told("before leaving, or /skip.").await;
    owner.types("/skip").await;
    owner.is_told("Leave groups for 2 groups").await;
    owner.types("no").await;
    owner.is_told("Nothing was started.").await;
}

#[tokio::test]
async fn english_words_are_understood_in_indonesian_and_back() {
    let mut owner = Owner::start(Language::Id, &["Grup 1", "Grup 2"]).await;
    begin(&mut owner, "leave").await;
    owner.types("all").await;
    owner.is_told("/lewati").await;
    owner.types("/SKIP").await;
    owner.is_told("untuk 2 grup").await;
    owner.types("no").await;
    owner.is_told("Tidak ada yang dijalankan.").await;

    let mut owner = Owner::start(Language::En, &["Grup 1", "Grup 2"]).await;
    begin(&mut owner, "leave").await;
    owner.types("semua").await;
    owner.is_told("/skip").await;
    owner.types("/lewati").await;
    owner.is_told("for 2 groups").await;
    owner.types("tidak").await;
    owner.is_told("Nothing was started.").await;
}

#[tokio::test]
async fn yes_typed_at_the_confirmation_starts_the_job() {
    for (language, yes, pause, started) in [
        (Language::Id, "Ya", "0 detik", "✅ 2 berhasil"),
        (Language::En, "YES", "0s", "✅ 2 done"),
    ] {
        let mut owner = Owner::start(language, &["Grup 1", "Grup 2"]).await;
        begin(&mut owner, "leave").await;
        owner.types("1-2").await;
        owner.types("/skip").await;
        owner.is_told(confirmation(language, 2)).await;
        owner.presses("job:delay:other").await;
        owner.types(pause).await;
        owner.types("hmm").await;
        let hint = match language {
            Language::Id => "Ketik ya atau tidak",
            Language::En => "Type yes or no",
        };
        owner.is_told(hint).await;
        owner.types(yes).await;
        owner.is_told(started).await;
        assert_eq!(
            owner.fake.groups().await.unwrap(),
            vec![],
            "both groups left"
        );
    }
}

#[tokio::test]
async fn the_word_for_cancel_ends_every_question() {
    for (language, word, cancelled) in [
        (Language::Id, "batal", "Dibatalkan; tidak ada yang diubah."),
        (Language::Id, "/Batal", "Dibatalkan; tidak ada yang diubah."),
        (Language::Id, "cancel", "Dibatalkan; tidak ada yang diubah."),
        (Language::En, "/cancel", "Cancelled; nothing was changed."),
        (Language::En, "BATAL", "Cancelled; nothing was changed."),
    ] {
        let mut owner = Owner::start(language, &["Grup 1", "Grup 2"]).await;
        // At the selection, at a step, at the pause and at the
        // confirmation.
        for answers in [
            &[][..],
            &["1"][..],
            &["1", "/skip", "delay"][..],
            &["1", "/skip"][..],
        ] {
            begin(&mut owner, "leave").await;
            for answer in answers {
                if *answer == "delay" {
                    owner.is_told(confirmation(language, 1)).await;
                    owner.presses("job:delay:other").await;
                } else {
                    owner.types(answer).await;
                }
            }
            owner.types(word).await;
            owner.is_told(cancelled).await;
            // Nothing is left to start.
            owner.types("ya").await;
            owner.is_told("/help").await;
        }
        // And the search of the groups.
        owner.presses("groups:search").await;
        owner.types(word).await;
        owner.is_told(cancelled).await;
    }
}

#[tokio::test]
async fn the_word_for_done_ends_the_variants() {
    for (language, done, asked) in [
        (Language::Id, "Selesai", "lalu /selesai."),
        (Language::En, "/done", "then /done."),
        (Language::En, "/selesai", "then /done."),
    ] {
        let mut owner = Owner::start(language, &["Grup 1", "Grup 2"]).await;
        begin(&mut owner, "broadcast").await;
        owner.types("semua").await;
        owner.is_told(asked).await;
        owner.types("Halo semua").await;
        owner.types(done).await;
        let confirm = owner.is_told(confirmation(language, 2)).await;
        assert!(
            matches!(&confirm, Shown::Sent { buttons, .. } if buttons.contains(&"job:start".to_owned())),
            "{confirm:?}"
        );
    }
}

#[tokio::test]
async fn a_pause_is_typed_with_the_word_for_seconds() {
    for (language, typed, shown) in [
        (Language::Id, "5 detik", "jeda 5 detik"),
        (Language::Id, "7dtk", "jeda 7 detik"),
        (Language::En, "10 seconds", "10 seconds apart"),
        (Language::En, "3s", "3 seconds apart"),
        (Language::En, " 4 Detik ", "4 seconds apart"),
    ] {
        let mut owner = Owner::start(language, &["Grup 1", "Grup 2"]).await;
        begin(&mut owner, "leave").await;
        owner.types("1").await;
        owner.types("/skip").await;
        owner.is_told(confirmation(language, 1)).await;
        owner.presses("job:delay:other").await;
        owner.types(typed).await;
        owner.is_told(shown).await;
    }
    let mut owner = Owner::start(Language::Id, &["Grup 1", "Grup 2"]).await;
    begin(&mut owner, "leave").await;
    owner.types("1").await;
    owner.types("/lewati").await;
    owner.is_told(confirmation(Language::Id, 1)).await;
    owner.presses("job:delay:other").await;
    owner.types("5 menit").await;
    owner.is_told("Kirim bilangan bulat detik").await;
}

#[tokio::test]
async fn members_of_new_groups_are_skipped_with_the_word_for_skip() {
    for (language, skip, asked) in [
        (Language::Id, "lewati", "atau /lewati."),
        (Language::En, "Skip", "or /skip."),
    ] {
        let mut owner = Owner::start(language, &["Grup 1", "Grup 2"]).await;
        begin(&mut owner, "create").await;
        owner.types("Kue x 2").await;
        owner.is_told(asked).await;
        owner.types(skip).await;
        let settings = match language {
            Language::Id => "Pengaturan untuk grup baru",
            Language::En => "Settings for the new groups",
        };
        owner.is_told(settings).await;
        owner.presses("job:set:ok").await;
        owner.is_told("Kue 2").await;
    }
}

#[tokio::test]
async fn logging_out_is_answered_by_typing_yes_or_no() {
    for (language, no, kept, yes, done) in [
        (
            Language::Id,
            "tidak",
            "Tidak jadi keluar.",
            "ya",
            "Akun telah dikeluarkan.",
        ),
        (
            Language::En,
            "No",
            "Not logged out.",
            "yes",
            "The account was logged out.",
        ),
    ] {
        let mut owner = Owner::start(language, &["Grup 1"]).await;
        owner.types("/logout").await;
        owner.is_told("WhatsApp").await;
        owner.types(no).await;
        owner.is_told(kept).await;
        owner.types("/logout").await;
        owner.is_told("WhatsApp").await;
        owner.types("Batal").await;
        owner.is_told(kept).await;
        assert!(owner.fake.is_paired().await);
        owner.types("/logout").await;
        owner.is_told("WhatsApp").await;
        owner.types(yes).await;
        owner.is_told(done).await;
        assert!(!owner.fake.is_paired().await);
    }
}

#[tokio::test]
async fn a_selection_file_may_hold_the_word_for_all() {
    let mut owner = Owner::start(Language::Id, &["Grup 1", "Grup 2"]).await;
    begin(&mut owner, "leave").await;
    owner.uploads("pilihan.txt", b"\xEF\xBB\xBFSemua\r\n").await;
    owner.is_told("/lewati").await;
    owner.types("/lewati").await;
    owner.is_told(confirmation(Language::Id, 2)).await;
}
