//! What a caller of the gateway may do: who it is, which methods it may
//! call, what each method may touch and how it is paced. Pure, so every
//! rule is tested without a server.

use serde_json::{Map, Value};

use crate::protocol::callback;

/// Who is calling, from the credential in the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The front door itself: any chat, no grants needed.
    FrontDoor,
    /// The tenant of `account`, serving `owner`.
    Tenant {
        /// The account's name.
        account: String,
        /// The owner's Telegram id, the only chat the tenant may use.
        owner: i64,
    },
}

/// The name the front door's own credential carries; never an account
/// name, which always starts with `wa-`.
pub const FRONT_DOOR: &str = "front-door";

/// What a method touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Only the caller's owner's chat (`chat_id`).
    OwnChat,
    /// A callback query routed to the caller (`callback_query_id`).
    Callback,
    /// A file routed to the caller (`file_id`).
    File,
    /// Nothing of anyone's.
    Nothing,
}

/// How a method is paced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Something a user waits for; goes first.
    Reply,
    /// An edit of an existing message; coalesced.
    Edit,
    /// Not a message; not rate limited.
    Free,
}

/// The methods a caller may use, and their rules; everything else is
/// refused. This is the whole surface a tenant has on Telegram.
pub fn policy(method: &str) -> Option<(Target, Pace)> {
    Some(match method {
        "getMe" => (Target::Nothing, Pace::Free),
        "sendMessage" | "sendDocument" | "sendPhoto" | "deleteMessage" => {
            (Target::OwnChat, Pace::Reply)
        }
        "editMessageText" | "editMessageReplyMarkup" | "editMessageCaption" => {
            (Target::OwnChat, Pace::Edit)
        }
        "sendChatAction" => (Target::OwnChat, Pace::Free),
        "answerCallbackQuery" => (Target::Callback, Pace::Free),
        "getFile" => (Target::File, Pace::Free),
        _ => return None,
    })
}

/// The Bot API's method names are case-insensitive; the documented
/// spelling starts lowercase (teloxide sends `SendMessage`).
pub fn normalize(method: &str) -> String {
    let mut chars = method.chars();
    chars
        .next()
        .map(|c| c.to_ascii_lowercase())
        .into_iter()
        .chain(chars)
        .collect()
}

/// A chat id parameter as a number (the Bot API also accepts strings).
pub fn chat_id(params: &Map<String, Value>) -> Option<i64> {
    match params.get("chat_id")? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A string parameter.
pub fn string<'a>(params: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    params.get(name).and_then(Value::as_str)
}

