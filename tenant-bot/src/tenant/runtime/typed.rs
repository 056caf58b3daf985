//! Keywords typed in answer to a question: the word for cancel ends any
//! question, and yes or no answer a confirmation as its buttons do.

use std::sync::Arc;

use super::{Dialog, Runtime, State};
use crate::telegram::Keyword;

impl Runtime {
    /// The owner typed the word for cancel when asked `dialog`: the
    /// question ends, and so does the job being prepared, if any.
    pub(in crate::tenant) async fn cancel_dialog(&self, state: &mut State, dialog: Dialog) {
        state.dialog = None;
        match dialog {
            Dialog::Logout => self.keep_logged_in(state, None).await,
            Dialog::Search => {
                let text = self.text(state, "dialog-cancelled", &[]);
                self.say(text, vec![]).await;
            }
            Dialog::Select(_) | Dialog::Step | Dialog::Delay | Dialog::Confirm => {
                state.pending = None;
                let text = self.text(state, "dialog-cancelled", &[]);
                self.say(text, vec![]).await;
            }
        }
    }

    /// A typed answer to a prepared job's confirmation: yes starts the
    /// job, no drops it, anything else is asked again.
    pub(in crate::tenant) async fn confirm_typed(
        self: &Arc<Self>,
        state: &mut State,
        keyword: Option<Keyword>,
    ) {
        match keyword {
            Some(Keyword::Yes) => self.start(state).await,
            Some(Keyword::No) => {
                state.pending = None;
                let text = self.text(state, "bulk-aborted", &[]);
                self.say(text, vec![]).await;
            }
            _ => {
                state.dialog = Some(Dialog::Confirm);
                let text = self.text(state, "answer-yes-or-no", &[]);
                self.say(text, vec![]).await;
            }
        }
    }

    /// A typed answer to the logout confirmation: yes logs the account
    /// out, no keeps it, anything else is asked again.
    pub(in crate::tenant) async fn logout_typed(
        &self,
        state: &mut State,
        keyword: Option<Keyword>,
    ) {
        match keyword {
            Some(Keyword::Yes) => self.log_out(state, None).await,
            Some(Keyword::No) => self.keep_logged_in(state, None).await,
            _ => {
                state.dialog = Some(Dialog::Logout);
                let text = self.text(state, "answer-yes-or-no", &[]);
                self.say(text, vec![]).await;
            }
        }
    }
}
