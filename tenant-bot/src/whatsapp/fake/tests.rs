use std::time::Duration;

use crds::PhoneNumber;

use super::*;
use crate::whatsapp::{MemberFailure, MemberOutcome, Membership, WhatsApp};

const OWN: &str = "447700900123";

fn phone() -> PhoneNumber {
    OWN.parse().unwrap()
}

/// A fake that is paired and connected.
async fn online() -> Fake {
    let fake = Fake::new();
    fake.request_pairing_code(&phone()).await.unwrap();
    fake.enter_code().unwrap();
    fake
}

#[tokio::test]
async fn pairing_completes_only_when_the_code_is_entered() {
    let fake = Fake::new();
    let mut events = fake.events();
    assert!(!fake.is_paired().await);
    let code = fake.request_pairing_code(&phone()).await.unwrap();
    assert_eq!(code.len(), 8);
    assert!(!fake.is_paired().await);
    assert_eq!(fake.groups().await, Err(Error::NotPaired));

    fake.enter_code().unwrap();
    assert!(fake.is_paired().await);
    assert_eq!(
        events.recv().await.unwrap(),
        Event::Paired {
            jid: format!("{OWN}:1@s.whatsapp.net"),
            push_name: "Fake account".into(),
        }
    );
    assert_eq!(events.recv().await.unwrap(), Event::Connected);
}

#[tokio::test]
async fn a_cancelled_pairing_cannot_complete() {
    let fake = Fake::new();
    fake.request_pairing_code(&phone()).await.unwrap();
    fake.cancel_pairing().await.unwrap();
    assert_eq!(fake.enter_code(), Err(Error::NotPaired));
    assert!(!fake.is_paired().await);
}

