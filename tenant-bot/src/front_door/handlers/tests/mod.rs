//! The front door's answers to one user's updates, as a table of
//! scenarios against the [`harness`]: what it says to whom, what it hands
//! to which tenant, what it changes in the registry, what it counts.

mod harness;

use std::sync::Arc;

use crds::{Language, Phase, PhoneNumber};
use serde_json::json;

use self::harness::*;
use crate::front_door::bot::FrontDoor;
use crate::front_door::gateway::grants;
use crate::protocol::registry::Registry as _;

#[tokio::test]
async fn strangers_are_refused() {
    let mut h = Harness::start(vec![OWNER]).await;
    let refused = h.text(Language::Id, "access-not-allowed", &[]);
    for text in ["/start", "/pair 0812 3456 7890", "hello", "/admin"] {
        let (calls, forwarded) = h.say(STRANGER, text).await;
        assert_eq!(texts(&calls), std::slice::from_ref(&refused), "{text}");
        assert!(forwarded.is_empty());
    }
    let (calls, _) = h.press(STRANGER, "fd:pair").await;
    assert_eq!(answered(&calls), Some(refused));
    assert_eq!(calls.len(), 1);
    // The admin is always allowed.
    let (calls, _) = h.say(ADMIN, "/help").await;
    assert_eq!(texts(&calls), [h.help(Language::Id)]);
}

#[tokio::test]
async fn without_an_account_the_front_door_answers() {
    let mut h = Harness::open().await;
    for start in ["/start", "/menu", "/START@pawang_bot", "/start deep-link"] {
        let (calls, forwarded) = h.say(OWNER, start).await;
        let (method, text, buttons) = shown(&calls);
        assert_eq!(method, "sendmessage");
        assert_eq!(text, h.text(Language::Id, "start-welcome", &[]), "{start}");
        assert_eq!(buttons, ["fd:pair", "fd:lang", "fd:help"]);
        assert!(forwarded.is_empty());
    }
    let (calls, _) = h.say(OWNER, "/help").await;
    assert_eq!(texts(&calls), [h.help(Language::Id)]);
    let (calls, _) = h.say(OWNER, "/lang").await;
    let (_, text, buttons) = shown(&calls);
    assert_eq!(text, h.text(Language::Id, "lang-choose", &[]));
    assert_eq!(buttons, ["fd:lang:id", "fd:lang:en"]);
    let denied = h.text(Language::Id, "access-denied-pair", &[]);
    for other in ["hello", "/logout", "/groups", "/cancel", "/admin", "/"] {
        let (calls, forwarded) = h.say(OWNER, other).await;
        assert_eq!(texts(&calls), std::slice::from_ref(&denied), "{other}");
        assert!(forwarded.is_empty());
    }
    let (calls, _) = h.say(OWNER, "/accounts").await;
    let (_, text, buttons) = shown(&calls);
    assert_eq!(text, h.text(Language::Id, "accounts-none", &[]));
    assert_eq!(buttons, ["fd:pair"]);
    // Telegram's language hint counts until the user picks one.
    let mut english = message(OWNER, "/help");
    english["from"]["language_code"] = json!("en-GB");
    let (calls, _) = h.update(OWNER, "message", english).await;
    assert_eq!(texts(&calls), [h.help(Language::En)]);
}

