//! The owner's messages: the answer to the question asked (a search, a
//! selection, a job's step, a pause, a confirmation), the word for cancel
//! that ends any question, an uploaded file or photo, or a command.

use std::sync::Arc;

use teloxide::dispatching::UpdateFilterExt;
use teloxide::dptree;
use teloxide::types::{Message, Update};
use teloxide::utils::command::BotCommands;

use super::{Command, Schema, Shared};
use crate::protocol::callback::Feature;
use crate::telegram::Keyword;
use crate::tenant::runtime::{Answer, Dialog, MAX_PHOTO_FILE, Runtime};
use crate::tenant::status::Session;

/// A message's text.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Text(String);

/// What a text message says, read once.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Said {
    /// The answer to the question asked.
    Answer(Answered),
    /// One of the tenant's commands.
    Command(Command),
    /// Anything else.
    Unknown,
}

/// The question asked, the text that answers it, and the keyword the
/// text is, if it is one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answered {
    dialog: Dialog,
    text: String,
    keyword: Option<Keyword>,
}

/// The branch of messages.
pub(super) fn schema() -> Schema {
    Update::filter_message()
        .branch(
            dptree::filter(|message: Message| {
                message.document().is_some() || message.photo().is_some()
            })
            .endpoint(upload),
        )
        .filter_map(|message: Message| message.text().map(|text| Text(text.to_owned())))
        .map_async(read)
        .branch(
            dptree::case![Said::Answer(answered)]
                .branch(
                    dptree::filter(|answered: Answered| answered.keyword == Some(Keyword::Cancel))
                        .endpoint(cancel),
                )
                .branch(
                    dptree::filter(|answered: Answered| answered.dialog == Dialog::Search)
                        .endpoint(search),
                )
                .branch(
                    dptree::filter_map(|answered: Answered| match answered.dialog {
                        Dialog::Select(feature) => Some(feature),
                        _ => None,
                    })
                    .endpoint(selection),
                )
                .branch(
                    dptree::filter(|answered: Answered| answered.dialog == Dialog::Step)
                        .endpoint(step),
                )
                .branch(
                    dptree::filter(|answered: Answered| answered.dialog == Dialog::Delay)
                        .endpoint(delay),
                )
                .branch(
                    dptree::filter(|answered: Answered| answered.dialog == Dialog::Confirm)
                        .endpoint(confirm),
                )
                .branch(
                    dptree::filter(|answered: Answered| answered.dialog == Dialog::Logout)
                        .endpoint(logout_answer),
                ),
        )
        .branch(
            dptree::case![Said::Command(command)]
                .branch(dptree::case![Command::Menu].endpoint(dashboard))
                .branch(dptree::case![Command::Start].endpoint(dashboard))
                .branch(dptree::case![Command::Groups].endpoint(groups))
                .branch(dptree::case![Command::Lang].endpoint(languages))
                .branch(dptree::case![Command::Logout].endpoint(logout))
                .branch(dptree::case![Command::Help].endpoint(help))
                .branch(dptree::case![Command::Pair].endpoint(pair)),
        )
        .endpoint(unknown)
}

/// Reads a text: a command ends any question; plain text answers it, and
/// so does a keyword written as a command (`/skip`, `/lewati`, `/batal`).
async fn read(runtime: Arc<Runtime>, state: Shared, text: Text) -> Said {
    let Text(text) = text;
    let command = Command::parse(&text, "");
    let keyword = runtime.catalog.keywords().read(&text);
    let answers = command.is_err() && (!text.starts_with('/') || keyword.is_some());
    if let Some(dialog) = state.lock().await.dialog.take()
        && answers
    {
        return Said::Answer(Answered {
            dialog,
            text,
            keyword,
        });
    }
    match command {
        Ok(command) => Said::Command(command),
        Err(_) => Said::Unknown,
    }
}

async fn cancel(runtime: Arc<Runtime>, state: Shared, answered: Answered) {
    let mut state = state.lock().await;
    runtime.cancel_dialog(&mut state, answered.dialog).await;
}

async fn confirm(runtime: Arc<Runtime>, state: Shared, answered: Answered) {
    let mut state = state.lock().await;
    runtime.confirm_typed(&mut state, answered.keyword).await;
}

async fn logout_answer(runtime: Arc<Runtime>, state: Shared, answered: Answered) {
    let mut state = state.lock().await;
    runtime.logout_typed(&mut state, answered.keyword).await;
}

