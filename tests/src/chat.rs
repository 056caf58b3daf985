//! A Telegram user's side of a chat with the bot, through the fake Bot
//! API: the updates they cause and the messages they are sent.

use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::{Value, json};

use crate::fake_telegram::{Call, FakeTelegram};

static MESSAGE_IDS: AtomicI64 = AtomicI64::new(10_000);

/// The user `id` as Telegram describes them.
pub fn user(id: i64) -> Value {
    json!({"id": id, "is_bot": false, "first_name": "User", "language_code": "en"})
}

/// A text message from `from` in their private chat.
pub fn text(from: i64, text: &str) -> Value {
    let id = MESSAGE_IDS.fetch_add(1, Ordering::Relaxed);
    json!({"message": {
        "message_id": id, "date": 1_700_000_000,
        "chat": {"id": from, "type": "private", "first_name": "User"},
        "from": user(from), "text": text,
    }})
}

/// A press of a button with `data` on message `message` of `from`'s chat.
pub fn press(from: i64, data: &str, message: i64) -> Value {
    let id = MESSAGE_IDS.fetch_add(1, Ordering::Relaxed);
    json!({"callback_query": {
        "id": format!("cb-{id}"), "from": user(from), "chat_instance": "1", "data": data,
        "message": {
            "message_id": message, "date": 1_700_000_000,
            "chat": {"id": from, "type": "private", "first_name": "User"},
            "from": {"id": 1, "is_bot": true, "first_name": "Pawang"}, "text": "…",
        },
    }})
}

/// Whether a call writes `needle` to `chat`.
pub fn to(chat: i64, needle: &str) -> impl Fn(&Call) -> bool + '_ {
    move |c: &Call| {
        c.params["chat_id"].as_i64() == Some(chat)
            && c.params["text"]
                .as_str()
                .is_some_and(|t| t.contains(needle))
    }
}

/// Waits for a message or edit to `chat` containing `needle`.
pub async fn said(telegram: &FakeTelegram, chat: i64, needle: &str) -> Call {
    said_after(telegram, 0, chat, needle).await
}

/// Like [`said`], among the calls after the first `skip`.
pub async fn said_after(telegram: &FakeTelegram, skip: usize, chat: i64, needle: &str) -> Call {
    let check = to(chat, needle);
    telegram
        .wait_for_call(&format!("{needle:?} to {chat}"), skip, |c| {
            matches!(c.method.as_str(), "sendMessage" | "editMessageText") && check(c)
        })
        .await
}

/// The callback data of the first button whose data ends with `suffix`.
pub fn button(call: &Call, suffix: &str) -> String {
    call.params["reply_markup"]["inline_keyboard"]
        .as_array()
        .expect("an inline keyboard")
        .iter()
        .flat_map(|row| row.as_array().expect("a row of buttons"))
        .filter_map(|b| b["callback_data"].as_str())
        .find(|d| d.ends_with(suffix))
        .unwrap_or_else(|| panic!("no button {suffix} in {:?}", call.params["reply_markup"]))
        .to_owned()
}

/// The id of the message a call sent or edited.
pub fn message_id(call: &Call) -> i64 {
    call.params["message_id"].as_i64().unwrap_or(1)
}

/// The owner's way into a creation of `count` groups named `names` (`Shop
/// x 12`) on `account`, started at the default pause between groups.
pub async fn create_groups(
    telegram: &FakeTelegram,
    owner: i64,
    account: &str,
    names: &str,
    count: usize,
) {
    let calls = telegram.calls().len();
    telegram.push_update(press(owner, &format!("{account}|job:create"), 1));
    said_after(telegram, calls, owner, "Send a base name").await;
    telegram.push_update(text(owner, names));
    said_after(telegram, calls, owner, "to each new group").await;
    telegram.push_update(text(owner, "/skip"));
    let settings = said_after(telegram, calls, owner, "Settings for the new groups").await;
    telegram.push_update(press(
        owner,
        &button(&settings, "job:set:ok"),
        message_id(&settings),
    ));
    let confirm = said_after(
        telegram,
        calls,
        owner,
        &format!("Create groups for {count} groups"),
    )
    .await;
    telegram.push_update(press(
        owner,
        &button(&confirm, "job:start"),
        message_id(&confirm),
    ));
}
