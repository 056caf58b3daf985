//! Talking to the owner: the few things the tenant's flows need from
//! Telegram, behind a trait so flows can be tested without a server.

use async_trait::async_trait;
use teloxide::Bot;
use teloxide::payloads::{EditMessageTextSetters, SendMessageSetters};
use teloxide::prelude::Requester;
use teloxide::types::{ChatId, InlineKeyboardButton, InlineKeyboardMarkup, MessageId};

/// An inline button: its label and the callback data it sends back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    /// What the owner sees.
    pub label: String,
    /// What comes back in the callback query.
    pub data: String,
}

impl Button {
    /// A button with `label` sending `data`.
    pub fn new(label: impl Into<String>, data: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            data: data.into(),
        }
    }
}

/// Why a message could not be sent or edited.
#[derive(Debug, thiserror::Error)]
#[error("Telegram request failed")]
pub struct Error(#[source] pub teloxide::RequestError);

/// Messages to one chat: the owner's.
#[async_trait]
pub trait Messenger: Send + Sync {
    /// Sends a message with rows of buttons; returns its id.
    async fn send(&self, text: String, buttons: Vec<Vec<Button>>) -> Result<i32, Error>;

    /// Replaces a message's text and buttons.
    async fn edit(
        &self,
        message: i32,
        text: String,
        buttons: Vec<Vec<Button>>,
    ) -> Result<(), Error>;
}

/// The owner's chat through a Bot API endpoint (the front door's gateway
/// in production), with the tenant's credential where a token would be.
#[derive(Debug, Clone)]
pub struct TelegramMessenger {
    bot: Bot,
    chat: ChatId,
}

impl TelegramMessenger {
    /// A messenger for `owner`'s private chat via `api_url`.
    pub fn new(api_url: reqwest::Url, credential: &str, owner: i64) -> Self {
        Self {
            bot: Bot::new(credential).set_api_url(api_url),
            chat: ChatId(owner),
        }
    }
}

fn keyboard(rows: Vec<Vec<Button>>) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(rows.into_iter().map(|row| {
        row.into_iter()
            .map(|b| InlineKeyboardButton::callback(b.label, b.data))
            .collect::<Vec<_>>()
    }))
}

#[async_trait]
impl Messenger for TelegramMessenger {
    async fn send(&self, text: String, buttons: Vec<Vec<Button>>) -> Result<i32, Error> {
        let message = self
            .bot
            .send_message(self.chat, text)
            .reply_markup(keyboard(buttons))
            .await
            .map_err(Error)?;
        Ok(message.id.0)
    }

    async fn edit(
        &self,
        message: i32,
        text: String,
        buttons: Vec<Vec<Button>>,
    ) -> Result<(), Error> {
        self.bot
            .edit_message_text(self.chat, MessageId(message), text)
            .reply_markup(keyboard(buttons))
            .await
            .map_err(Error)?;
        Ok(())
    }
}