#[tokio::test]
async fn the_front_doors_own_buttons() {
    let mut h = Harness::open().await;
    let (calls, _) = h.press(OWNER, "fd:help").await;
    assert_eq!(texts(&calls), [h.help(Language::Id)]);
    assert_eq!(answered(&calls), None);

    let (calls, _) = h.press(OWNER, "fd:lang").await;
    let (method, text, buttons) = shown(&calls);
    assert_eq!(method, "editmessagetext");
    assert_eq!(text, h.text(Language::Id, "lang-choose", &[]));
    assert_eq!(buttons, ["fd:lang:id", "fd:lang:en"]);
    assert_eq!(answered(&calls), None);

    let (calls, _) = h.press(OWNER, "fd:lang:en").await;
    let (method, text, _) = shown(&calls);
    assert_eq!(method, "editmessagetext");
    assert_eq!(text, h.text(Language::En, "lang-set", &[]));
    let (calls, _) = h.say(OWNER, "/help").await;
    assert_eq!(texts(&calls), [h.help(Language::En)]);
    let (calls, _) = h.press(OWNER, "fd:lang:id").await;
    assert_eq!(shown(&calls).1, h.text(Language::Id, "lang-set", &[]));

    let (calls, _) = h.press(OWNER, "fd:pair").await;
    let (method, text, _) = shown(&calls);
    assert_eq!(method, "editmessagetext");
    assert_eq!(text, h.text(Language::Id, "pair-ask-number", &[]));
    assert_eq!(answered(&calls), None);
    let (calls, _) = h.say(OWNER, "/cancel").await;
    assert_eq!(
        texts(&calls),
        [h.text(Language::Id, "pair-input-cancelled", &[])]
    );

    let (calls, _) = h.press(OWNER, "fd:accounts").await;
    assert_eq!(shown(&calls).1, h.text(Language::Id, "accounts-none", &[]));
    assert_eq!(answered(&calls), None);

    for stale in ["fd:nothing", "fd:"] {
        let (calls, _) = h.press(OWNER, stale).await;
        assert_eq!(calls.len(), 1, "{stale}: {calls:?}");
        assert_eq!(
            answered(&calls),
            Some(h.text(Language::Id, "stale-button", &[]))
        );
    }
    // A button of no account when the user has none.
    let (calls, forwarded) = h.press(OWNER, "menu:groups").await;
    assert_eq!(
        answered(&calls),
        Some(h.text(Language::Id, "stale-button", &[]))
    );
    assert!(forwarded.is_empty());
}

#[tokio::test]
async fn a_number_is_paired() {
    let mut h = Harness::open().await;
    let (calls, _) = h.say(OWNER, "/pair").await;
    assert_eq!(
        texts(&calls),
        [h.text(Language::Id, "pair-ask-number", &[])]
    );
    let (calls, _) = h.say(OWNER, "0812-3456-7890").await;
    let masked = PHONE.parse::<PhoneNumber>().unwrap().masked();
    assert_eq!(
        texts(&calls),
        [h.text(Language::Id, "pair-preparing", &[("phone", &masked)])]
    );
    assert!(h.registry.find(&format!("wa-{PHONE}")).is_some());
    // The question was answered: the next text is not a number.
    let (calls, forwarded) = h.say(OWNER, "0812-3456-7891").await;
    assert!(texts(&calls).is_empty(), "{calls:?}");
    assert_eq!(forwarded.len(), 1);

    // Taken by someone else; linked already.
    let (calls, _) = h.say(OTHER, &format!("/pair +{PHONE}")).await;
    assert_eq!(texts(&calls), [h.text(Language::Id, "pair-taken", &[])]);
    let (calls, _) = h.say(OWNER, &format!("/pair@pawang_bot  +{PHONE}")).await;
    assert_eq!(
        texts(&calls),
        [h.text(Language::Id, "pair-yours-already", &[("phone", &masked)])]
    );
    let (calls, _) = h.say(OTHER, "/pair 12").await;
    assert_eq!(texts(&calls).len(), 1);
    assert_eq!(h.registry.state().len(), 1);

    // A command ends the question; a photo does not answer it.
    h.say(OTHER, "/pair").await;
    let mut photo = message(OTHER, "");
    photo.as_object_mut().unwrap().remove("text");
    let (calls, _) = h.update(OTHER, "message", photo).await;
    assert_eq!(
        texts(&calls),
        [h.text(Language::Id, "access-denied-pair", &[])]
    );
    h.say(OTHER, "/help").await;
    let (calls, _) = h.say(OTHER, &format!("+{SECOND}")).await;
    assert_eq!(
        texts(&calls),
        [h.text(Language::Id, "access-denied-pair", &[])]
    );
    let (calls, _) = h.say(OTHER, "/cancel").await;
    assert_eq!(
        texts(&calls),
        [h.text(Language::Id, "access-denied-pair", &[])]
    );
}

#[tokio::test]
async fn quotas_hold() {
    let mut h = Harness::open().await;
    h.account(PHONE, OWNER, Phase::Connected);
    h.account(SECOND, OWNER, Phase::Connected);
    let (calls, _) = h.say(OWNER, &format!("/pair +{THEIRS}")).await;
    assert_eq!(
        texts(&calls),
        [h.text(Language::Id, "quota-user", &[("max", "2")])]
    );
    let (calls, _) = h.say(OWNER, "/accounts").await;
    let (_, _, buttons) = shown(&calls);
    assert!(!buttons.contains(&"fd:pair".to_owned()), "{buttons:?}");
}

