//! The front door's own messages. They go through its own gateway like
//! every tenant's, so the whole bot shares one pace.

use prometheus::IntCounterVec;
use teloxide::Bot;
use teloxide::payloads::{AnswerCallbackQuerySetters, EditMessageTextSetters, SendMessageSetters};
use teloxide::prelude::Requester;
use teloxide::types::{CallbackQueryId, ChatId, MessageId};

use crate::telegram::Button;
use crate::telegram::messenger::{keyboard, with_retry_after};

/// Messages to any user, from the front door.
#[derive(Debug, Clone)]
pub struct Ui {
    bot: Bot,
    errors: IntCounterVec,
}

impl Ui {
    /// Messages through `bot`, failures counted in `errors`.
    pub fn new(bot: Bot, errors: IntCounterVec) -> Self {
        Self { bot, errors }
    }

    /// Sends `text` to `chat`; the message id when it was sent.
    pub async fn send(&self, chat: i64, text: String, buttons: Vec<Vec<Button>>) -> Option<i32> {
        let markup = keyboard(buttons);
        let sent = with_retry_after(Some(&self.errors), None, || {
            self.bot
                .send_message(ChatId(chat), text.clone())
                .reply_markup(markup.clone())
                .into_future()
        })
        .await;
        match sent {
            Ok(message) => Some(message.id.0),
            Err(error) => {
                tracing::warn!(error = %crds::naming::why(&error.0), "cannot message a user");
                None
            }
        }
    }

    /// Replaces message `id` in `chat`, or sends a new one without an id.
    pub async fn show(&self, chat: i64, id: Option<i32>, text: String, buttons: Vec<Vec<Button>>) {
        let Some(id) = id else {
            self.send(chat, text, buttons).await;
            return;
        };
        let markup = keyboard(buttons);
        let edited = with_retry_after(Some(&self.errors), None, || {
            self.bot
                .edit_message_text(ChatId(chat), MessageId(id), text.clone())
                .reply_markup(markup.clone())
                .into_future()
        })
        .await;
        if let Err(error) = edited {
            tracing::warn!(error = %crds::naming::why(&error.0), "cannot edit a message");
        }
    }

    /// Answers a callback query, with a short notice when given.
    pub async fn answer(&self, query: &CallbackQueryId, notice: Option<String>) {
        let mut request = self.bot.answer_callback_query(query.clone());
        if let Some(text) = notice {
            request = request.text(text);
        }
        if let Err(error) = request.await {
            tracing::warn!(error = %crds::naming::why(&error), "cannot answer a callback query");
        }
    }
}
