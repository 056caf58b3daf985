use std::sync::Arc;

use super::*;
use crate::whatsapp::fake::Fake;

/// A linked, connected fake with the account's own number set.
async fn linked() -> Arc<Fake> {
    let fake = Arc::new(Fake::new());
    let phone = "6281200000100".parse().unwrap();
    fake.request_pairing_code(&phone).await.unwrap();
    fake.enter_code().unwrap();
    fake
}

fn members(fake: &Arc<Fake>, change: Membership, numbers: &[&str]) -> Members {
    Members {
        whatsapp: fake.clone(),
        change,
        numbers: numbers.iter().map(|n| (*n).to_owned()).collect(),
        words: Words {
            done: match change {
                Membership::Add => "added",
                Membership::Remove => "removed",
                Membership::Promote => "promoted",
                Membership::Demote => "demoted",
            }
            .into(),
            invited: "invited (privacy)".into(),
            failed: "failed".into(),
            why: Reasons {
                catalog: Arc::new(crate::telegram::Catalog::new().unwrap()),
                language: crds::Language::En,
            },
        },
    }
}

async fn group_of(fake: &Fake, jid: &str) -> whatsapp::GroupInfo {
    let groups = fake.groups().await.unwrap();
    groups.into_iter().find(|g| g.jid == jid).unwrap()
}

#[tokio::test]
async fn adding_members_tells_added_invited_and_failed_apart() {
    let fake = linked().await;
    let jid = fake.add_group("Grup", &["6281200000001"], true);
    let work = members(
        &fake,
        Membership::Add,
        &[
            "6281200000002",
            "6281200000888",
            "6281200000999",
            "6281200000001",
        ],
    );
    let result = work.run(0, &jid).await.unwrap().unwrap();
    assert_eq!(
        result,
        "added +6281200000002; invited (privacy) +6281200000888; \
         failed +6281200000999 (not on WhatsApp), +6281200000001 (already a member)"
    );
    assert!(
        group_of(&fake, &jid)
            .await
            .members
            .contains(&"6281200000002".to_owned())
    );

    // Nobody added or invited: the item failed, with the reasons.
    let none = members(&fake, Membership::Add, &["6281200001999"]);
    assert_eq!(
        none.run(1, &jid).await,
        Err(Error::Rejected(
            "failed +6281200001999 (not on WhatsApp)".into()
        ))
    );
    // Not an admin: WhatsApp's reason.
    let other = fake.add_group("Lain", &[], false);
    assert_eq!(work.run(2, &other).await, Err(Error::NotAdmin));
}

#[tokio::test]
async fn promotions_and_demotions_are_checked_afterwards() {
    let fake = linked().await;
    let jid = fake.add_group("Grup", &["6281200000001", "6281200000002"], true);
    let promote = members(
        &fake,
        Membership::Promote,
        &["6281200000001", "6281200000009"],
    );
    assert_eq!(
        promote.run(0, &jid).await.unwrap().unwrap(),
        "promoted +6281200000001; failed +6281200000009 (not a member)"
    );
    assert!(
        group_of(&fake, &jid)
            .await
            .admins
            .contains(&"6281200000001".to_owned())
    );

    let demote = members(
        &fake,
        Membership::Demote,
        &["6281200000001", "6281200000002"],
    );
    assert_eq!(
        demote.run(1, &jid).await.unwrap().unwrap(),
        "demoted +6281200000001; failed +6281200000002 (not an admin)"
    );
    assert!(
        !group_of(&fake, &jid)
            .await
            .admins
            .contains(&"6281200000001".to_owned())
    );
}

#[tokio::test]
async fn a_created_group_is_found_again_instead_of_created_twice() {
    let fake = linked().await;
    // A group of the same name existed before the job: not the job's.
    let old = fake.add_group("Toko 1", &[], true);
    let work = Create {
        whatsapp: fake.clone(),
        members: vec!["6281200000001".into()],
        settings: vec![Setting::AdminsOnlyMessages(true)],
        before: vec![old.clone()],
    };
    assert_eq!(work.happened("Toko 1").await, Ok(None));

    let link = work.run(0, "Toko 1").await.unwrap().unwrap();
    assert!(link.starts_with("https://chat.whatsapp.com/"), "{link}");
    let again = work.happened("Toko 1").await.unwrap();
    assert_eq!(again, Some(Some(link)));
    let groups = fake.groups().await.unwrap();
    assert_eq!(groups.iter().filter(|g| g.name == "Toko 1").count(), 2);
    let new = groups.iter().find(|g| g.jid != old).unwrap();
    assert!(new.members.contains(&"6281200000001".to_owned()));
    // Found again, the group gets its settings again (harmless), in case
    // the stop came before they were applied.
    assert_eq!(
        fake.settings(&new.jid),
        [Setting::AdminsOnlyMessages(true); 2]
    );

    // WhatsApp's own limit on names is its answer, not a panic.
    let long = "x".repeat(101);
    assert!(matches!(work.run(1, &long).await, Err(Error::Rejected(_))));
}

#[tokio::test]
async fn broadcast_variants_take_turns() {
    let fake = linked().await;
    let jids: Vec<String> = (1..=3)
        .map(|n| fake.add_group(&format!("G{n}"), &[], false))
        .collect();
    let work = Broadcast {
        whatsapp: fake.clone(),
        variants: vec!["Halo".into(), "Hai".into()],
    };
    for (seq, jid) in jids.iter().enumerate() {
        work.run(seq as u32, jid).await.unwrap();
    }
    let sent: Vec<String> = fake.sent().into_iter().map(|(_, t)| t).collect();
    assert_eq!(sent, ["Halo", "Hai", "Halo"]);
}

#[tokio::test]
async fn join_requests_are_listed_then_approved() {
    let fake = linked().await;
    let jid = fake.add_group("Grup", &[], true);
    fake.request_to_join(&jid, &["6281200000007", "6281200000008"]);
    let list = JoinRequests {
        whatsapp: fake.clone(),
        action: Requests::List,
    };
    assert_eq!(
        list.run(0, &jid).await.unwrap().unwrap(),
        "2: +6281200000007, +6281200000008"
    );
    let approve = JoinRequests {
        whatsapp: fake.clone(),
        action: Requests::Approve,
    };
    approve.run(0, &jid).await.unwrap();
    assert_eq!(
        fake.join_requests(&jid).await.unwrap(),
        Vec::<String>::new()
    );
    assert!(
        group_of(&fake, &jid)
            .await
            .members
            .contains(&"6281200000008".to_owned())
    );
    assert_eq!(list.run(1, &jid).await.unwrap().unwrap(), "0");
}

#[tokio::test]
async fn a_reset_link_that_may_have_happened_is_not_reset_again() {
    let fake = linked().await;
    let jid = fake.add_group("Grup", &[], true);
    let before = fake.invite_link(&jid, false).await.unwrap();
    let work = InviteLinks {
        whatsapp: fake.clone(),
        reset: true,
    };
    let fresh = work.run(0, &jid).await.unwrap().unwrap();
    assert_ne!(fresh, before);
    assert_eq!(work.happened(&jid).await, Ok(Some(Some(fresh))));
}