#[tokio::test]
async fn with_an_account_updates_go_to_its_tenant() {
    let mut h = Harness::open().await;
    let name = h.account(PHONE, OWNER, Phase::Connected);
    for text in [
        "hello", "/menu", "/start", "/help", "/lang", "/logout", "/cancel", "/admin",
    ] {
        let (calls, forwarded) = h.say(OWNER, text).await;
        assert!(calls.is_empty(), "{text}: {calls:?}");
        assert_eq!(forwarded.len(), 1, "{text}");
        assert_eq!(forwarded[0].0, name);
        assert_eq!(forwarded[0].1["message"]["text"], text);
    }
    let (calls, forwarded) = h
        .update(OWNER, "edited_message", message(OWNER, "edited"))
        .await;
    assert!(calls.is_empty());
    assert_eq!(forwarded[0].1["edited_message"]["text"], "edited");
    // Without an account, other kinds of update are dropped.
    let (calls, forwarded) = h
        .update(OTHER, "edited_message", message(OTHER, "edited"))
        .await;
    assert!(calls.is_empty() && forwarded.is_empty());

    // Untagged buttons go to the active account as they are.
    let (calls, forwarded) = h.press(OWNER, "menu:groups").await;
    assert!(calls.is_empty());
    let query = &forwarded[0].1["callback_query"];
    assert_eq!(query["data"], "menu:groups");
    let id = query["id"].as_str().unwrap();
    assert!(h.grants.verify(grants::Kind::Callback, id, &name).is_some());

    // Tagged buttons go to their account, untagged.
    let (calls, forwarded) = h.press(OWNER, &format!("{name}|groups:refresh")).await;
    assert!(calls.is_empty());
    assert_eq!(forwarded[0].0, name);
    assert_eq!(forwarded[0].1["callback_query"]["data"], "groups:refresh");

    // The tenant's "accounts" button is the front door's.
    let (calls, forwarded) = h.press(OWNER, &format!("{name}|menu:accounts")).await;
    assert!(forwarded.is_empty());
    let (method, text, buttons) = shown(&calls);
    assert_eq!(method, "editmessagetext");
    assert!(
        text.starts_with(&h.text(Language::Id, "accounts-title", &[])),
        "{text}"
    );
    assert_eq!(buttons, [format!("fd:del:{name}"), "fd:pair".to_owned()]);
    assert_eq!(answered(&calls), None);

    // Another user's account, or a deleted one.
    let theirs = h.account(THEIRS, OTHER, Phase::Connected);
    for data in [
        format!("{theirs}|menu:groups"),
        "wa-999|menu:groups".to_owned(),
    ] {
        let (calls, forwarded) = h.press(OWNER, &data).await;
        assert!(forwarded.is_empty());
        assert_eq!(
            answered(&calls),
            Some(h.text(Language::Id, "button-not-yours", &[]))
        );
    }
}

#[tokio::test]
async fn an_unavailable_tenant_is_explained() {
    let mut h = Harness::open().await;
    let name = h.account(PHONE, OWNER, Phase::Disconnected);
    h.seen.down.lock().unwrap().push(name.clone());
    let masked = PHONE.parse::<PhoneNumber>().unwrap().masked();
    let phase = h.text(Language::Id, "phase-disconnected", &[]);
    let expected = h.text(
        Language::Id,
        "tenant-not-connected",
        &[("phone", &masked), ("phase", &phase)],
    );
    let (calls, _) = h.say(OWNER, "/menu").await;
    assert_eq!(texts(&calls), std::slice::from_ref(&expected));
    let (calls, _) = h.press(OWNER, &format!("{name}|menu:groups")).await;
    assert_eq!(answered(&calls), Some(expected));
    assert_eq!(calls.len(), 1);
}