#[tokio::test]
async fn injected_failures_come_first_then_success() {
    let fake = online().await;
    let limited = Error::RateLimited {
        retry_after: Duration::from_secs(5),
    };
    fake.fail_next("create_group", limited.clone(), 2);
    assert_eq!(fake.create_group("Grup 1", &[]).await, Err(limited.clone()));
    assert_eq!(fake.create_group("Grup 1", &[]).await, Err(limited));
    let group = fake.create_group("Grup 1", &[]).await.unwrap();
    assert!(group.is_admin);
    // Other operations were not affected.
    assert_eq!(fake.groups().await.unwrap().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn latency_is_applied_to_every_operation() {
    let fake = online().await;
    fake.set_latency(Duration::from_secs(3));
    let started = tokio::time::Instant::now();
    fake.groups().await.unwrap();
    assert_eq!(started.elapsed(), Duration::from_secs(3));
}

#[tokio::test]
async fn logout_and_ban_end_the_session_with_an_event() {
    let fake = online().await;
    let mut events = fake.events();
    fake.log_out_from_phone();
    assert_eq!(events.recv().await.unwrap(), Event::LoggedOut);
    assert!(!fake.is_paired().await);
    assert_eq!(fake.groups().await, Err(Error::NotPaired));

    let fake = online().await;
    let mut events = fake.events();
    fake.ban(Some(1_900_000_000));
    assert_eq!(
        events.recv().await.unwrap(),
        Event::Banned {
            until: Some(1_900_000_000)
        }
    );
    assert_eq!(fake.groups().await, Err(Error::Banned));
    assert_eq!(fake.connect().await, Err(Error::Banned));
}

#[tokio::test]
async fn members_follow_the_documented_number_rules() {
    let fake = online().await;
    let group = fake.add_group("Grup A", &["447700900001"], true);
    let numbers: Vec<String> = [
        "447700900002",
        "100000000888",
        "100000000999",
        "447700900001",
    ]
    .map(String::from)
    .into();
    let outcomes = fake
        .change_members(&group, Membership::Add, &numbers)
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        [
            ("447700900002".into(), MemberOutcome::Ok),
            ("100000000888".into(), MemberOutcome::Invited),
            (
                "100000000999".into(),
                MemberOutcome::Failed(MemberFailure::NotOnWhatsApp)
            ),
            (
                "447700900001".into(),
                MemberOutcome::Failed(MemberFailure::AlreadyMember)
            ),
        ]
    );
    let promote = fake
        .change_members(&group, Membership::Promote, &["447700900002".into()])
        .await
        .unwrap();
    assert_eq!(promote[0].1, MemberOutcome::Ok);
    let info = fake.groups().await.unwrap().remove(0);
    assert!(info.admins.contains(&"447700900002".to_owned()));
}

#[tokio::test]
async fn admin_only_operations_need_admin_rights() {
    let fake = online().await;
    let not_admin = fake.add_group("Grup B", &[], false);
    assert_eq!(
        fake.set_description(&not_admin, "x").await,
        Err(Error::NotAdmin)
    );
    assert_eq!(
        fake.invite_link(&not_admin, false).await,
        Err(Error::NotAdmin)
    );
    assert_eq!(
        fake.set_description("nope@g.us", "x").await,
        Err(Error::GroupNotFound)
    );
}

#[tokio::test]
async fn limits_and_formats_are_checked() {
    let fake = online().await;
    let long_name = "n".repeat(MAX_NAME_CHARS + 1);
    assert!(matches!(
        fake.create_group(&long_name, &[]).await,
        Err(Error::Rejected(_))
    ));
    let group = fake.add_group("Grup C", &[], true);
    let long_text = "d".repeat(MAX_DESCRIPTION_CHARS + 1);
    assert!(matches!(
        fake.set_description(&group, &long_text).await,
        Err(Error::Rejected(_))
    ));
    assert!(matches!(
        fake.set_photo(&group, b"GIF89a").await,
        Err(Error::Rejected(_))
    ));
    fake.set_photo(&group, &[0xFF, 0xD8, 0xFF, 0xE0])
        .await
        .unwrap();
    assert!(matches!(
        fake.set_setting(&group, Setting::DisappearingSeconds(5))
            .await,
        Err(Error::Rejected(_))
    ));
    fake.set_setting(&group, Setting::DisappearingSeconds(86_400))
        .await
        .unwrap();
    fake.set_setting(&group, Setting::AdminsOnlyMessages(true))
        .await
        .unwrap();
    assert_eq!(
        fake.settings(&group),
        [
            Setting::DisappearingSeconds(86_400),
            Setting::AdminsOnlyMessages(true)
        ]
    );
}

#[tokio::test]
async fn invites_joins_requests_and_messages() {
    let fake = online().await;
    let group = fake.add_group("Grup D", &[], true);
    let link = fake.invite_link(&group, false).await.unwrap();
    let reset = fake.invite_link(&group, true).await.unwrap();
    assert!(link.starts_with("https://chat.whatsapp.com/"));
    assert_ne!(link, reset);

    let code = fake.add_joinable("Grup E");
    let joined = fake.join_with_code(&code).await.unwrap();
    assert!(fake.groups().await.unwrap().iter().any(|g| g.jid == joined));
    assert_eq!(
        fake.join_with_code("bogus").await,
        Err(Error::InvalidInvite)
    );

    fake.request_to_join(&group, &["447700900005", "447700900006"]);
    assert_eq!(fake.join_requests(&group).await.unwrap().len(), 2);
    fake.answer_join_requests(&group, &["447700900005".into()], true)
        .await
        .unwrap();
    assert_eq!(
        fake.join_requests(&group).await.unwrap(),
        ["447700900006".to_owned()]
    );

    fake.send_text(&group, "halo").await.unwrap();
    assert_eq!(fake.sent(), [(group.clone(), "halo".to_owned())]);
    fake.leave(&group).await.unwrap();
    assert_eq!(fake.send_text(&group, "x").await, Err(Error::GroupNotFound));
}

#[tokio::test]
async fn a_state_file_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("whatsmeow-1-62812.db");
    let group = {
        let fake = Fake::persistent(&path).unwrap();
        fake.request_pairing_code(&phone()).await.unwrap();
        fake.enter_code().unwrap();
        fake.create_group("Grup F", &[]).await.unwrap().jid
    };
    let fake = Fake::persistent(&path).unwrap();
    assert!(fake.is_paired().await, "no pairing after a restart");
    // A restarted client starts disconnected and reconnects from its store.
    assert!(matches!(fake.groups().await, Err(Error::Transient(_))));
    fake.connect().await.unwrap();
    let groups = fake.groups().await.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].jid, group);
}

#[tokio::test]
async fn a_corrupt_state_file_is_an_error_not_a_reset() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("whatsmeow-1-62812.db");
    std::fs::write(&path, b"{not a database").unwrap();
    assert!(Fake::persistent(&path).is_err());
    assert_eq!(std::fs::read(&path).unwrap(), b"{not a database");

    // A database that holds no fake session (a real store, say) is not
    // taken for one either.
    let other = dir.path().join("whatsmeow-2-62812.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute("CREATE TABLE whatsmeow_device (jid TEXT)", [])
        .unwrap();
    assert!(Fake::persistent(&other).is_err());
}

#[tokio::test]
async fn the_state_file_is_an_sqlite_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("whatsmeow-1-62812.db");
    let fake = Fake::persistent(&path).unwrap();
    fake.request_pairing_code(&phone()).await.unwrap();
    fake.enter_code().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"SQLite format 3\0"));
}