/// The message an edit is about.
pub fn message_id(params: &Map<String, Value>) -> Option<i64> {
    match params.get("message_id")? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Why a call is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The method is not one tenants need.
    #[error("Forbidden: method is not allowed through the gateway")]
    Method,
    /// The call names no chat, callback or file where it must.
    #[error("Bad Request: {0} is required")]
    Missing(&'static str),
    /// The chat is not the caller's owner's.
    #[error("Forbidden: only the owner's chat is allowed")]
    Chat,
    /// The callback query or file was not routed to the caller.
    #[error("Forbidden: not routed to this tenant")]
    NotGranted,
    /// A button's data is too long once its account is named.
    #[error("Bad Request: {0}")]
    Button(#[from] callback::Error),
}

impl Refusal {
    /// The HTTP status Telegram would use for it.
    pub fn status(&self) -> u16 {
        match self {
            Self::Missing(_) | Self::Button(_) => 400,
            Self::Method | Self::Chat | Self::NotGranted => 403,
        }
    }
}

/// Checks `params` of `method` against `owner`'s chat. Callback and file
/// grants are checked by the caller, which holds them.
pub fn check_chat(target: Target, params: &Map<String, Value>, owner: i64) -> Result<(), Refusal> {
    if target != Target::OwnChat {
        return Ok(());
    }
    match chat_id(params) {
        None => Err(Refusal::Missing("chat_id")),
        Some(chat) if chat == owner => Ok(()),
        Some(_) => Err(Refusal::Chat),
    }
}

/// Prefixes every callback button's data in `params` with `account`.
/// Returns whether anything changed.
pub fn tag_buttons(params: &mut Map<String, Value>, account: &str) -> Result<bool, Refusal> {
    let Some(rows) = params
        .get_mut("reply_markup")
        .and_then(|m| m.get_mut("inline_keyboard"))
        .and_then(Value::as_array_mut)
    else {
        return Ok(false);
    };
    let mut changed = false;
    for button in rows.iter_mut().filter_map(Value::as_array_mut).flatten() {
        if let Some(data) = button.get_mut("callback_data")
            && let Some(text) = data.as_str()
        {
            *data = Value::String(callback::tag(account, text)?);
            changed = true;
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn params(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn only_the_listed_methods_pass() {
        for method in [
            "getMe",
            "sendMessage",
            "editMessageText",
            "deleteMessage",
            "answerCallbackQuery",
            "sendDocument",
            "getFile",
        ] {
            assert!(policy(method).is_some(), "{method}");
        }
        for method in [
            "getUpdates",
            "setWebhook",
            "deleteWebhook",
            "setMyCommands",
            "banChatMember",
            "forwardMessage",
            "copyMessage",
            "logOut",
            "close",
            "sendmessage",
        ] {
            assert!(policy(method).is_none(), "{method}");
        }
    }

    #[test]
    fn method_names_are_normalized() {
        assert_eq!(normalize("SendMessage"), "sendMessage");
        assert_eq!(normalize("getMe"), "getMe");
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn the_owner_chat_only() {
        let owner = 42;
        let check = |p: Value| check_chat(Target::OwnChat, &params(p), owner);
        assert_eq!(check(json!({"chat_id": 42})), Ok(()));
        assert_eq!(check(json!({"chat_id": "42"})), Ok(()));
        assert_eq!(check(json!({"chat_id": 43})), Err(Refusal::Chat));
        assert_eq!(
            check(json!({"chat_id": "@channel"})),
            Err(Refusal::Missing("chat_id"))
        );
        assert_eq!(check(json!({})), Err(Refusal::Missing("chat_id")));
        assert_eq!(
            check_chat(Target::Callback, &params(json!({"chat_id": 43})), owner),
            Ok(())
        );
    }

    #[test]
    fn buttons_are_tagged_with_the_account() {
        let mut p = params(json!({
            "chat_id": 42,
            "reply_markup": {"inline_keyboard": [
                [{"text": "Retry", "callback_data": "pair:retry"}],
                [{"text": "Site", "url": "https://example.org"},
                 {"text": "Cancel", "callback_data": "pair:cancel"}],
            ]},
        }));
        assert_eq!(tag_buttons(&mut p, "wa-447700900123"), Ok(true));
        let rows = &p["reply_markup"]["inline_keyboard"];
        assert_eq!(rows[0][0]["callback_data"], "wa-447700900123|pair:retry");
        assert_eq!(rows[1][0].get("callback_data"), None);
        assert_eq!(rows[1][1]["callback_data"], "wa-447700900123|pair:cancel");
    }

    #[test]
    fn messages_without_buttons_are_unchanged() {
        let mut p = params(json!({"chat_id": 42, "text": "hi"}));
        assert_eq!(tag_buttons(&mut p, "wa-1"), Ok(false));
    }

    #[test]
    fn too_long_button_data_is_refused() {
        let long = "x".repeat(60);
        let mut p = params(json!({"reply_markup": {"inline_keyboard": [[
            {"text": "x", "callback_data": long}
        ]]}}));
        let refusal = tag_buttons(&mut p, "wa-447700900123").unwrap_err();
        assert_eq!(refusal.status(), 400);
    }
}
