//! The updates the front door forwards to tenants: Telegram's own JSON,
//! read by both sides for who sent it.

use serde_json::Value;

/// Kinds of update that carry the user who caused them in `from`.
const SENDER_KINDS: [&str; 8] = [
    "message",
    "edited_message",
    "callback_query",
    "inline_query",
    "chosen_inline_result",
    "my_chat_member",
    "pre_checkout_query",
    "shipping_query",
];

/// The user an update comes from, when it has one.
pub fn sender(update: &Value) -> Option<i64> {
    SENDER_KINDS
        .iter()
        .find_map(|kind| update.get(kind))
        .and_then(|inner| inner.get("from"))
        .and_then(|from| from.get("id"))
        .and_then(Value::as_i64)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn senders_are_found_in_every_kind_of_update() {
        let message = json!({"message": {"message_id": 1, "from": {"id": 5}, "text": "x"}});
        assert_eq!(sender(&message), Some(5));
        assert_eq!(
            sender(&json!({"edited_message": {"from": {"id": 6}}})),
            Some(6)
        );
        assert_eq!(
            sender(&json!({"callback_query": {"from": {"id": 7}}})),
            Some(7)
        );
        assert_eq!(sender(&json!({"poll": {"id": "p"}})), None);
        assert_eq!(sender(&json!({"message": {"from": {"id": "6"}}})), None);
    }
}