async fn search(runtime: Arc<Runtime>, state: Shared, answered: Answered) {
    let state = state.lock().await;
    runtime.search_groups(&state, &answered.text).await;
}

async fn selection(runtime: Arc<Runtime>, state: Shared, feature: Feature, answered: Answered) {
    let mut state = state.lock().await;
    runtime
        .selected(&mut state, feature, Answer::Text(answered.text))
        .await;
}

async fn step(runtime: Arc<Runtime>, state: Shared, answered: Answered) {
    let mut state = state.lock().await;
    runtime
        .step_answer(&mut state, Answer::Text(answered.text))
        .await;
}

async fn delay(runtime: Arc<Runtime>, state: Shared, answered: Answered) {
    let mut state = state.lock().await;
    runtime.delay_typed(&mut state, &answered.text).await;
}

/// A file or photo: the answer to a question that takes one, else
/// explained.
async fn upload(runtime: Arc<Runtime>, state: Shared, message: Message) {
    let mut state = state.lock().await;
    let feature = match state.dialog {
        Some(Dialog::Select(feature)) => Some(feature),
        Some(Dialog::Step) => None,
        _ => {
            let text = runtime.text(&state, "upload-unexpected", &[]);
            runtime.say(text, vec![]).await;
            return;
        }
    };
    let answer = download(&runtime, &message).await;
    if matches!(answer, Answer::Unreadable) {
        let text = runtime.text(&state, "input-file-unreadable", &[]);
        runtime.say(text, vec![]).await;
        return;
    }
    state.dialog = None;
    match feature {
        Some(feature) => runtime.selected(&mut state, feature, answer).await,
        None => runtime.step_answer(&mut state, answer).await,
    }
}

/// Fetches an uploaded document or the largest size of a photo,
/// refusing what is larger than any question reads.
async fn download(runtime: &Runtime, message: &Message) -> Answer {
    use teloxide::net::Download;
    use teloxide::prelude::Requester;
    let (meta, name) = if let Some(document) = message.document() {
        let name = document.file_name.clone().unwrap_or_default();
        (document.file.clone(), name)
    } else if let Some(largest) = message.photo().and_then(|sizes| {
        sizes
            .iter()
            .max_by_key(|p| u64::from(p.width) * u64::from(p.height))
    }) {
        (largest.file.clone(), "photo.jpg".to_owned())
    } else {
        return Answer::Unreadable;
    };
    if u64::from(meta.size) > MAX_PHOTO_FILE as u64 {
        return Answer::TooLarge(u64::from(meta.size));
    }
    let file = match runtime.bot.get_file(meta.id).await {
        Ok(file) => file,
        Err(error) => {
            tracing::warn!(error = %crds::naming::why(&error), "cannot look up an upload");
            return Answer::Unreadable;
        }
    };
    let mut bytes = Vec::new();
    if let Err(error) = runtime.bot.download_file(&file.path, &mut bytes).await {
        tracing::warn!(error = %crds::naming::why(&error), "cannot download an upload");
        return Answer::Unreadable;
    }
    Answer::File { name, bytes }
}

async fn dashboard(runtime: Arc<Runtime>, state: Shared) {
    runtime.dashboard(&*state.lock().await).await;
}

async fn groups(runtime: Arc<Runtime>, state: Shared) {
    runtime.groups_page(&*state.lock().await, None, 0).await;
}

async fn languages(runtime: Arc<Runtime>, state: Shared) {
    runtime.choose_language(&*state.lock().await).await;
}

async fn logout(runtime: Arc<Runtime>, state: Shared) {
    runtime.confirm_logout(&mut *state.lock().await).await;
}

async fn help(runtime: Arc<Runtime>, state: Shared) {
    runtime.help(&*state.lock().await).await;
}

/// `/pair` links the account again, unless it is linked.
async fn pair(runtime: Arc<Runtime>, state: Shared) {
    let mut state = state.lock().await;
    if !matches!(
        state.session,
        Session::Connected { .. } | Session::Disconnected
    ) {
        runtime.start_pairing(&mut state).await;
    }
}

async fn unknown(runtime: Arc<Runtime>, state: Shared) {
    let text = runtime.text(&*state.lock().await, "unknown-command", &[]);
    runtime.say(text, vec![]).await;
}