#[tokio::test]
async fn a_cancelled_pairing_removes_its_account() {
    let mut h = Harness::open().await;
    let name = h.account(PHONE, OWNER, Phase::AwaitingPairing);
    let (calls, forwarded) = h.press(OWNER, &format!("{name}|pair:cancel")).await;
    assert_eq!(forwarded[0].1["callback_query"]["data"], "pair:cancel");
    let masked = PHONE.parse::<PhoneNumber>().unwrap().masked();
    assert_eq!(
        texts(&calls),
        [h.text(Language::Id, "pair-removed", &[("phone", &masked)])]
    );
    assert!(h.registry.find(&name).is_none());
    // A linked account stays.
    let name = h.account(PHONE, OWNER, Phase::Connected);
    let (calls, _) = h.press(OWNER, &format!("{name}|pair:cancel")).await;
    assert!(calls.is_empty());
    assert!(h.registry.find(&name).is_some());
}

#[tokio::test]
async fn a_logged_out_account_pairs_again_through_its_tenant() {
    let mut h = Harness::open().await;
    let name = h.account(PHONE, OWNER, Phase::LoggedOut);
    let (calls, forwarded) = h.say(OWNER, "/pair").await;
    assert!(calls.is_empty());
    assert_eq!(forwarded[0].0, name);
    let (calls, forwarded) = h.say(OWNER, "/pair 0812 3456 7890").await;
    assert!(calls.is_empty(), "{calls:?}");
    assert_eq!(forwarded[0].1["message"]["text"], "/pair");
}

#[tokio::test]
async fn owners_switch_and_delete_accounts() {
    let mut h = Harness::open().await;
    let first = h.account(PHONE, OWNER, Phase::Connected);
    let second = h.account(SECOND, OWNER, Phase::Connected);
    let theirs = h.account(THEIRS, OTHER, Phase::Connected);
    let (calls, _) = h.say(OWNER, "/accounts").await;
    let (_, _, buttons) = shown(&calls);
    assert_eq!(
        buttons,
        [
            format!("fd:del:{first}"),
            format!("fd:use:{second}"),
            format!("fd:del:{second}")
        ]
    );

    let (calls, _) = h.press(OWNER, &format!("fd:use:{second}")).await;
    let masked = SECOND.parse::<PhoneNumber>().unwrap().masked();
    assert_eq!(
        answered(&calls),
        Some(h.text(Language::Id, "accounts-switched", &[("phone", &masked)]))
    );
    let (_, _, buttons) = shown(&calls);
    assert_eq!(
        buttons,
        [
            format!("fd:use:{first}"),
            format!("fd:del:{first}"),
            format!("fd:del:{second}")
        ]
    );
    let (_, forwarded) = h.say(OWNER, "hello").await;
    assert_eq!(forwarded[0].0, second);

    let (calls, _) = h.press(OWNER, &format!("fd:del:{second}")).await;
    let (method, text, buttons) = shown(&calls);
    assert_eq!(method, "editmessagetext");
    assert_eq!(
        text,
        h.text(Language::Id, "delete-confirm", &[("phone", &masked)])
    );
    assert_eq!(
        buttons,
        [format!("fd:delyes:{second}"), "fd:accounts".to_owned()]
    );
    assert_eq!(answered(&calls), None);

    let (calls, _) = h.press(OWNER, &format!("fd:delyes:{second}")).await;
    assert_eq!(
        shown(&calls).1,
        h.text(Language::Id, "account-deleted", &[("phone", &masked)])
    );
    assert_eq!(answered(&calls), None);
    assert!(h.registry.find(&second).is_none());

    for data in [
        format!("fd:use:{theirs}"),
        format!("fd:del:{theirs}"),
        format!("fd:delyes:{theirs}"),
        "fd:use".to_owned(),
    ] {
        let (calls, _) = h.press(OWNER, &data).await;
        assert_eq!(calls.len(), 1, "{data}");
        assert_eq!(
            answered(&calls),
            Some(h.text(Language::Id, "button-not-yours", &[]))
        );
    }
    assert!(h.registry.find(&theirs).is_some());
}

#[tokio::test]
async fn admins_see_and_change_every_account() {
    let mut h = Harness::open().await;
    let name = h.account(PHONE, OWNER, Phase::Connected);
    let masked = PHONE.parse::<PhoneNumber>().unwrap().masked();
    let (calls, forwarded) = h.say(ADMIN, "/admin").await;
    assert!(forwarded.is_empty());
    let (_, text, buttons) = shown(&calls);
    assert!(
        text.starts_with(&h.text(Language::Id, "admin-title", &[("total", "1")])),
        "{text}"
    );
    assert_eq!(
        buttons,
        [format!("fd:adm:sus:{name}"), format!("fd:adm:del:{name}")]
    );

    let (calls, _) = h.press(ADMIN, &format!("fd:adm:sus:{name}")).await;
    assert_eq!(
        answered(&calls),
        Some(h.text(Language::Id, "admin-suspended", &[("phone", &masked)]))
    );
    assert!(h.registry.find(&name).unwrap().spec.suspend);
    let (calls, _) = h.press(ADMIN, "fd:adm:list:").await;
    let (method, _, buttons) = shown(&calls);
    assert_eq!(method, "editmessagetext");
    assert_eq!(
        buttons,
        [format!("fd:adm:res:{name}"), format!("fd:adm:del:{name}")]
    );
    assert_eq!(answered(&calls), None);
    let (calls, _) = h.press(ADMIN, &format!("fd:adm:res:{name}")).await;
    assert_eq!(
        answered(&calls),
        Some(h.text(Language::Id, "admin-resumed", &[("phone", &masked)]))
    );
    assert!(!h.registry.find(&name).unwrap().spec.suspend);

    let (calls, _) = h.press(ADMIN, &format!("fd:adm:del:{name}")).await;
    let (_, text, buttons) = shown(&calls);
    assert_eq!(
        text,
        h.text(Language::Id, "delete-confirm", &[("phone", &masked)])
    );
    assert_eq!(
        buttons,
        [format!("fd:adm:delyes:{name}"), "fd:adm:list:".to_owned()]
    );
    let (calls, _) = h.press(ADMIN, &format!("fd:adm:delyes:{name}")).await;
    let deleted = h.text(Language::Id, "account-deleted", &[("phone", &masked)]);
    assert_eq!(answered(&calls), Some(deleted.clone()));
    assert_eq!(shown(&calls).1, deleted);
    assert!(h.registry.find(&name).is_none());

    let (calls, _) = h.press(ADMIN, "fd:adm:sus:wa-999").await;
    assert_eq!(
        answered(&calls),
        Some(h.text(Language::Id, "stale-button", &[]))
    );
    // Not an admin: refused, whatever the button.
    let (calls, _) = h.press(OWNER, &format!("fd:adm:sus:{name}")).await;
    assert_eq!(
        answered(&calls),
        Some(h.text(Language::Id, "admin-denied", &[]))
    );
    assert_eq!(calls.len(), 1);
}

#[tokio::test]
async fn outcomes_are_counted() {
    let mut h = Harness::start(vec![OWNER, OTHER]).await;
    let name = h.account(PHONE, OWNER, Phase::Connected);
    h.say(STRANGER, "/start").await;
    h.press(STRANGER, "fd:help").await;
    h.say(OTHER, "hello").await;
    h.press(OWNER, "fd:help").await;
    h.press(OWNER, &format!("{name}|menu:accounts")).await;
    h.press(OWNER, "fd:adm:list").await;
    h.say(OWNER, "hello").await;
    h.press(OWNER, "menu:groups").await;
    h.press(OWNER, &format!("{name}|menu:groups")).await;
    h.press(OTHER, &format!("{name}|menu:groups")).await;
    h.seen.down.lock().unwrap().push(name);
    h.say(OWNER, "hello").await;
    let count = |outcome: &str| h.door.metrics.updates.with_label_values(&[outcome]).get();
    assert_eq!(count("refused"), 5);
    assert_eq!(count("handled"), 3);
    assert_eq!(count("routed"), 4);
    assert_eq!(count("tenant_unavailable"), 1);
}

#[test]
fn the_schema_gets_everything_it_asks_for() {
    use teloxide::dptree::{self, Type};
    use teloxide::types::Update;

    use crate::front_door::handlers::{Active, Raw, User, schema};

    // What `Dispatcher::handle` puts in; dptree panics naming whatever an
    // endpoint would miss.
    let given = [
        Type::of::<Arc<FrontDoor>>(),
        Type::of::<User>(),
        Type::of::<Update>(),
        Type::of::<Raw>(),
        Type::of::<Active>(),
    ];
    dptree::type_check(schema().sig(), &dptree::di::DependencyMap::new(), &given);
}
